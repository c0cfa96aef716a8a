/// A line chart drawn with Unicode braille (2×4 dots a cell), for `.plot` in the REPL.
enum TerminalChart {
    /// - Parameters:
    ///   - width: characters of plot area; `height` rows of it.
    /// - Returns: the chart with the max and min on the left and the bar range under it; a note
    ///   when there is nothing to draw.
    static func render(_ values: [Double], title: String, width: Int = 64, height: Int = 10) -> String {
        let finite = values.enumerated().filter { $0.element.isFinite }
        guard let low = finite.map(\.element).min(), let high = finite.map(\.element).max() else {
            return "\(title): nothing to plot (all NaN)"
        }
        let columns = width * 2, rows = height * 4
        var dots = [[Bool]](repeating: [Bool](repeating: false, count: columns), count: rows)
        let span = high > low ? high - low : 1
        func row(_ v: Double) -> Int { min(rows - 1, max(0, Int(((high - v) / span * Double(rows - 1)).rounded()))) }
        // Each column covers a bucket of bars: draw the bucket's range, joined to the previous one.
        var previous: Int? = nil
        for c in 0..<columns {
            let start = c * values.count / columns, end = max(start + 1, (c + 1) * values.count / columns)
            let bucket = values[start..<min(end, values.count)].filter(\.isFinite)
            guard let lo = bucket.min(), let hi = bucket.max() else { previous = nil; continue }
            var top = row(hi), bottom = row(lo)
            if let p = previous { top = min(top, p); bottom = max(bottom, p) }
            for r in top...bottom { dots[r][c] = true }
            previous = row(bucket.last!)
        }
        // Braille: dot bits per (row in cell, column in cell).
        let bits: [[UInt32]] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]]
        let labelWidth = max(format(high).count, format(low).count)
        var lines = [title]
        for cellRow in 0..<height {
            var line = ""
            for cellColumn in 0..<width {
                var code: UInt32 = 0x2800
                for dy in 0..<4 { for dx in 0..<2 where dots[cellRow * 4 + dy][cellColumn * 2 + dx] { code |= bits[dy][dx] } }
                line.unicodeScalars.append(Unicode.Scalar(code)!)
            }
            let label = cellRow == 0 ? format(high) : (cellRow == height - 1 ? format(low) : "")
            lines.append(String(repeating: " ", count: labelWidth - label.count) + label + " ┤" + line)
        }
        let nan = values.count - finite.count
        lines.append(String(repeating: " ", count: labelWidth + 2) + "bars 1…\(values.count)" + (nan > 0 ? "  (\(nan) NaN not drawn)" : ""))
        return lines.joined(separator: "\n")
    }

    static func format(_ x: Double) -> String {
        let a = abs(x)
        if a >= 1e5 || (a < 1e-3 && a > 0) { return String(format: "%.3g", x) }
        return String(format: a >= 100 ? "%.1f" : "%.4g", x)
    }
}
