import Foundation

/// One line of progress on stderr: redrawn in place on a terminal (at most ten times a second),
/// a plain line per new heading otherwise, nothing when quiet or when stdout carries JSON to a
/// terminal-less consumer that asked for silence.
final class StatusLine: @unchecked Sendable {
    // @unchecked Sendable: every field is guarded by `lock`; updates come from worker threads.
    private let live: Bool
    private let enabled: Bool
    private let lock = NSLock()
    private var shown = false
    private var lastDraw = Date.distantPast
    private var lastHeading = ""

    init(enabled: Bool = true) {
        self.enabled = enabled
        live = isatty(STDERR_FILENO) != 0
    }

    /// Shows `heading` and an optional count; off a terminal only a new heading is printed.
    func update(_ heading: String, detail: String = "", force: Bool = false) {
        guard enabled else { return }
        lock.lock()
        defer { lock.unlock() }
        if live {
            let now = Date()
            guard force || heading != lastHeading || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
            lastDraw = now
            lastHeading = heading
            let text = detail.isEmpty ? heading : "\(heading)  \(detail)"
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            shown = true
        } else if heading != lastHeading {
            lastHeading = heading
            FileHandle.standardError.write(Data("\(heading)\n".utf8))
        }
    }

    /// Clears the line, so what follows starts on a clean one.
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if live, shown { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        shown = false
        lastHeading = ""
    }
}
