import Agent
import ArgumentParser
import Foundation
import Knowledge
import LLMAlpha
import MarketData

struct AgentWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Work on a run's iterations with other workers sharing the knowledge base.",
        discussion: reflow("""
            A run started with `agent research --distributed` (or --workers N) is a list
            of iterations in the knowledge base. Each worker claims the next one (FOR
            UPDATE SKIP LOCKED on PostgreSQL: workers never wait on each other), evaluates
            it exactly as `agent research` would, records it, and claims the next, until
            none is left; the last worker out ends the run. Start as many as you like, on
            as many machines as share a PostgreSQL knowledge base (--kb postgres://...).

            A worker heartbeats every --heartbeat seconds. A claim whose heartbeat is
            older than --grace seconds (a machine that died, a killed process) is taken
            over by the next worker that asks; the takeover is counted, and a trial
            repeated by the taker has the same id as the first, so nothing counts twice.
            Ctrl-C gives the claim back at once and exits 130.

            The worker uses the run's own settings, proposer and data (downloaded as
            `agent research` does, or read from --data-dir): bars that differ from the
            ones the run was planned on are refused, naming the file. Language-model keys
            come from this machine's environment or .env.

            Examples:
              llmalpha agent worker --kb postgres://team@db:5432/research
              llmalpha agent worker --kb postgres://team@db:5432/research --run R012 --jobs 4
              while true; do llmalpha agent worker --kb "$URL" --wait; sleep 5; done

            Exit status: 0 no work left, 2 usage, 4 data differs, 5 provider refused,
            6 knowledge base, 130 interrupted.
            """))

    @Option(name: .customLong("run"), help: ArgumentHelp("The run to work on (R012). (default: the newest run with work left)", valueName: "run"))
    var runID: String?

    @Option(help: ArgumentHelp("Seconds between heartbeats.", valueName: "s"))
    var heartbeat: Double = 5

    @Option(help: ArgumentHelp("Seconds without a heartbeat after which another worker takes a claim over.", valueName: "s"))
    var grace: Double = 60

    @Flag(help: "Without work, wait for a run to have some instead of exiting.")
    var wait = false

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var agent: AgentRunOptions

    func validate() throws {
        guard heartbeat > 0, heartbeat.isFinite else { throw ValidationError("--heartbeat must be a positive number of seconds") }
        guard grace > heartbeat, grace.isFinite else {
            throw ValidationError("--grace must be longer than --heartbeat (\(heartbeat) s), got \(grace)")
        }
        // The run's own settings decide these; a flag that would change them is refused, not ignored.
        let changed = [("-s", dataOptions.symbol != nil), ("-i", dataOptions.interval != nil), ("--data", dataOptions.data != nil),
                       ("--from", dataOptions.from != nil), ("--to", dataOptions.to != nil), ("--mode", agent.mode != nil),
                       ("--seed", agent.seed != nil), ("--trials", agent.trials != nil)].filter(\.1).map(\.0)
        if !changed.isEmpty {
            throw ValidationError("a worker uses its run's own settings; drop " + changed.joined(separator: ", "))
        }
    }

    func run() throws {
        let paths = ProjectPaths()
        let configuration = try dataOptions.loadConfiguration(paths: paths)
        let researcher = try agent.researcher(configuration, paths: paths)
        var target = runID
        if target == nil {
            target = try researcher.runWithOpenWork(grace: grace)
            while target == nil, wait {
                Thread.sleep(forTimeInterval: min(10, heartbeat * 2))
                target = try researcher.runWithOpenWork(grace: grace)
            }
        }
        guard let target else {
            Console.note("no research run has work left to claim (start one: llmalpha agent research --distributed -n 100\(agent.hintArguments))")
            return
        }
        // The run's bars from this machine's store, downloaded first when missing (as `agent
        // research` does; --no-download refuses instead). The run checks they are the same bars.
        let settings = try researcher.openKnowledge().run(target).settings
        if settings["data"] == nil, let symbols = settings["symbols"], let interval = settings["interval"] {
            let store = MarketStore(root: paths.dataDirectory(configuration.data.directory))
            researcher.bars = try symbols.split(separator: ",").map { symbol in
                try dataOptions.loadBars(BarsRequest(symbol: String(symbol), interval: interval), store: store)
            }
        }
        let stream = researcher.work(run: target, settings: WorkerSettings(heartbeat: heartbeat, grace: grace))
        try AgentSession(options: agent, resumeCommand: "llmalpha agent worker --run \(target)\(agent.hintArguments)")
            .perform(stream, researcher: researcher)
    }
}

/// `agent research --workers N`: N worker processes of this executable on one planned run, their
/// lines relayed with the worker's number, and the run's result at the end.
struct LocalWorkers {
    let count: Int
    let run: ResearchRun
    let knowledge: KnowledgeLocation
    let dataOptions: DataOptions
    let agent: AgentRunOptions

