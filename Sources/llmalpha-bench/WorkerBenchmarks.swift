import Agent
import Foundation
import Knowledge
import LLMAlpha
import MarketData
import Validation

/// The shared knowledge base's costs (issue 19): trials recorded in batches into PostgreSQL on
/// loopback, and the research loop's throughput with one and two workers on one run.
enum WorkerBench {
    /// The server: LLMALPHA_BENCH_POSTGRES_URL, else the tests' LLMALPHA_TEST_POSTGRES_URL
    /// (scripts/bench starts a throwaway cluster when PostgreSQL is installed and neither is set).
    static var postgresURL: String? {
        let env = ProcessInfo.processInfo.environment
        return env["LLMALPHA_BENCH_POSTGRES_URL"] ?? env["LLMALPHA_TEST_POSTGRES_URL"]
    }

    /// 20,000 trials of 100 hypotheses in batches of 1,000 (as `kb import` and a worker's
    /// optimizer record them) into a fresh database; the median of three, per trial.
    static func postgresInsert() -> Double {
        guard let server = postgresURL else {
            FileHandle.standardError.write(Data("kb_insert_trial_pg: skipped (no PostgreSQL; set LLMALPHA_BENCH_POSTGRES_URL)\n".utf8))
            return .nan
        }
        let trials = 20_000
        var times: [Double] = []
        for _ in 0..<3 {
            do {
                let url = try PostgresScratch.create(besides: server)
                defer { PostgresScratch.drop(url, server: server) }
                let folder = KnowledgeBench.scratch.appendingPathComponent("pg-\(UUID().uuidString)")
                let files = ScriptFiles(hypothesesDirectory: folder.appendingPathComponent("hypotheses").path,
                                        strategiesDirectory: folder.appendingPathComponent("strategies").path, root: folder.path)
                let kb = try KnowledgeBase.open(at: url, files: files, create: true)
                let ids = try (0..<100).map { h in
                    try kb.recordHypothesis(HypothesisDraft(name: "h\(h)", script: "hypothesis { name = \"h\(h)\" }\nfunction factor(d) return zscore(d.close, \(h + 2)) end\n")).id
                }
                let drafts = (0..<trials).map { i in KnowledgeBench.trial(i, hypotheses: ids) }
                // Only the inserts are timed, not the database's creation.
                let started = Date()
                for start in stride(from: 0, to: trials, by: 1000) { try kb.recordTrials(Array(drafts[start..<start + 1000])) }
                times.append(Date().timeIntervalSince(started))
                let recorded = try kb.trialCount()
                precondition(recorded == trials)
            } catch {
                fatalError("kb_insert_trial_pg: \(error)")
            }
        }
        return times.sorted()[1] / Double(trials) * 1e9
    }

    /// Quick-mode offline iterations of one run shared by `workers` workers in this process, each
    /// with its own knowledge-base connection and one core; wall time per iteration.
    static func scaling(workers: Int) -> Double {
        var withFunding = BenchHypothesis.bars
        withFunding.setExtra("funding", FundingJoin.asOf(barTimes: withFunding.time, events: withFunding.fundingEvents))
        let bars = withFunding
        let iterations = 16
        return medianSeconds(3) {
            let folder = KnowledgeBench.scratch.appendingPathComponent("workers-\(UUID().uuidString)")
            let files = ScriptFiles(hypothesesDirectory: folder.appendingPathComponent("hypotheses").path,
                                    strategiesDirectory: folder.appendingPathComponent("strategies").path, root: folder.path)
            let path = folder.appendingPathComponent("kb.sqlite").path
            var agent = AgentSettings()
            agent.validationMode = .quick
            agent.earlyStopSharpe = 0
            let options = ResearchOptions(iterations: iterations, seed: 42, agent: agent, validation: agent.validation(ValidationSettings()),
                                          evaluation: Configuration.defaults.evaluation, jobs: 1, version: "bench")
            let visible = try! LockedHoldout.visible([bars], fraction: options.validation.honesty.holdout)
            func loop() -> ResearchLoop {
                ResearchLoop(knowledge: try! KnowledgeBase.open(at: path, files: files, create: true), source: OfflineGenerator(),
                             data: visible, options: options) { _, _ in bars }
            }
            let run = try! loop().plan()
            let done = DispatchSemaphore(value: 0)
            for _ in 0..<workers {
                let worker = loop()
                Thread {
                    let finished = DispatchSemaphore(value: 0)
                    Task {
                        do { _ = try await worker.work(run: run, settings: WorkerSettings()) { _ in } } catch {
                            fatalError("agent_workers_scaling: \(error)")
                        }
                        finished.signal()
                    }
                    finished.wait()
                    done.signal()
                }.start()
            }
            for _ in 0..<workers { done.wait() }
        } / Double(iterations) * 1e9
    }
}
