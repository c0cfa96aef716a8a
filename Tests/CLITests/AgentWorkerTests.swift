import Foundation
import LLMAlpha
import Testing
@testable import Knowledge
@testable import llmalpha

/// `agent research --workers | --distributed` and `agent worker` as processes on one run, and
/// histories moved between a SQLite file and a shared PostgreSQL knowledge base.
@Suite("llmalpha agent worker and the shared knowledge base")
struct AgentWorkerTests {
    static var postgresURL: String? { ProcessInfo.processInfo.environment["LLMALPHA_TEST_POSTGRES_URL"] }
    static var hasPostgres: Bool { postgresURL != nil || ProcessInfo.processInfo.environment["CI"] == "true" }

    /// A fresh database on the test server (dropped afterwards), with a scratch folder for scripts.
    static func shared(_ body: (URL, [String: String], String) async throws -> Void) async throws {
        let server = try #require(postgresURL, "set LLMALPHA_TEST_POSTGRES_URL (scripts/test does)")
        let url = try PostgresScratch.create(besides: server)
        defer { PostgresScratch.drop(url, server: server) }
        try await AgentCommandTests.scratch { dir, env, _ in try await body(dir, env, url) }
    }

    static func wait(_ processes: [Process], seconds: Double = 600) async throws {
        try await CLI.offPool {
            let deadline = Date().addingTimeInterval(seconds)
            while processes.contains(where: \.isRunning), Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            for p in processes where p.isRunning { p.terminate() }
        }
    }

    static func open(_ url: String, _ dir: URL) throws -> KnowledgeBase {
        try KnowledgeBase.open(at: url, files: ScriptFiles(hypothesesDirectory: dir.appendingPathComponent("hypotheses").path,
                                                           strategiesDirectory: dir.appendingPathComponent("strategies").path,
                                                           root: dir.path), access: .read)
    }

    static func plan(_ url: String, iterations: Int, env: [String: String]) async throws -> String {
        let r = try await CLI.run(["agent", "research", "--distributed", "-n", String(iterations), "--mode", "quick", "--kb", url, "--json"],
                                  environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!r.stdout.contains("llmalpha-scratch") && !r.stderr.contains("llmalpha-scratch"), "a password was printed")
        return try #require(try AgentCommandTests.json(r.stdout)["run"] as? String)
    }

    @Test("Four worker processes on one run: every planned iteration once, no trial twice, one global count",
          .enabled(if: hasPostgres))
    func fourWorkers() async throws {
        try await Self.shared { dir, env, url in
            let run = try await Self.plan(url, iterations: 8, env: env)
            let workers = try (0..<4).map { n in
                try CLI.start(["agent", "worker", "--kb", url, "--run", run, "--jobs", "1"], environment: env,
                              stderr: dir.appendingPathComponent("worker\(n).log"))
            }
            try await Self.wait(workers)
            for (n, w) in workers.enumerated() {
                let log = (try? String(contentsOf: dir.appendingPathComponent("worker\(n).log"), encoding: .utf8)) ?? ""
                #expect(w.terminationStatus == 0, "worker \(n): \(log)")
            }
            let kb = try Self.open(url, dir)
            let status = try kb.workStatus(run: run)
            #expect(status.done == 8 && status.isComplete && status.takeovers == 0)
            #expect(status.workers.count == 4)
            #expect(status.workers.map(\.itemsDone).reduce(0, +) == 8)
            let finished = try kb.run(run)
            #expect(finished.state == .finished && finished.iteration == 8)
            // One final step per iteration; every trial they report is in the ledger, once.
            let steps = try kb.steps(run: run)
            let finals = Dictionary(grouping: steps, by: \.iteration).mapValues { $0.max { $0.attempt < $1.attempt }! }
            #expect(finals.keys.sorted() == Array(0..<8))
            let reported = finals.values.map(\.trials).reduce(0, +)
            let total = try kb.trialCount()
            #expect(total == reported && total > 0)
            #expect(finished.trials == reported)
            let uids = try kb.hypotheses().flatMap { try kb.trials(of: $0.id, limit: 10_000).map(\.uid) }
            #expect(uids.count == total && Set(uids).count == total)
        }
    }

    @Test("A worker killed with SIGKILL mid-claim: its iteration is taken over after the grace period and counted",
          .enabled(if: hasPostgres))
    func killedWorker() async throws {
        try await Self.shared { dir, env, url in
            let run = try await Self.plan(url, iterations: 3, env: env)
            let timing = ["--heartbeat", "0.5", "--grace", "3"]
            let victim = try CLI.start(["agent", "worker", "--kb", url, "--run", run] + timing, environment: env)
            let kb = try Self.open(url, dir)
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, victim.isRunning, try kb.workStatus(run: run).claimed == 0 {
                try await Task.sleep(for: .milliseconds(20))
            }
            try #require(victim.isRunning, "the worker ended before it could be killed")
            kill(victim.processIdentifier, SIGKILL)
            victim.waitUntilExit()
            let held = try kb.workStatus(run: run)
            #expect(held.claimed == 1 && held.workers.first?.state == .working)   // its claim outlives it

            let r = try await CLI.run(["agent", "worker", "--kb", url, "--run", run] + timing, environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("taken over from"), "\(r.stderr)")
            let status = try kb.workStatus(run: run)
            #expect(status.done == 3 && status.isComplete && status.takeovers == 1)
            #expect(try kb.run(run).state == .finished)
            let total = try kb.trialCount()
            let uids = try kb.hypotheses().flatMap { try kb.trials(of: $0.id, limit: 10_000).map(\.uid) }
            #expect(Set(uids).count == total)
        }
    }

