import Foundation
import Testing

/// `llmalpha agent research | improve | status | analyze` as a user runs them.
@Suite("llmalpha agent")
struct AgentCommandTests {
    static let plantedData = CLI.projectRoot.appendingPathComponent("examples/planted-edge.csv")

    static func scratch(_ body: (URL, [String: String], String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-agent-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try await body(dir, KnowledgeCommandTests.environment(dir), dir.appendingPathComponent("kb.sqlite").path)
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], "not JSON: \(text)")
    }

    @Test("research on a planted edge: a line per hypothesis, a validated strategy, the JSON document; then status, analyze, improve")
    func researchStatusAnalyzeImprove() async throws {
        try await Self.scratch { dir, env, kb in
            var r = try await CLI.run(["agent", "research", "--data", Self.plantedData.path, "-r", "hint", "-n", "8", "--kb", kb, "--json"],
                                      environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try Self.json(r.stdout)
            for key in ["run", "iterations", "hypotheses", "trials", "validated", "strategies", "best", "results"] {
                #expect(doc[key] != nil, "missing \(key)")
            }
            #expect(doc["run"] as? String == "R001")
            #expect((doc["validated"] as? Int ?? 0) >= 1, "\(r.stdout)")
            let files = try #require(doc["strategies"] as? [String])
            let file = try #require(files.first)
            #expect(FileManager.default.fileExists(atPath: file.hasPrefix("/") ? file : CLI.projectRoot.appendingPathComponent(file).path))
            #expect((doc["best"] as? [String: Any])?["test_sharpe"] as? Double ?? 0 >= 1.5)
            // Without a terminal: the provider said once, then one plain line per finished hypothesis.
            #expect(r.stderr.contains("provider: offline generator"))
            #expect(r.stderr.contains("[1/8] H001 "))
            #expect(!r.stderr.contains("\u{1B}["))
            let hypotheses = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("hypotheses").path)
            #expect(hypotheses.count == doc["hypotheses"] as? Int)

            r = try await CLI.run(["agent", "status", "--kb", kb, "--json"], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let status = try Self.json(r.stdout)
            #expect(status["run"] as? String == "R001")
            #expect(status["state"] as? String == "finished")
            #expect((status["stop_reason"] as? String)?.hasPrefix("early stop") == true)
            #expect((status["steps"] as? [Any])?.count == doc["iterations"] as? Int)
            r = try await CLI.run(["agent", "status", "--kb", kb], environment: env)
            #expect(r.stdout.hasPrefix("R001: finished"))
            #expect(r.stdout.contains("best: H0"))

            r = try await CLI.run(["agent", "analyze", "--kb", kb, "--json"], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let analysis = try Self.json(r.stdout)
            #expect((analysis["validated"] as? Int ?? 0) >= 1)
            #expect(!((analysis["suggestions"] as? [String]) ?? []).isEmpty)
            r = try await CLI.run(["agent", "analyze", "--kb", kb], environment: env)
            #expect(r.stdout.contains("Suggestions:"))

            // Without data flags, improve runs on the data H001 was researched on (the planted CSV).
            r = try await CLI.run(["agent", "improve", "H001", "-n", "1", "--kb", kb, "--json", "--mode", "quick"], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let improved = try Self.json(r.stdout)
            let results = try #require(improved["results"] as? [[String: Any]])
            #expect(results.count == 1)
            #expect(results[0]["parent"] as? String == "H001")
            #expect(results[0]["action"] as? String == "refine")
            #expect(results[0]["verdict"] as? String != "invalid", "\(results[0])")

            // Every run has finished: a bare --resume says so; flags that would change a run are refused.
            r = try await CLI.run(["agent", "research", "--resume", "--kb", kb], environment: env)
            #expect(r.status == 2 && r.stderr.contains("no unfinished research run"), "\(r.stderr)")
            r = try await CLI.run(["agent", "research", "--resume", "R001", "-c", "funding", "--kb", kb], environment: env)
            #expect(r.status == 2 && r.stderr.contains("drop -c"), "\(r.stderr)")
        }
    }

    @Test("-c open_interest on a store without it downloads open interest over the bars' span, then researches it")
    func categoryDownloadsItsColumn() async throws {
        let (server, url) = try CLI.startFakeExchange([])
        defer { server.terminate(); server.waitUntilExit() }
        try await Self.scratch { dir, env, kb in
            var env = env
            env["LLMALPHA_BINANCE_URL"] = url
            let store = dir.appendingPathComponent("store")
            var r = try await CLI.run(["data", "download", "-s", "BTC", "-m", "1", "--funding", "--data-dir", store.path, "--quiet"],
                                      environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            r = try await CLI.run(["agent", "research", "-c", "open_interest", "-n", "2", "--mode", "quick", "--data-dir", store.path,
                                   "--kb", kb, "--json"], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("downloading its open interest"), "\(r.stderr)")
            #expect(r.stderr.contains("open interest: change persistence"), "the profile saw no open interest: \(r.stderr)")
            #expect(FileManager.default.fileExists(atPath: store.appendingPathComponent("binance-um/BTCUSDT/oi").path))
            let doc = try Self.json(r.stdout)
            #expect(doc["hypotheses"] as? Int == 2)
        }
    }

    @Test("Bad requests: one line, exit 2, nothing recorded")
    func badRequests() async throws {
        try await Self.scratch { _, env, kb in
            var r = try await CLI.run(["agent", "research", "-c", "open_interest", "-n", "1", "--no-download", "--kb", kb], environment: env)
            #expect(r.status == 2)
            #expect(r.stderr.contains("d.open_interest") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            // Allowed to download, but Binance cannot be reached (the tests' refused port): one line, exit 5.
            r = try await CLI.run(["agent", "research", "-c", "open_interest", "-n", "1", "--kb", kb], environment: env)
            #expect(r.status == 5 && r.stderr.contains("has no open_interest, and downloading it failed"), "\(r.stderr)")
            r = try await CLI.run(["agent", "research", "-c", "astrology", "--kb", kb], environment: env)
            #expect(r.status == 2 && r.stderr == "error: -c must be one of momentum, mean_reversion, breakout, volatility, funding, "
                    + "open_interest, volume, got 'astrology' (see 'llmalpha agent research --help')\n", "\(r.stderr)")
            r = try await CLI.run(["agent", "research", "--iterations", "three", "--kb", kb], environment: env)
            #expect(r.status == 2 && r.stderr.hasPrefix("error: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            var keyless = env
            keyless["OPENAI_API_KEY"] = ""
            r = try await CLI.run(["agent", "research", "-p", "openai", "-n", "1", "--kb", kb], environment: keyless)
            #expect(r.status == 2 && r.stderr.contains("no API key; set OPENAI_API_KEY"), "\(r.stderr)")
            r = try await CLI.run(["agent", "improve", "H042", "--kb", kb], environment: env)
            #expect(r.status == 2 && r.stderr.contains("H042"), "\(r.stderr)")
            r = try await CLI.run(["agent", "research", "--resume", "--kb", kb], environment: env)
            #expect(r.status == 2 && r.stderr.contains("no research run"), "\(r.stderr)")
            r = try await CLI.run(["agent", "status", "--kb", kb], environment: env)
            #expect(r.status == 2 && r.stderr.contains("no research run"), "\(r.stderr)")
        }
    }

    @Test("Ctrl-C ends the run as interrupted with exit 130; --resume finishes it without counting a trial twice")
    func interruptAndResume() async throws {
        try await Self.scratch { dir, env, kb in
            let log = dir.appendingPathComponent("research.log"), output = dir.appendingPathComponent("research.json")
            let process = try CLI.start(["agent", "research", "--data", Self.plantedData.path, "-n", "400", "--kb", kb,
                                         "--early-stop-sharpe", "0", "--json"], environment: env, stderr: log, stdout: output)
            // Wait until at least one iteration is recorded, then press Ctrl-C. A loaded machine may
            // take minutes over the first full-mode iteration; the wait ends as soon as it is done.
            let deadline = Date().addingTimeInterval(300)
            var iterations = 0
            while Date() < deadline, process.isRunning {
                let r = try await CLI.run(["agent", "status", "--kb", kb, "--json"], environment: env)
                if r.status == 0, let doc = try? Self.json(r.stdout), let i = doc["iteration"] as? Int, i >= 1 { iterations = i; break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let ended = process.isRunning ? "" : "exit \(process.terminationStatus): " + ((try? String(contentsOf: log, encoding: .utf8)) ?? "")
            try #require(process.isRunning, "the run ended before it could be interrupted (\(ended))")
            #expect(iterations >= 1)
            process.interrupt()
            process.waitUntilExit()
            #expect(process.terminationStatus == 130)
            var r = try await CLI.run(["agent", "status", "--kb", kb, "--json"], environment: env)
            let status = try Self.json(r.stdout)
            #expect(status["state"] as? String == "interrupted")
            let done = status["iteration"] as? Int ?? 0
            #expect(done < 400)
            // --json still prints its document: the run as far as it went.
            let partial = try Self.json(String(contentsOf: output, encoding: .utf8))
            #expect(partial["state"] as? String == "interrupted" && partial["stop_reason"] as? String == "interrupted")
            #expect(partial["iterations"] as? Int == done, "\(partial)")

            r = try await CLI.run(["agent", "research", "--resume", "--kb", kb, "-n", String(done + 2), "--json"], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let resumed = try Self.json(r.stdout)
            #expect(resumed["run"] as? String == "R001")
            #expect(resumed["iterations"] as? Int == done + 2)
            #expect(r.stderr.contains("resuming R001"))
            // Every trial the run counts is in the ledger once.
            r = try await CLI.run(["kb", "stats", "--kb", kb, "--json"], environment: env)
            let stats = try Self.json(r.stdout)
            #expect(stats["trials"] as? Int == resumed["trials"] as? Int, "\(r.stdout)")
        }
    }
}
