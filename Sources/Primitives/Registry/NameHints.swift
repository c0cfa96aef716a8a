/// "Did you mean" hints for misspelt names: primitives, config keys, parameters.
///
/// Returns the candidate with the smallest edit distance when it is close enough to be a likely
/// typo (at most a third of the name's length, and at least 1), else nil.
package func closestName(to name: String, in candidates: [String]) -> String? {
    var best: (name: String, distance: Int)? = nil
    for candidate in candidates {
        let d = editDistance(name, candidate)
        if best == nil || d < best!.distance { best = (candidate, d) }
    }
    guard let best, best.distance <= Swift.max(1, name.count / 3) else { return nil }
    return best.name
}

/// Levenshtein distance between two strings, by Characters.
package func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return Swift.max(a.count, b.count) }
    var row = Array(0...b.count)
    for i in 1...a.count {
        var previous = row[0]
        row[0] = i
        for j in 1...b.count {
            let current = row[j]
            row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
            previous = current
        }
    }
    return row[b.count]
}
