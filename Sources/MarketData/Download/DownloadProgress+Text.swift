import Foundation

/// The text of a download's progress on stderr: a block of per-symbol lines redrawn in place on a
/// TTY (``liveLines()``), or plain lines, one per finished file and symbol, otherwise (``plainLines()``).
extension DownloadProgress {
    /// One line per symbol, then a total line, all without ANSI codes and padded to line up.
    ///
    /// ```
    /// BTCUSDT     5/12 files       1,488/2,208 bars     1.2 MiB  ETA 4 s
    /// ETHUSDT    12/12 files       2,208/2,208 bars     1.1 MiB  done in 3 s
    /// total      17/24 files       3,696/4,416 bars     2.3 MiB  ETA 4 s
    /// ```
    package func liveLines() -> [String] {
        let width = max(5, symbols.map(\.symbol.count).max() ?? 0)
        var lines = symbols.map { s in
            let status = s.finishedAfter.map { "done in \(Self.seconds($0, roundUp: false))" }
                ?? s.eta(elapsed: elapsed).map { "ETA \(Self.seconds($0))" } ?? ""
            return Self.line(name: s.symbol, width: width, done: s.doneFiles, total: s.totalFiles, rows: s.rows,
                             planned: s.plannedRows, bytes: s.bytes, status: status)
        }
        if symbols.count > 1 {
            let status = eta.map { "ETA \(Self.seconds($0))" } ?? (doneFiles >= totalFiles && totalFiles > 0 ? "done" : "")
            lines.append(Self.line(name: "total", width: width, done: doneFiles, total: totalFiles, rows: rows, planned: plannedRows,
                                   bytes: bytes, status: status))
        }
        return lines
    }

    /// The plain lines this event adds: the plan, a finished file (and its symbol when that was its
    /// last file), or a wait.
    ///
    /// ```
    /// BTCUSDT 1h BTCUSDT-1h-2025-01.csv: 744 bars from monthly-zip (3/12 files, 120.0 KiB)
    /// BTCUSDT done: 12 files, 2,208 bars, 1.2 MiB in 3.4 s
    /// ```
    package func plainLines() -> [String] {
        switch event {
        case .planned:
            let list = symbols.map { "\($0.symbol) \($0.totalFiles) file\($0.totalFiles == 1 ? "" : "s")" }.joined(separator: ", ")
            return ["planned: \(list) (about \(Self.count(plannedRows)) bars)"]
        case .waiting(let reason):
            return [reason]
        case let .fileDone(name, kind, rows, source):
            guard let s = symbols.first(where: { $0.symbol == symbol }) else { return [] }
            let what = source == "skipped" ? "verified earlier, skipped" : "from \(source)"
            var lines = ["\(symbol) \(kind) \(name): \(Self.count(rows)) \(kind == "funding" ? "settlements" : kind == "oi" ? "rows" : "bars") \(what) "
                         + "(\(s.doneFiles)/\(s.totalFiles) files, \(Self.size(s.bytes)))"]
            if s.isFinished {
                lines.append("\(symbol) done: \(s.totalFiles) file\(s.totalFiles == 1 ? "" : "s"), \(Self.count(s.rows)) bars, "
                             + "\(Self.size(s.bytes)) in \(Self.seconds(s.finishedAfter ?? elapsed, roundUp: false))")
            }
            return lines
        }
    }

    private static func line(name: String, width: Int, done: Int, total: Int, rows: Int, planned: Int, bytes: Int, status: String) -> String {
        let files = "\(done)/\(total) files"
        let bars = "\(count(rows))/\(count(planned)) bars"
        let text = name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + pad(files, 13) + "  " + pad(bars, 21) + "  "
            + pad(size(bytes), 10) + (status.isEmpty ? "" : "  " + status)
        return text
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
    }

    /// `1,488`.
    static func count(_ n: Int) -> String {
        let digits = String(abs(n))
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// `812 B`, `120.0 KiB`, `1.2 MiB`.
    static func size(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KiB", Double(bytes) / 1024) }
        return String(format: "%.1f MiB", Double(bytes) / 1_048_576)
    }

    /// `4 s`, `2 min 05 s`; an ETA rounds up, a duration to the nearest second.
    static func seconds(_ value: Double, roundUp: Bool = true) -> String {
        let s = Int(roundUp ? value.rounded(.up) : value.rounded())
        return s < 60 ? "\(s) s" : String(format: "%d min %02d s", s / 60, s % 60)
    }
}
