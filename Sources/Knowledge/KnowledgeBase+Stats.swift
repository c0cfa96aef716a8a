import Foundation

extension KnowledgeBase {
    /// What `kb stats` reports: where months of research stand in one screen.
    public struct Stats: Sendable, Codable {
        public struct StageCount: Sendable, Codable {
            public let stage: String
            /// Failed trials stopped at this stage.
            public let failed: Int
            /// Trials whose furthest stage this was, whatever the outcome.
            public let reached: Int
        }

        public struct BestTrial: Sendable, Codable {
            public let trial: Int64
            public let hypothesis: String
            public let name: String
            public let sharpe: Double
            public let passed: Bool?
            public let parameters: [String: Double]
        }

        public let hypotheses: Int
        public let hypothesesByStatus: [String: Int]
        public let families: Int
        public let trials: Int
        public let passedTrials: Int
        public let failedTrials: Int
        public let unjudgedTrials: Int
        public let stages: [StageCount]
        public let failureReasons: [FailureReason]
        public let bestBySharpe: [BestTrial]
        public let strategies: Int
        public let holdoutOpenings: Int
        public let llmCalls: Int
        public let llmTokens: Int
        public let llmCostUSD: Double
        /// When the first and the latest trial were recorded.
        public let firstTrial: String?
        public let lastTrial: String?
    }

    public func stats(reasons: Int = 10, best: Int = 5) throws(KnowledgeError) -> Stats {
        let failureReasons = try failureReasons(limit: reasons)
        return try read { db in
            let byStatus = try Dictionary(uniqueKeysWithValues: SQLRow.fetchAll(db, sql: """
                SELECT status, count(*) AS n FROM hypothesis GROUP BY status
                """).map { (String($0["status"] as String), Int($0["n"] as Int)) })
            var statusCounts: [String: Int] = [:]
            for status in HypothesisStatus.allCases { statusCounts[status.rawValue] = byStatus[status.rawValue] ?? 0 }

            // One pass over the trials for every per-stage and per-outcome count.
            var failed: [Int: Int] = [:]
            var reached: [Int: Int] = [:]
            var passedCount = 0, failedCount = 0, unjudged = 0
            for row in try SQLRow.fetchAll(db, sql: "SELECT stage_rank, passed, count(*) AS n FROM trial GROUP BY stage_rank, passed") {
                let rank: Int = row["stage_rank"]
                let passed: Int? = row["passed"]
                let n: Int = row["n"]
                reached[rank, default: 0] += n
                switch passed {
                case 1: passedCount += n
                case 0: failedCount += n; failed[rank, default: 0] += n
                default: unjudged += n
                }
            }
            let stages = TrialStage.allCases.map {
                Stats.StageCount(stage: $0.rawValue, failed: failed[$0.rank] ?? 0, reached: reached[$0.rank] ?? 0)
            }
            let bestTrials = try SQLRow.fetchAll(db, sql: """
                SELECT t.id, t.hypothesis, h.name, t.sharpe, t.passed, t.params FROM trial t JOIN hypothesis h ON h.id = t.hypothesis
                WHERE t.sharpe IS NOT NULL ORDER BY t.sharpe DESC LIMIT ?
                """, arguments: [best]).map { row in
                let passed: Int? = row["passed"]
                return Stats.BestTrial(trial: row["id"], hypothesis: row["hypothesis"], name: row["name"], sharpe: row["sharpe"],
                                       passed: passed.map { $0 == 1 }, parameters: JSONNumbers.decode(row["params"]))
            }
            let llm = try SQLRow.fetchOne(db, sql: """
                SELECT count(*) AS n, coalesce(sum(prompt_tokens + completion_tokens), 0) AS tokens,
                       coalesce(sum(cost_usd), 0) AS cost FROM llm_call
                """)!
            let span = try SQLRow.fetchOne(db, sql: "SELECT min(finished_at) AS first, max(finished_at) AS last FROM trial")
            return Stats(hypotheses: statusCounts.values.reduce(0, +), hypothesesByStatus: statusCounts,
                         families: try Int.fetchOne(db, sql: "SELECT count(DISTINCT family) FROM hypothesis") ?? 0,
                         trials: passedCount + failedCount + unjudged, passedTrials: passedCount, failedTrials: failedCount,
                         unjudgedTrials: unjudged, stages: stages, failureReasons: failureReasons, bestBySharpe: bestTrials,
                         strategies: try Int.fetchOne(db, sql: "SELECT count(*) FROM strategy") ?? 0,
                         holdoutOpenings: try Int.fetchOne(db, sql: "SELECT count(*) FROM holdout_opening") ?? 0,
                         llmCalls: llm["n"], llmTokens: llm["tokens"], llmCostUSD: llm["cost"],
                         firstTrial: span?["first"], lastTrial: span?["last"])
        }
    }
}
