import Foundation

/// Runs the built `llmalpha` binary as a user would, from the project root.
enum CLI {
    static let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized

    /// The binary sits beside the test bundle in the build folder.
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("llmalpha")
    }

    struct Outcome {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
                    stdin: URL? = nil) throws -> Outcome {
        try runThrough(binary.path, arguments, environment: environment, directory: directory, stdin: stdin)
    }

    /// The same for async tests: the wait happens on a thread of its own, so a long command does
    /// not hold one of Swift's cooperative threads (which other tests' fake servers need).
    static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil,
                    stdin: URL? = nil) async throws -> Outcome {
        try await offPool { try runThrough(binary.path, arguments, environment: environment, directory: directory, stdin: stdin) }
    }

    /// Runs blocking work (waiting for a process) on a thread of its own and awaits it.
    static func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let result: Result<T, any Error> = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: Result { try body() }) }.start()
        }
        return try result.get()
    }

    /// Starts the binary without waiting; its output is discarded, or its stderr written to `stderr`.
    static func start(_ arguments: [String], environment: [String: String] = [:], stderr: URL? = nil, stdout: URL? = nil) throws -> Process {
        let process = prepared(binary.path, arguments, environment: environment, directory: nil)
        if let stdout {
            FileManager.default.createFile(atPath: stdout.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: stdout)
        } else {
            process.standardOutput = FileHandle.nullDevice
        }
        if let stderr {
            FileManager.default.createFile(atPath: stderr.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: stderr)
        } else {
            process.standardError = FileHandle.nullDevice
        }
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    private static func prepared(_ executable: String, _ arguments: [String], environment: [String: String],
                                 directory: URL?) -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? projectRoot
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        // Tests never reach the internet: a download a test did not ask for is refused on loopback.
        env["LLMALPHA_BINANCE_URL"] = "http://127.0.0.1:1"
        for (k, v) in environment { env[k] = v }
        process.environment = env
        return process
    }

    /// Runs `executable` (the binary, or a wrapper such as setpriv that runs it).
    static func runThrough(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                           directory: URL? = nil, stdin: URL? = nil) throws -> Outcome {
        let process = prepared(executable, arguments, environment: environment, directory: directory)
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = try stdin.map { try FileHandle(forReadingFrom: $0) } ?? FileHandle.nullDevice
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()   // each written by one task, read after group.wait()
        DispatchQueue.global().async(group: group) { outData = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: group) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        group.wait()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                       stderr: String(decoding: errData, as: UTF8.self))
    }

    /// A scratch folder removed after `body`.
    static func withScratch<T>(_ body: (URL) throws -> T) rethrows -> T {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-cli-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try body(folder)
    }

    /// Starts `llmalpha-fake-exchange` on a free port with these arguments; its base URL.
    static func startFakeExchange(_ arguments: [String]) throws -> (process: Process, url: String) {
        let server = Process()
        server.executableURL = binary.deletingLastPathComponent().appendingPathComponent("llmalpha-fake-exchange")
        server.arguments = ["--port", "0"] + arguments
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        // The first line is the base URL.
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        return (server, String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    static func write(_ text: String, to url: URL) {
        FileManager.default.createFile(atPath: url.path, contents: Data(text.utf8))
    }
}
