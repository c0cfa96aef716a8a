import CEditLine
import Foundation

/// Where the REPL reads its lines: libedit on a terminal (editing, history, completion), plain
/// stdin otherwise, so `echo 'print(#d.close)' | llmalpha repl` works in scripts and tests.
protocol LineReader {
    /// The next line without its newline, Ctrl-C at the prompt, or the end of input (Ctrl-D).
    mutating func read(prompt: String) -> LineInput
    mutating func remember(_ entry: String)
    func close()
}

enum LineInput: Equatable {
    case line(String)
    /// Ctrl-C while the prompt waited: the typed line is dropped (the reader has shown `^C`).
    case interrupt
    case end
}

/// Non-terminal input: no prompts, no escape codes.
struct PlainLineReader: LineReader {
    mutating func read(prompt: String) -> LineInput { readLine(strippingNewline: true).map { .line($0) } ?? .end }
    mutating func remember(_ entry: String) {}
    func close() {}
}

/// libedit with persistent history and tab completion.
struct EditLineReader: LineReader {
    let historyFile: String?
    static let historyLength: Int32 = 1000

    init(historyFile: String?, completer: Completer) {
        self.historyFile = historyFile
        Completer.current = completer
        llma_editline_bind_interrupt(interruptKey)
        llma_editline_setup(completionGenerator)
        stifle_history(Self.historyLength)
        if let historyFile { _ = read_history(historyFile) }
    }

    mutating func read(prompt: String) -> LineInput {
        interruptPressed = false
        guard let raw = readline(prompt) else {
            guard interruptPressed else { return .end }
            Console.out("^C\n")
            return .interrupt
        }
        defer { free(raw) }
        return .line(String(cString: raw))
    }

    mutating func remember(_ entry: String) {
        guard !entry.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        _ = add_history(entry)
    }

    func close() {
        guard let historyFile else { return }
        _ = write_history(historyFile)
        chmod(historyFile, 0o600)
    }

    /// The history file in the user's data directory (`$XDG_DATA_HOME/llmalpha/history`, else
    /// `~/.local/share/llmalpha/history`; `LLMALPHA_HISTORY` overrides), created private to the user.
    /// nil when it cannot be created safely: the REPL then runs without history.
    static func historyPath(environment: [String: String]) -> String? {
        if let explicit = environment["LLMALPHA_HISTORY"] { return explicit.isEmpty ? nil : explicit }
        let base: String
        if let xdg = environment["XDG_DATA_HOME"], xdg.hasPrefix("/") { base = xdg }
        else if let home = environment["HOME"], home.hasPrefix("/") { base = home + "/.local/share" }
        else { return nil }
        let folder = base + "/llmalpha"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch { return nil }
        let path = folder + "/history"
        // Refuse a symlink planted where the history goes: it would redirect our writes.
        var info = stat()
        if lstat(path, &info) == 0, (info.st_mode & S_IFMT) != S_IFREG { return nil }
        if info.st_mode == 0 {
            let fd = open(path, O_CREAT | O_WRONLY | O_NOFOLLOW, 0o600)
            guard fd >= 0 else { return nil }
            Foundation.close(fd)
        }
        return path
    }
}

/// Set by the Ctrl-C key binding while readline() runs, read when it returns; both on the REPL's
/// thread (the binding is a key, not a signal handler).
nonisolated(unsafe) private var interruptPressed = false

/// libedit's binding for Ctrl-C at the prompt: note it and end the read.
private let interruptKey: @convention(c) (Int32, Int32) -> Int32 = { _, _ in
    interruptPressed = true
    llma_editline_end_read()
    return 0
}

/// libedit's completion callback: a plain C function, so it reaches the REPL's completer through
/// a static (libedit calls it on the REPL's own thread, between reads; nothing else touches it).
private let completionGenerator: llma_completion_generator = { text, state in
    guard let text else { return nil }
    if state == 0 {
        let word = String(cString: text)
        var before = ""
        if let line = llma_editline_line() {
            let bytes = Array(String(cString: line).utf8.prefix(Int(llma_editline_point())))
            before = String(decoding: bytes.dropLast(word.utf8.count), as: UTF8.self)
        }
        Completer.current?.prepare(word, after: before)
    }
    guard let next = Completer.current?.next() else { return nil }
    return strdup(next)
}
