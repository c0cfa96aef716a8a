import Foundation
import SyntheticMarket
import Testing

/// `llmalpha validate`, `run --validate` and `strategy promote|list` as a user runs them.
@Suite("llmalpha validate and strategy promote")
struct ValidateCommandTests {
    static let planted = try! String(contentsOf: CLI.projectRoot.appendingPathComponent("examples/planted_edge.lua"), encoding: .utf8)
    static let plantedData = CLI.projectRoot.appendingPathComponent("examples/planted-edge.csv")

    /// Quicker optimizer budgets for tests; every gate unchanged.
    static let fastConfig = """
        validation:
          trials: 20
          warmup_bars: 200
          rolling:
            trials: 5
        """

    static func scratch(_ body: (URL, [String: String], [String]) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("llmalpha-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        do {
            let env = KnowledgeCommandTests.environment(dir)
            CLI.write(planted, to: dir.appendingPathComponent("planted.lua"))
            CLI.write(fastConfig, to: dir.appendingPathComponent("fast.yaml"))
            let common = ["--data", plantedData.path, "--kb", dir.appendingPathComponent("kb.sqlite").path,
                          "--config", dir.appendingPathComponent("fast.yaml").path]
            try await body(dir, env, common)
        }
    }

    @Test("A planted edge validates, --promote opens the holdout once and writes the strategy with its record")
    func validateAndPromote() async throws {
        try await Self.scratch { dir, env, common in
            let script = dir.appendingPathComponent("planted.lua").path
            let report = dir.appendingPathComponent("verdict.html").path
            var r = try await CLI.run(["validate", script, "--promote", "--json", "--report", report] + common, environment: env)
            #expect(r.status == 0, "\(r.stderr)\n\(r.stdout)")
            // The report: the verdict, the walk-forward windows on the equity, the rolling windows; one self-contained file.
            let html = try String(contentsOfFile: report, encoding: .utf8)
            #expect(html.hasPrefix("<!DOCTYPE html>") && !html.contains("http://") && !html.contains("https://") && !html.contains("<script"))
            #expect(html.contains("Verdict: <span class=\"pos\">Validated</span>"))
            #expect(html.contains("<title>train</title>") && html.contains("<title>test</title>"))
            #expect(html.contains("Rolling windows: test Sharpe"))
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            #expect(doc["passed"] as? Bool == true)
            let symbols = try #require(doc["symbols"] as? [[String: Any]])
            #expect((symbols[0]["stages"] as? [[String: Any]])?.compactMap { $0["stage"] as? String }
                    == ["lookahead", "factor", "signal", "backtest", "walk_forward", "rolling", "honesty"])
            #expect((doc["lifetime_trials"] as? Int ?? 0) > 20)
            let promotion = try #require(doc["promotion"] as? [String: Any])
            #expect(promotion["strategy"] as? String == "S001" && promotion["passed"] as? Bool == true)

            // The strategy file runs as it is, with the chosen values as its defaults.
            let file = dir.appendingPathComponent("strategies").path
            let saved = try #require(try FileManager.default.contentsOfDirectory(atPath: file).first { $0.hasPrefix("S001-") })
            let text = try String(contentsOfFile: file + "/" + saved, encoding: .utf8)
            #expect(text.hasPrefix("-- llmalpha strategy S001: planted edge"))
            #expect(text.contains("-- holdout: opened ") && text.contains("never seen before: PASSED"))
            #expect(text.contains("-- smoothing of the hint, in bars"))   // comments stay where they were
            let chosen = try #require(promotion["parameters"] as? [String: String])
            #expect(text.contains("param.int(\"n\", 1, 48, \(chosen["n"]!))"))
            r = try await CLI.run(["run", file + "/" + saved, "--data", Self.plantedData.path, "--json"], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let run = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let values = (run["parameters"] as? [[String: Any]] ?? []).map { p in
                "\(p["name"]!)=\((p["value"] as? String) ?? (p["value"] as? NSNumber).map { "\($0)" } ?? "?")"
            }
            #expect(values.contains("n=\(chosen["n"]!)") && values.contains("side=\(chosen["side"]!)"), "\(values) vs \(chosen)")

            // The holdout opens once.
            r = try await CLI.run(["strategy", "promote", "H001", "--kb", common[3]], environment: env)
            #expect(r.status == 2)
            #expect(r.stderr.contains("H001: its locked holdout was already opened on ") && r.stderr.contains("for S001"), "\(r.stderr)")
            r = try await CLI.run(["strategy", "list", "--kb", common[3]], environment: env)
            #expect(r.status == 0 && r.stdout.contains("S001  H001") && r.stdout.contains("passed"), "\(r.stdout)")
            r = try await CLI.run(["kb", "show", "H001", "--kb", common[3], "--json"], environment: env)
            #expect(r.stdout.contains("\"status\" : \"validated\""), "\(r.stdout.prefix(400))")

            // Validating H001 again is no copy of its own strategy, recorded or not; its holdout stays spent.
            r = try await CLI.run(["validate", script] + common, environment: env)
            #expect(r.status == 0, "\(r.stdout)")
            #expect(r.stdout.contains("holdout     already opened on "), "\(r.stdout)")
            r = try await CLI.run(["validate", script, "--no-record"] + common, environment: env)
            #expect(r.status == 0, "\(r.stdout)")

            // A copy of a saved strategy is no new knowledge: rejected for its correlation with S001.
            let copy = dir.appendingPathComponent("copy.lua")
            CLI.write(Self.planted + "\n-- the same idea again\n", to: copy)
            r = try await CLI.run(["validate", copy.path, "--json"] + common, environment: env)
            #expect(r.status == 7, "\(r.stderr)")
            let again = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            let reason = try #require(again["reason"] as? [String: Any])
            #expect(reason["code"] as? String == "honesty.self_correlation", "\(reason)")
            #expect((reason["message"] as? String)?.contains("with S001 (planted edge)") == true, "\(reason)")
        }
    }

