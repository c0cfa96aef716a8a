import Foundation
import Knowledge
import LLMAlpha
import Testing

/// `llmalpha kb ...` and `run --record`, as a user runs them: separate processes on one file.
@Suite("kb commands and run --record")
struct KnowledgeCommandTests {
    /// Keeps recorded scripts out of the checkout's hypotheses/ and strategies/.
    static func environment(_ folder: URL) -> [String: String] {
        ["LLMALPHA_KNOWLEDGE_HYPOTHESES_DIR": folder.appendingPathComponent("hypotheses").path,
         "LLMALPHA_KNOWLEDGE_STRATEGIES_DIR": folder.appendingPathComponent("strategies").path]
    }

    static func json(_ text: String) throws -> [String: Any] {
        try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("init, run --record, search, show, stats, export: one researcher's afternoon")
    func workflow() throws {
        try CLI.withScratch { folder in
            let kb = folder.appendingPathComponent("kb.sqlite").path
            let env = Self.environment(folder)
            var r = try CLI.run(["kb", "stats", "--kb", kb], environment: env)
            #expect(r.status == 6)
            #expect(r.stderr == "error: \(kb): no knowledge base here (create one with `llmalpha kb init`, or choose another with --kb)\n")
            r = try CLI.run(["kb", "init", "--kb", kb], environment: env)
            #expect(r.status == 0)
            r = try CLI.run(["kb", "init", "--kb", kb], environment: env)
            #expect(r.status == 6)

            r = try CLI.run(["run", "examples/rsi_reversion.lua", "--record", "--kb", kb], environment: env)
            #expect(r.status == 0)
            #expect(r.stderr.contains("recorded trial 1 of H001 ("))
            r = try CLI.run(["run", "examples/rsi_reversion.lua", "--record", "--kb", kb, "--param", "period=21", "--json"], environment: env)
            let recorded = try #require(try Self.json(r.stdout)["recorded"] as? [String: Any])
            #expect(recorded["hypothesis"] as? String == "H001")
            #expect(recorded["trial"] as? Int == 2)
            let saved = folder.appendingPathComponent("hypotheses/H001-rsi-reversion.lua").path
            #expect(try String(contentsOfFile: saved, encoding: .utf8)
                    == String(contentsOf: CLI.projectRoot.appendingPathComponent("examples/rsi_reversion.lua"), encoding: .utf8))

            let broken = folder.appendingPathComponent("broken.lua")
            CLI.write("hypothesis { name = \"Broken idea\", tags = {\"funding\"} }\nlocal x = nil + 1\n", to: broken)
            r = try CLI.run(["run", broken.path, "--record", "--kb", kb], environment: env)
            #expect(r.status == 1)
            #expect(r.stderr.contains("recorded trial 3 of H002"))
            r = try CLI.run(["run", "strategies/funding_fade.lua", "--record", "--kb", kb], environment: env)
            #expect(r.status == 0)

            r = try CLI.run(["kb", "search", "arithmetic", "--kb", kb, "--json"], environment: env)
            let hits = try #require(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
            #expect(hits.compactMap { ($0["hypothesis"] as? [String: Any])?["id"] as? String } == ["H002"])
            #expect(hits.first?["matched_in"] as? [String] == ["failures"])
            r = try CLI.run(["kb", "search", "--tag", "funding", "--kb", kb], environment: env)
            #expect(r.stdout.split(separator: "\n").map { $0.prefix(4) } == ["ID  ", "H003", "H002"])

            r = try CLI.run(["kb", "show", "h1", "--kb", kb, "--json"], environment: env)
            let shown = try Self.json(r.stdout)
            #expect(shown["trial_count"] as? Int == 2)
            let trials = try #require(shown["trials"] as? [[String: Any]])
            #expect((trials.first?["parameters"] as? [String: Double])?["period"] == 21)
            #expect((trials.first?["metrics"] as? [String: Double])?["factor_ic_24"] != nil)
            #expect((trials.first?["data"] as? [String: Any])?["bars"] as? Int ?? 0 > 50_000)
            r = try CLI.run(["kb", "show", "H009", "--kb", kb], environment: env)
            #expect(r.status == 2)

            r = try CLI.run(["kb", "stats", "--kb", kb, "--json"], environment: env)
            let stats = try Self.json(r.stdout)
            #expect(stats["trials"] as? Int == 4)
            #expect(stats["failed_trials"] as? Int == 1)
            #expect((stats["failure_reasons"] as? [[String: Any]])?.first?["code"] as? String == "sandbox.error")
            r = try CLI.run(["kb", "stats", "--kb", kb], environment: env)
            #expect(r.stdout.contains("trials      4: 0 passed, 1 failed, 3 not judged"))

            r = try CLI.run(["kb", "export", "--format", "csv", "--kb", kb], environment: env)
            #expect(r.stdout.split(separator: "\n").count == 5)
            #expect(r.stdout.hasPrefix("id,uid,hypothesis,name,family,stage,passed,"))
            r = try CLI.run(["kb", "check", "--kb", kb], environment: env)
            #expect(r.status == 0)
            #expect(r.stdout == "3 hypotheses, 4 trials, schema v5-workers: 0 errors, 0 warnings\n")
        }
    }