    @Test("--workers 2 on one machine: both processes work one run, the summary is the run's")
    func localWorkers() async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            let r = try await CLI.run(["agent", "research", "--workers", "2", "-n", "4", "--mode", "quick", "--kb", kb], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("completed 4 iterations with 2 workers"), "\(r.stdout)\n\(r.stderr)")
            #expect(r.stderr.contains("[w1] ") && r.stderr.contains("[w2] "), "\(r.stderr)")
            let s = try await CLI.run(["agent", "status", "--kb", kb, "--json"], environment: env)
            let work = try #require(try AgentCommandTests.json(s.stdout)["work"] as? [String: Any])
            #expect(work["done"] as? Int == 4 && work["pending"] as? Int == 0)
            #expect((work["workers"] as? [Any])?.count == 2)
        }
    }

    @Test("A worker whose bars differ from the run's refuses, naming the file; nothing is claimed")
    func differentData() async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            let csv = dir.appendingPathComponent("bars.csv")
            try FileManager.default.copyItem(at: AgentCommandTests.plantedData, to: csv)
            var r = try await CLI.run(["agent", "research", "--distributed", "-n", "2", "--mode", "quick", "--data", csv.path, "--kb", kb],
                                      environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            var lines = try String(contentsOf: csv, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // One close near the end moved by 1%: inside the locked holdout, which promotions open.
            let row = lines.lastIndex { !$0.isEmpty }! - 2
            var fields = lines[row].split(separator: ",").map(String.init)
            fields[4] = String((Double(fields[4]) ?? 1) * 1.01)
            lines[row] = fields.joined(separator: ",")
            try lines.joined(separator: "\n").write(to: csv, atomically: true, encoding: .utf8)
            r = try await CLI.run(["agent", "worker", "--kb", kb], environment: env)
            #expect(r.status == 4, "\(r.stderr)")
            #expect(r.stderr.contains(csv.path) && r.stderr.contains("differs from the bars R001 was planned on"), "\(r.stderr)")
            let s = try await CLI.run(["agent", "status", "--kb", kb, "--json"], environment: env)
            let work = try #require(try AgentCommandTests.json(s.stdout)["work"] as? [String: Any])
            #expect(work["pending"] as? Int == 2)
        }
    }

    @Test("kb import moves a history from a SQLite file to PostgreSQL and back, once, scripts and all",
          .enabled(if: hasPostgres))
    func importAcrossStores() async throws {
        try await Self.shared { dir, env, url in
            let local = dir.appendingPathComponent("kb.sqlite").path
            var r = try await CLI.run(["agent", "research", "-n", "3", "--mode", "quick", "--kb", local], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            r = try await CLI.run(["kb", "import", local, "--kb", url, "--json"], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let joined = try AgentCommandTests.json(r.stdout)
            let added = try #require(joined["trials_added"] as? Int)
            #expect(added > 0 && joined["hypotheses_added"] as? Int == 3)
            r = try await CLI.run(["kb", "import", local, "--kb", url, "--json"], environment: env)
            #expect(try AgentCommandTests.json(r.stdout)["trials_added"] as? Int == 0)   // a second import adds nothing

            // A snapshot home, on a machine without the script files: they come from the database.
            let elsewhere = dir.appendingPathComponent("elsewhere")
            var otherEnv = env
            otherEnv["LLMALPHA_KNOWLEDGE_HYPOTHESES_DIR"] = elsewhere.appendingPathComponent("hypotheses").path
            otherEnv["LLMALPHA_KNOWLEDGE_STRATEGIES_DIR"] = elsewhere.appendingPathComponent("strategies").path
            let snapshot = elsewhere.appendingPathComponent("snapshot.sqlite").path
            r = try await CLI.run(["kb", "import", url, "--kb", snapshot, "--json"], environment: otherEnv)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(try AgentCommandTests.json(r.stdout)["trials_added"] as? Int == added)
            r = try await CLI.run(["kb", "check", "--kb", snapshot], environment: otherEnv)
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            r = try await CLI.run(["kb", "import", "snapshot.sqlite", "--kb", snapshot], environment: otherEnv, directory: elsewhere)
            #expect(r.status == 2 && r.stderr.contains("importing a knowledge base into itself"), "\(r.stderr)")
        }
    }

    @Test("Ctrl-C on a worker gives its claim back at once; a worker started later finishes the run")
    func interruptedWorker() async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            // Six iterations: the Ctrl-C comes during the first, however loaded the machine.
            var r = try await CLI.run(["agent", "research", "--distributed", "-n", "6", "--mode", "quick", "--kb", kb], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let log = dir.appendingPathComponent("worker.log")
            let worker = try CLI.start(["agent", "worker", "--kb", kb], environment: env, stderr: log)
            func work() async throws -> [String: Any] {
                let s = try await CLI.run(["agent", "status", "--kb", kb, "--json"], environment: env)
                return try AgentCommandTests.json(s.stdout)
            }
            // Watched through the knowledge base directly: a status command a poll would be too
            // slow on a loaded machine to catch the claim.
            let reader = try Self.open(kb, dir)
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline, worker.isRunning, (try? reader.workStatus(run: "R001").claimed) ?? 0 == 0 {
                try await Task.sleep(for: .milliseconds(10))
            }
            try #require(worker.isRunning, "the worker ended before it could be interrupted: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
            worker.interrupt()
            try await Self.wait([worker], seconds: 120)
            #expect(worker.terminationStatus == 130)
            var status = try await work()
            var items = try #require(status["work"] as? [String: Any])
            #expect(items["claimed"] as? Int == 0)
            #expect((items["pending"] as? Int ?? 0) + (items["done"] as? Int ?? 0) == 6)
            #expect((items["done"] as? Int ?? 6) < 6)
            #expect(status["state"] as? String == "interrupted")
            #expect((items["workers"] as? [[String: Any]])?.first?["state"] as? String == "stopped")

            r = try await CLI.run(["agent", "worker", "--kb", kb], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            status = try await work()
            items = try #require(status["work"] as? [String: Any])
            #expect(items["done"] as? Int == 6 && status["state"] as? String == "finished")
            r = try await CLI.run(["agent", "worker", "--kb", kb], environment: env)   // nothing left: says so, exits 0
            #expect(r.status == 0 && r.stderr.contains("no research run has work left"), "\(r.stderr)")
        }
    }

    @Test("A run for workers is not resumed by agent research --resume; it names agent worker")
    func resumeRefused() async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            var r = try await CLI.run(["agent", "research", "--distributed", "-n", "2", "--mode", "quick", "--kb", kb], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            r = try await CLI.run(["agent", "research", "--resume", "R001", "--kb", kb], environment: env)
            #expect(r.status == 2 && r.stderr.contains("R001 is a run for workers: continue it with llmalpha agent worker --run R001"),
                    "\(r.stderr)")
            r = try await CLI.run(["agent", "research", "--resume", "--kb", kb], environment: env)
            #expect(r.status == 2 && !r.stderr.contains("resuming"), "\(r.stderr)")
        }
    }

    @Test("--workers hands a password in the URL and --api-key to its workers in their environment, never their arguments")
    func secretsStayOutOfArguments() throws {
        let url = "postgres://team:s3cret@db.internal:5432/research"
        let agent = try AgentRunOptions.parse(["--kb", url, "--api-key", "sk-secret", "-p", "anthropic"])
        let data = try DataOptions.parse(["--data-dir", "/srv/data"])
        let paths = ProjectPaths()
        let location = KnowledgeLocation(configuration: Configuration.defaults, paths: paths, override: url)
        let run = try #require(try JSONDecoder().decode(ResearchRun.self, from: Data(#"""
            {"id": "R007", "uid": "u", "state": "running", "provider": "offline", "seed": 1, "settings": {}, "maxIterations": 2,
             "iteration": 0, "hypotheses": 0, "trials": 0, "validated": 0, "duplicates": 0, "consecutiveFailures": 0,
             "elapsedSeconds": 0, "spendUSD": 0, "host": "h", "pid": 1, "startedAt": "", "updatedAt": ""}
            """#.utf8)))
        let workers = LocalWorkers(count: 2, run: run, knowledge: location, dataOptions: data, agent: agent)
        let arguments = workers.arguments(jobs: 1).joined(separator: " ")
        #expect(arguments.contains("agent worker --run R007") && arguments.contains("--data-dir /srv/data"))
        #expect(!arguments.contains("s3cret") && !arguments.contains("sk-secret") && !arguments.contains("--kb"), "\(arguments)")
        let environment = workers.environment()
        #expect(environment["LLMALPHA_KNOWLEDGE_URL"] == url)
        #expect(environment["ANTHROPIC_API_KEY"] == "sk-secret")
        // A file is no secret: it goes as --kb.
        let file = LocalWorkers(count: 1, run: run, knowledge: KnowledgeLocation(configuration: Configuration.defaults, paths: paths,
                                                                                 override: "/tmp/kb.sqlite"),
                                dataOptions: data, agent: try AgentRunOptions.parse([]))
        #expect(file.arguments(jobs: 1).contains("/tmp/kb.sqlite"))
    }
}