    @Test("A rejection exits 7 with the stage table and a reason a person can act on; nothing is promoted")
    func rejection() async throws {
        try await Self.scratch { dir, env, common in
            let noise = dir.appendingPathComponent("noise.lua")
            CLI.write(Self.planted.replacingOccurrences(of: "d.hint", with: "d.noise"), to: noise)
            let r = try await CLI.run(["validate", noise.path, "--promote"] + common, environment: env)
            #expect(r.status == 7, "\(r.stderr)")
            #expect(r.stdout.contains("  stage         result  measured (threshold)"))
            #expect(r.stdout.contains("verdict     REJECTED at factor ("), "\(r.stdout)")
            #expect(r.stdout.contains("recorded    trial "))
            #expect(r.stderr.contains("not promoted: the hypothesis was rejected"))
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("strategies").path))
        }
    }

    @Test("examples/planted-edge.csv is exactly what SyntheticMarket makes")
    func plantedDataIsReproducible() throws {
        let committed = try String(contentsOf: Self.plantedData, encoding: .utf8)
        #expect(committed == SyntheticMarket.csv(SyntheticMarket.bars(count: 12_000, seed: 11, edge: 0.12)))
    }

    @Test("run --validate is validate --mode quick")
    func runValidate() async throws {
        try await Self.scratch { dir, env, common in
            let r = try await CLI.run(["run", dir.appendingPathComponent("planted.lua").path, "--validate", "--json"] + common, environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            #expect(doc["mode"] as? String == "quick" && doc["passed"] as? Bool == true)
        }
    }

    @Test("Bad input: one line, a documented status, nothing recorded as passed", arguments: [
        (["examples/hello.lua", "--mode", "quick", "--no-record"], Int32(1), "validate --mode quick needs factor(d) and signal(d, f)"),
        (["strategies/rsi_mr.lua", "--from", "2024-10-01", "--no-record"], Int32(4), "needs at least 4,320 bars before the locked holdout"),
        (["strategies/rsi_mr.lua", "--from", "2026-01-01", "--no-record"], Int32(4), "inside the locked holdout"),
        (["strategies/rsi_mr.lua", "--mode", "sometimes"], Int32(2), "--mode must be quick, full, wf_only or rolling_only"),
        (["strategies/rsi_mr.lua", "--promote", "--no-record"], Int32(2), "--promote needs the verdict recorded"),
        (["nope.lua"], Int32(2), "nope.lua: no such script"),
    ])
    func badInput(arguments: [String], status: Int32, message: String) async throws {
        let r = try await CLI.run(["validate"] + arguments)
        #expect(r.status == status, "\(r.stderr)")
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").filter { $0.lowercased().hasPrefix("error:") }.count == 1, "\(r.stderr)")
    }

    @Test("A knowledge base that is not ours is refused before any work, and left untouched")
    func foreignKnowledgeBase() async throws {
        try await Self.scratch { dir, env, common in
            let kb = dir.appendingPathComponent("kb.sqlite")
            CLI.write("not a database at all", to: kb)
            let r = try await CLI.run(["validate", dir.appendingPathComponent("planted.lua").path] + common, environment: env)
            #expect(r.status == 6, "\(r.stderr)")
            #expect(r.stderr.contains("not a SQLite database; refusing to touch it"))
            #expect(try String(contentsOf: kb, encoding: .utf8) == "not a database at all")
        }
    }

    @Test("Ctrl-C during the optimizer exits 130 within seconds and records nothing as passed")
    func interrupt() async throws {
        try await Self.scratch { dir, env, common in
            let outcome = try await CLI.offPool { () throws -> (Int32, TimeInterval) in
                let process = Process()
                process.executableURL = CLI.binary
                process.arguments = ["validate", dir.appendingPathComponent("planted.lua").path, "--trials", "400"] + common
                process.currentDirectoryURL = CLI.projectRoot
                var environment = ProcessInfo.processInfo.environment
                for (k, v) in env { environment[k] = v }
                process.environment = environment
                let err = Pipe()
                process.standardOutput = FileHandle.nullDevice
                process.standardError = err
                try process.run()
                // Wait until the walk-forward optimizer is running (progress lines on stderr).
                var seen = ""
                while !seen.contains("walk-forward") {
                    let chunk = err.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    seen += String(decoding: chunk, as: UTF8.self)
                }
                let sent = Date()
                process.interrupt()
                process.waitUntilExit()
                return (process.terminationStatus, Date().timeIntervalSince(sent))
            }
            #expect(outcome.0 == 130)
            #expect(outcome.1 < 5)
            let stats = try await CLI.run(["kb", "stats", "--kb", common[3], "--json"], environment: env)
            let doc = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [String: Any])
            #expect(doc["passed_trials"] as? Int == 0, "\(stats.stdout.prefix(300))")
        }
    }

    @Test("strategy promote without a passed validation says what to run first")
    func promoteWithoutValidation() async throws {
        try await Self.scratch { dir, env, common in
            var r = try await CLI.run(["run", dir.appendingPathComponent("planted.lua").path, "--record", "--kb", common[3],
                                 "--data", common[1]], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            r = try await CLI.run(["strategy", "promote", "H001", "--kb", common[3]], environment: env)
            #expect(r.status == 2)
            #expect(r.stderr.contains("H001 has no passed full validation to promote (hint: llmalpha validate"), "\(r.stderr)")
        }
    }
}