    /// The arguments every worker gets: the same knowledge base, configuration, data and proposer
    /// flags. Secrets (a URL with its password, an API key) go in ``environment()`` instead:
    /// other users can read a process's arguments.
    func arguments(jobs: Int) -> [String] {
        var args = ["agent", "worker", "--run", run.id, "--jobs", String(jobs)]
        if !knowledge.isShared { args += ["--kb", knowledge.database] }
        if let c = dataOptions.config { args += ["--config", c] }
        if let d = dataOptions.dataDirectory { args += ["--data-dir", d] }
        if dataOptions.noDownload { args.append("--no-download") }
        if let p = agent.provider { args += ["-p", p] }
        if let m = agent.model { args += ["-m", m] }
        if let b = agent.baseURL { args += ["--base-url", b] }
        if agent.noPromote { args.append("--no-promote") }
        if agent.noCache { args.append("--no-cache") }
        if let x = agent.earlyStopSharpe { args += ["--early-stop-sharpe", String(x)] }
        return args
    }

    /// This process's environment, plus the shared knowledge base's URL and the --api-key, which
    /// the workers read from there.
    func environment() -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        if knowledge.isShared { env["LLMALPHA_KNOWLEDGE_URL"] = knowledge.database }
        if let key = agent.apiKey {
            env[agent.provider == "anthropic" ? "ANTHROPIC_API_KEY" : "OPENAI_API_KEY"] = key
        }
        return env
    }

    /// Runs the workers to the end; returns the exit status of the first that failed, if any.
    func perform() throws -> Int32? {
        let executable = Self.executable()
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let jobs = agent.jobs ?? max(1, cores / count)
        var processes: [Process] = []
        let relay = LineRelay(quiet: agent.quiet)
        for n in 1...count {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = arguments(jobs: jobs)
            process.environment = environment()
            process.standardOutput = FileHandle.nullDevice
            let pipe = Pipe()
            process.standardError = pipe
            relay.attach(pipe, prefix: "w\(n)")
            do { try process.run() } catch {
                for started in processes { started.terminate() }
                throw CommandFailure(status: .scriptError, description: "cannot start worker \(n) (\(executable)): \(error)")
            }
            processes.append(process)
        }
        // The workers are in process groups of their own, so the terminal's Ctrl-C reaches only
        // this process: it is passed on (each worker gives its claim back), as is a SIGTERM from a
        // supervisor.
        let pids = processes.map(\.processIdentifier)
        let interrupt = InterruptHandler(repeatExits: false) { for pid in pids { kill(pid, SIGINT) } }
        defer { interrupt.cancel() }
        signal(SIGTERM, SIG_IGN)
        let terminate = DispatchSource.makeSignalSource(signal: SIGTERM, queue: .global())
        terminate.setEventHandler { for pid in pids { kill(pid, SIGTERM) } }
        terminate.resume()
        defer { terminate.cancel(); signal(SIGTERM, SIG_DFL) }
        var failed: Int32? = nil
        for process in processes {
            process.waitUntilExit()
            if process.terminationStatus != 0, failed == nil { failed = process.terminationStatus }
        }
        relay.finish()
        return failed
    }

    static func executable() -> String {
        #if os(Linux)
        if let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return path }
        #endif
        let first = CommandLine.arguments[0]
        return first.hasPrefix("/") ? first : (FileManager.default.currentDirectoryPath as NSString).appendingPathComponent(first)
    }
}

/// Copies workers' stderr lines to ours, each after its worker's name.
final class LineRelay: @unchecked Sendable {
    // @unchecked Sendable: `pending` is guarded by `lock`; handlers run on FileHandle's queues.
    private let lock = NSLock()
    private var pending: [ObjectIdentifier: Data] = [:]
    private var handles: [FileHandle] = []
    private let quiet: Bool

    init(quiet: Bool) { self.quiet = quiet }

    func attach(_ pipe: Pipe, prefix: String) {
        let handle = pipe.fileHandleForReading
        let key = ObjectIdentifier(handle)
        lock.withLock { handles.append(handle) }
        handle.readabilityHandler = { [self] h in
            let chunk = h.availableData
            lock.lock()
            defer { lock.unlock() }
            if chunk.isEmpty {
                h.readabilityHandler = nil
                if let rest = pending.removeValue(forKey: key), !rest.isEmpty { emit(rest, prefix) }
                return
            }
            var buffer = (pending[key] ?? Data()) + chunk
            while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                emit(buffer[buffer.startIndex..<newline], prefix)
                buffer = Data(buffer[(newline + 1)...])
            }
            pending[key] = buffer
        }
    }

    private func emit(_ line: Data, _ prefix: String) {
        let text = String(decoding: line, as: UTF8.self)
        // Errors always; progress lines unless --quiet.
        guard !quiet || text.hasPrefix("error") else { return }
        FileHandle.standardError.write(Data("[\(prefix)] \(text)\n".utf8))
    }

    func finish() {
        // Let the handlers drain what the workers wrote last.
        Thread.sleep(forTimeInterval: 0.2)
        lock.withLock { for h in handles { h.readabilityHandler = nil } }
    }
}
