/// Where the knowledge base keeps its ledger and its scripts (`knowledge.*` in configs/default.yaml).
/// Relative paths are relative to the project.
public struct KnowledgeSettings: Sendable, Equatable {
    /// The SQLite ledger (`knowledge.path`, `--kb`, `LLMALPHA_KNOWLEDGE_PATH`).
    public var path = "data/knowledge.sqlite"
    /// A PostgreSQL knowledge base shared by many workers (`knowledge.url`, `LLMALPHA_KNOWLEDGE_URL`):
    /// `postgres://user:password@host:5432/database`. Empty: the SQLite file at ``path``.
    public var url = ""
    /// Every recorded hypothesis's exact script, `H0NN-<slug>.lua` (`knowledge.hypotheses_dir`).
    public var hypothesesDirectory = "hypotheses"
    /// Promoted survivors, `S0NN-<slug>.lua`, with their validation header (`knowledge.strategies_dir`).
    public var strategiesDirectory = "strategies"

    public init() {}
}