    @Test("knowledge.path (here from the environment) chooses the file; export --json reports what it wrote")
    func configuredPath() throws {
        try CLI.withScratch { folder in
            var env = Self.environment(folder)
            env["LLMALPHA_KNOWLEDGE_PATH"] = folder.appendingPathComponent("research/ledger.sqlite").path
            var r = try CLI.run(["kb", "init", "--json"], environment: env)
            #expect(r.status == 0)
            #expect(try Self.json(r.stdout)["path"] as? String == env["LLMALPHA_KNOWLEDGE_PATH"])
            #expect(FileManager.default.fileExists(atPath: env["LLMALPHA_KNOWLEDGE_PATH"]!))
            let csv = folder.appendingPathComponent("h.csv").path
            r = try CLI.run(["kb", "export", "--format", "csv", "--table", "hypotheses", "--output", csv, "--json"], environment: env)
            #expect(try Self.json(r.stdout)["table"] as? String == "hypotheses")
            #expect(try String(contentsOfFile: csv, encoding: .utf8).hasPrefix("id,name,status,tags,"))
            r = try CLI.run(["kb", "export", "--format", "csv", "--json"], environment: env)
            #expect(r.status == 2)
        }
    }

    @Test("kb search --help, -h and help kb search print the same page, word for word")
    func helpIsGolden() throws {
        let expected = #"""
OVERVIEW: Find hypotheses by words in their names, rationales, tags or
failures.

Words match by English stem and as prefixes, all of them must occur; an id
(H003) also matches. Without TEXT, lists the newest hypotheses through the
filters.

  llmalpha kb search "mean reversion" --limit 5
  llmalpha kb search --status validated
  llmalpha kb search win rate --tag funding

USAGE: llmalpha kb search [<text> ...] [--status <status>] [--tag <tag>] [--limit <limit>] [--kb <path|url>] [--config <file.yaml>] [--json]

ARGUMENTS:
  <text>                  Words to look for.

OPTIONS:
  --status <status>       Only this status: proposed, running, validated,
                          rejected, abandoned.
  --tag <tag>             Only hypotheses with this tag.
  --limit <limit>         At most this many, newest first. (default: 20)
  --kb <path|url>         The knowledge base: a SQLite file, or
                          postgres://user:password@host:5432/db for a shared
                          one. (default: knowledge.url when set, else
                          knowledge.path, data/knowledge.sqlite; env
                          LLMALPHA_KNOWLEDGE_URL, LLMALPHA_KNOWLEDGE_PATH)
  --config <file.yaml>    A YAML file over configs/default.yaml.
  --json                  Print one JSON document on stdout instead of text.
  --version               Show the version.
  -h, --help              Show help information.

"""#
        for arguments in [["kb", "search", "--help"], ["kb", "search", "-h"], ["help", "kb", "search"]] {
            let r = try CLI.run(arguments)
            #expect(r.status == 0)
            #expect(r.stdout == expected + "\n", "\(arguments)")
        }
    }

    @Test("backtest run --record files one trial per symbol, with the costs it assumed")
    func backtestRecord() throws {
        try CLI.withScratch { folder in
            let kb = folder.appendingPathComponent("kb.sqlite").path
            let env = Self.environment(folder)
            var r = try CLI.run(["backtest", "run", "-s", "BTC,ETH", "-S", "rsi_mr", "--fees", "0.0002", "--record", "--kb", kb, "--json"],
                                environment: env)
            #expect(r.status == 0)
            let runs = try #require(try Self.json(r.stdout)["runs"] as? [[String: Any]])
            #expect(runs.compactMap { ($0["recorded"] as? [String: Any])?["trial"] as? Int } == [1, 2])
            #expect(runs.compactMap { ($0["recorded"] as? [String: Any])?["hypothesis"] as? String } == ["H001", "H001"])
            r = try CLI.run(["kb", "show", "H001", "--kb", kb, "--json"], environment: env)
            let trials = try #require(try Self.json(r.stdout)["trials"] as? [[String: Any]])
            #expect(trials.compactMap { ($0["data"] as? [String: Any])?["symbols"] as? [String] } == [["ETHUSDT"], ["BTCUSDT"]])
            #expect(trials.allSatisfy { $0["stage"] as? String == "backtest" })
            #expect(trials.allSatisfy { ($0["metrics"] as? [String: Double])?["fee"] == 0.0002 })
        }
    }

    @Test("A file that is not a knowledge base is refused, named, and left alone")
    func refusesForeignFiles() throws {
        try CLI.withScratch { folder in
            let csv = folder.appendingPathComponent("bars.csv")
            CLI.write("open_time,open\n1,2\n", to: csv)
            for arguments in [["kb", "stats", "--kb", csv.path], ["kb", "init", "--kb", csv.path],
                              ["run", "examples/hello.lua", "--record", "--kb", csv.path]] {
                let r = try CLI.run(arguments, environment: Self.environment(folder))
                #expect(r.status == 6)
                #expect(r.stderr == "error: \(csv.path): not a SQLite database; refusing to touch it (choose another file with --kb)\n")
            }
            #expect(try String(contentsOf: csv, encoding: .utf8) == "open_time,open\n1,2\n")
            let r = try CLI.run(["kb", "import", csv.path, "--kb", folder.appendingPathComponent("kb.sqlite").path])
            #expect(r.status == 2)
            #expect(r.stderr == "error: \(csv.path): not a knowledge base export (not valid JSON)\n")
        }
    }

    @Test("A read-only directory: reads work, a write fails with a clear error, nothing is lost")
    func readOnlyDirectory() throws {
        try CLI.withScratch { folder in
            let directory = folder.appendingPathComponent("locked")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let kb = directory.appendingPathComponent("kb.sqlite").path
            let env = Self.environment(folder)
            // Root writes anywhere, so as root the commands run as nobody. Nobody may not enter the
            // checkout (a clone in a 700 directory): the binary, its resource bundles, the scripts
            // and the bars it reads come along into the scratch folder.
            let asUser: [String] = geteuid() == 0 ? ["--reuid=65534", "--regid=65534", "--clear-groups"] : []
            let binary = asUser.isEmpty ? CLI.binary : try Self.portableCopy(into: folder)
            let inputs = try Self.readableCopies(["examples/hello.lua", "examples/planted_edge.lua", "examples/planted-edge.csv"], into: folder)
            let (hello, planted, bars) = (inputs[0], inputs[1], inputs[2])
            #expect(try CLI.run(["run", hello, "--data", bars, "--record", "--kb", kb], environment: env).status == 0)
            try FileManager.default.setAttributes([.posixPermissions: 0o555], ofItemAtPath: directory.path)
            try FileManager.default.setAttributes([.posixPermissions: 0o777], ofItemAtPath: folder.path)
            defer { try? FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path) }
            func run(_ arguments: [String]) throws -> CLI.Outcome {
                if asUser.isEmpty { return try CLI.run(arguments, environment: env) }
                return try CLI.runThrough("/usr/bin/setpriv", asUser + [binary.path] + arguments, environment: env, directory: folder)
            }
            var r = try run(["kb", "stats", "--kb", kb])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stdout.contains("trials      1:"))
            r = try run(["run", hello, "--data", bars, "--record", "--kb", kb])
            #expect(r.status == 6, "\(r.stderr)")
            #expect(r.stderr == "error: \(kb): cannot write the knowledge base (read-only file or directory)\n")
            r = try run(["kb", "init", "--force", "--kb", kb])
            #expect(r.status == 6)
            r = try run(["validate", planted, "--data", bars, "--mode", "quick", "--kb", kb])
            #expect(r.status == 6, "\(r.stderr)")
            #expect(r.stderr == "error: \(kb): cannot write the knowledge base (read-only file or directory)\n")
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
            r = try CLI.run(["kb", "check", "--kb", kb], environment: env)
            #expect(r.stdout == "1 hypotheses, 1 trials, schema v5-workers: 0 errors, 0 warnings\n")
        }
    }

    /// The binary and the resource bundles beside it, copied world-readable into `folder/bin`.
    static func portableCopy(into folder: URL) throws -> URL {
        let bin = folder.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let built = CLI.binary.deletingLastPathComponent()
        for name in try FileManager.default.contentsOfDirectory(atPath: built.path) where name.hasSuffix(".resources") {
            try FileManager.default.copyItem(at: built.appendingPathComponent(name), to: bin.appendingPathComponent(name))
        }
        let copy = bin.appendingPathComponent("llmalpha")
        try FileManager.default.copyItem(at: CLI.binary, to: copy)
        for path in try FileManager.default.subpathsOfDirectory(atPath: bin.path) {
            let url = bin.appendingPathComponent(path)
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
            try FileManager.default.setAttributes([.posixPermissions: isDirectory.boolValue ? 0o755 : 0o644], ofItemAtPath: url.path)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: bin.path)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: copy.path)
        return copy
    }

    /// Project files copied world-readable into `folder`; their new paths.
    static func readableCopies(_ paths: [String], into folder: URL) throws -> [String] {
        try paths.map { path in
            let copy = folder.appendingPathComponent((path as NSString).lastPathComponent)
            try FileManager.default.copyItem(at: CLI.projectRoot.appendingPathComponent(path), to: copy)
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy.path)
            return copy.path
        }
    }

    /// A knowledge base holding one hypothesis and `count` trials, exported as JSON by the CLI.
    static func export(trials count: Int, name: String, in folder: URL) throws -> URL {
        let files = ScriptFiles(hypothesesDirectory: folder.appendingPathComponent("src-\(name)").path,
                                strategiesDirectory: folder.appendingPathComponent("src-s").path, root: nil)
        let path = folder.appendingPathComponent("source-\(name).sqlite").path
        let kb = try KnowledgeBase.open(at: path, files: files, create: true)
        let h = try kb.recordHypothesis(HypothesisDraft(name: name, script: "-- \(name)\nprint(1)\n"))
        let span = DataSpan(symbols: ["BTCUSDT"], interval: "1h", from: 0, to: 3_600_000, bars: 2, hash: "00")
        for start in stride(from: 0, to: count, by: 5000) {
            try kb.recordTrials((start..<min(start + 5000, count)).map { i in
                TrialDraft(hypothesis: h.id, parameters: ["n": Double(i)], data: span, stage: .factor, passed: false,
                           reasonCode: "factor.ic", reasonMessage: "trial \(i)", metrics: ["ic_1": 0.001 * Double(i % 7)],
                           durationSeconds: 0.01, startedAt: Date(timeIntervalSince1970: 1_764_633_600))
            })
        }
        let output = folder.appendingPathComponent("export-\(name).json")
        let r = try CLI.run(["kb", "export", "--format", "json", "--kb", path, "--output", output.path])
        #expect(r.status == 0)
        return output
    }

    @Test("kill -9 in the middle of a batched import keeps every committed batch; rerunning finishes it")
    func killDuringImport() throws {
        try CLI.withScratch { folder in
            let total = 20_000
            let export = try Self.export(trials: total, name: "big", in: folder)
            let target = folder.appendingPathComponent("kb.sqlite").path
            let env = Self.environment(folder)
            #expect(try CLI.run(["kb", "init", "--kb", target], environment: env).status == 0)
            let reader = try KnowledgeBase.open(at: target, files: ScriptFiles(hypothesesDirectory: folder.path, strategiesDirectory: folder.path,
                                                                               root: nil), access: .read)
            let process = try CLI.start(["kb", "import", export.path, "--kb", target, "--batch", "100"], environment: env)
            var seen = 0
            let deadline = Date().addingTimeInterval(120)
            while seen == 0 && process.isRunning && Date() < deadline {
                seen = (try? reader.trialCount()) ?? 0
                if seen == 0 { usleep(2000) }
            }
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal, "the import finished before it could be killed")

            let afterKill = try KnowledgeBase.open(at: target, files: ScriptFiles(hypothesesDirectory: folder.appendingPathComponent("hypotheses").path,
                                                                                 strategiesDirectory: folder.path, root: nil), access: .read)
            let kept = try afterKill.trialCount()
            #expect(kept >= seen)
            #expect(kept % 100 == 0, "only whole batches are committed")
            #expect(kept < total)
            #expect(try afterKill.check().ok)

            let r = try CLI.run(["kb", "import", export.path, "--kb", target, "--json"], environment: env)
            #expect(r.status == 0)
            let summary = try Self.json(r.stdout)
            #expect(summary["trials_added"] as? Int == total - kept)
            #expect(summary["trials_already_present"] as? Int == kept)
            #expect(summary["hypotheses_matched"] as? Int == 1)
            #expect(try afterKill.trialCount() == total)
        }
    }

    @Test("Concurrent writers: two imports and two recorded runs on one file lose nothing")
    func concurrentWriters() throws {
        try CLI.withScratch { folder in
            let a = try Self.export(trials: 3000, name: "alpha", in: folder)
            let b = try Self.export(trials: 3000, name: "beta", in: folder)
            let target = folder.appendingPathComponent("kb.sqlite").path
            let env = Self.environment(folder)
            #expect(try CLI.run(["kb", "init", "--kb", target], environment: env).status == 0)
            let processes = try [
                CLI.start(["kb", "import", a.path, "--kb", target, "--batch", "10"], environment: env),
                CLI.start(["kb", "import", b.path, "--kb", target, "--batch", "10"], environment: env),
                CLI.start(["run", "examples/hello.lua", "--record", "--kb", target], environment: env),
                CLI.start(["run", "examples/indicators.lua", "--record", "--kb", target], environment: env),
            ]
            for p in processes {
                p.waitUntilExit()
                #expect(p.terminationStatus == 0)
            }
            let r = try CLI.run(["kb", "stats", "--kb", target, "--json"], environment: env)
            let stats = try Self.json(r.stdout)
            #expect(stats["trials"] as? Int == 6002)
            #expect(stats["hypotheses"] as? Int == 4)
            let ids = try CLI.run(["kb", "search", "--kb", target], environment: env).stdout
                .split(separator: "\n").dropFirst().map { String($0.prefix(4)) }.sorted()
            #expect(ids == ["H001", "H002", "H003", "H004"])
            #expect(try CLI.run(["kb", "check", "--kb", target], environment: env).status == 0)
        }
    }

    @Test("A second knowledge base on the same file in one process keeps its writes when another process closes the file")
    func secondOpenKeepsLocks() throws {
        try CLI.withScratch { folder in
            let path = folder.appendingPathComponent("kb.sqlite").path
            let env = Self.environment(folder)
            let files = ScriptFiles(hypothesesDirectory: folder.appendingPathComponent("hypotheses").path,
                                    strategiesDirectory: folder.appendingPathComponent("strategies").path, root: folder.path)
            let first = try KnowledgeBase.open(at: path, files: files, create: true)
            _ = try first.recordHypothesis(HypothesisDraft(name: "before", script: "hypothesis { name = \"before\" }\nfunction factor(d) return d.close end\n"))
            // A worker opens the same file again (its loop, its researcher); that must not give up
            // the process's locks on it.
            let second = try KnowledgeBase.open(at: path, files: files, create: false)
            #expect(try second.hypotheses().count == 1)
            // Another process writes and exits: as the last connection it sees, it checkpoints
            // the WAL, and deletes it if it can lock the file alone.
            let r = try CLI.run(["run", "examples/hello.lua", "--record", "--kb", path], environment: env)
            #expect(r.status == 0, "\(r.stderr)")
            _ = try first.recordHypothesis(HypothesisDraft(name: "after", script: "hypothesis { name = \"after\" }\nfunction factor(d) return d.open end\n"))
            // A fresh process sees every commit.
            let shown = try CLI.run(["kb", "search", "--kb", path, "--json"], environment: env)
            #expect(shown.stdout.contains("\"after\""), "\(shown.stdout)\(shown.stderr)")
        }
    }
}
