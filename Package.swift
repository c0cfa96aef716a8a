// swift-tools-version:6.1
// llmalpha: autonomous crypto alpha research. Targets and their one job are in DESIGN.md section 2;
// imports only point down: llmalpha -> LLMAlpha -> Agent -> Validation -> Evaluation
// -> {Scripting, Backtest, MarketData, Knowledge} -> Primitives.
import PackageDescription

/// One strictness list for every target (Hummingbird's habit): Swift 6 mode, explicit existentials,
/// and imports that do not leak into a target's public interface.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "llmalpha",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "llmalpha", targets: ["llmalpha"]),
        .library(name: "LLMAlpha", targets: ["LLMAlpha"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        // The shared knowledge base's PostgreSQL client (DESIGN.md section 11): SwiftNIO like the rest.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        // Already under postgres-nio and async-http-client; named for the knowledge base's
        // connection logger and TLS settings.
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Already under async-http-client; named here for the fake exchange in MarketDataTests.
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // liblua5.4 from the system (apt liblua5.4-dev), found through pkg-config.
        .systemLibrary(
            name: "CLua", pkgConfig: "lua5.4",
            providers: [.apt(["liblua5.4-dev", "pkg-config"])]),
        // libedit (apt libedit-dev) for the REPL's line editing, history and completion.
        .systemLibrary(
            name: "CEditLine", pkgConfig: "libedit",
            providers: [.apt(["libedit-dev", "pkg-config"])]),
        // The only C we write: trampolines, sandbox hook, capped allocator, strict globals, Series userdata.
        .target(name: "LuaSandboxC", dependencies: ["CLua"]),
        // The kernels' inner loops that need AVX2 (chosen at run time, with a baseline build):
        // the averages' exact division, the variance family's second phase, ATR's recursion,
        // percent change, crossings.
        .target(name: "SIMDKernelsC"),
        // Pure numeric core: Series kernels and the primitive registry. No Lua, IO or async.
        .target(name: "Primitives", dependencies: ["SIMDKernelsC"], swiftSettings: strict),
        // Lua VM host: sandbox, bindings generated from the registry, prelude, script runner.
        .target(name: "Scripting", dependencies: ["Primitives", "CLua", "LuaSandboxC"],
                resources: [.copy("Resources/prelude")], swiftSettings: strict),
        // Files written whole or not at all, and their sha256: for everything the project stores.
        .target(name: "DurableFiles", swiftSettings: strict),
        // The perp-aware backtest engine and its metrics (DESIGN.md section 4).
        .target(name: "Backtest", dependencies: ["Primitives"], swiftSettings: strict),
        // Retrying HTTP calls as the official SDKs do: backoff with jitter, Retry-After in its three
        // spellings, which statuses and transport failures are worth another try. Shared by the
        // Binance downloader and the language-model clients.
        .target(name: "HTTPRetry", swiftSettings: strict),
        // Market data: the store layout, CSV loading, funding as-of join.
        .target(name: "MarketData", dependencies: [
            "Primitives", "DurableFiles", "HTTPRetry",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            .product(name: "NIOCore", package: "swift-nio"),
        ], swiftSettings: strict),
        // The knowledge base: hypotheses, the trial ledger, strategies and LLM calls (DESIGN.md 7), in
        // SQLite on one machine or PostgreSQL shared by many (section 11), through one SQL interface.
        .target(name: "Knowledge", dependencies: [
            "DurableFiles", .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "PostgresNIO", package: "postgres-nio"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "Logging", package: "swift-log"),
        ], swiftSettings: strict),
        // One script on one slice of data: factor, signal and backtest numbers, the one metric
        // schema, and the trial it becomes in the ledger.
        .target(name: "Evaluation", dependencies: ["Primitives", "Scripting", "Backtest", "MarketData", "Knowledge", "DurableFiles"],
                swiftSettings: strict),
        // The judge (DESIGN.md section 5): gates, walk-forward and rolling windows, the TPE optimizer,
        // deflated Sharpe, PBO, the locked holdout, the lookahead check, promotion.
        .target(name: "Validation", dependencies: ["Primitives", "Scripting", "Backtest", "MarketData", "Knowledge", "Evaluation",
                                                   "DurableFiles"],
                swiftSettings: strict),
        // Language-model clients (OpenAI-compatible, Anthropic, Ollama): requests, streams, errors that
        // say what to do, keys from flags, the environment or .env, prices.
        .target(name: "LanguageModels", dependencies: [
            "HTTPRetry", "DurableFiles",
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: strict),
        // The research agent (DESIGN.md section 8): the loop, the HypothesisSource protocol, the offline
        // generator, the data profile, refinement and analysis.
        .target(name: "Agent", dependencies: ["Primitives", "Scripting", "MarketData", "Knowledge", "Evaluation", "Validation",
                                              "LanguageModels"],
                swiftSettings: strict),
        // The facade a Swift user imports: configuration composed from each target's settings, the public API.
        .target(name: "LLMAlpha", dependencies: ["Primitives", "Scripting", "MarketData", "Backtest", "Knowledge", "DurableFiles",
                                                 "Evaluation", "Validation", "Agent", "LanguageModels",
                                                 .product(name: "Yams", package: "Yams")],
                swiftSettings: strict),
        .executableTarget(name: "llmalpha", dependencies: [
            "LLMAlpha", "Agent", "LanguageModels", "Validation", "Evaluation", "Primitives", "Scripting", "MarketData", "Backtest", "Knowledge", "CEditLine", .product(name: "ArgumentParser", package: "swift-argument-parser")],
            swiftSettings: strict),
        // A fake Binance USD-M exchange on 127.0.0.1 (archive zips, CHECKSUMs, REST pages, injected
        // faults) for the downloader's tests and for trying `data download` by hand.
        // The test fakes' HTTP server on 127.0.0.1: a channel handler per connection on NIO's event loops.
        .target(name: "LoopbackHTTP", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], swiftSettings: strict),
        .target(name: "FakeExchange", dependencies: [
            "MarketData", "DurableFiles", "LoopbackHTTP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], swiftSettings: strict),
        // A fake language-model server on 127.0.0.1 speaking the three wire formats from the real
        // bodies in Fixtures/ (streamed or not), with injected faults, for the clients' and the
        // agent's tests.
        .target(name: "FakeLanguageModel", dependencies: [
            "LoopbackHTTP",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
        ], exclude: ["Fixtures"], swiftSettings: strict),
        // Deterministic synthetic bars (GARCH volatility, fat tails, an optional planted edge) for
        // the tests and benchmarks that need a market whose truth is known.
        .target(name: "SyntheticMarket", dependencies: ["Primitives", "MarketData"], swiftSettings: strict),
        .executableTarget(name: "llmalpha-fake-llm", dependencies: ["FakeLanguageModel"], swiftSettings: strict),
        .executableTarget(name: "llmalpha-fake-exchange", dependencies: ["FakeExchange", "MarketData"], swiftSettings: strict),
        // Benchmarks: `scripts/bench` builds this in release and prints DESIGN.md section 10's JSON.
        .executableTarget(name: "llmalpha-bench", dependencies: ["Primitives", "Scripting", "Evaluation", "MarketData", "Backtest", "Knowledge",
                                                                "Validation", "Agent", "LLMAlpha", "SyntheticMarket"],
                          swiftSettings: strict),

        .testTarget(name: "PrimitivesTests", dependencies: ["Primitives", "SIMDKernelsC"], exclude: ["Fixtures"],
                    swiftSettings: strict),
        .testTarget(name: "ScriptingTests", dependencies: ["Scripting", "Primitives"], swiftSettings: strict),
        .testTarget(name: "MarketDataTests", dependencies: [
            "MarketData", "DurableFiles", "FakeExchange",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ], swiftSettings: strict),
        .testTarget(name: "BacktestTests", dependencies: ["Backtest"], exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(name: "KnowledgeTests", dependencies: ["Knowledge", .product(name: "GRDB", package: "GRDB.swift")],
                    swiftSettings: strict),
        .testTarget(name: "ValidationTests", dependencies: ["Validation", "Evaluation", "Scripting", "Backtest", "MarketData", "Knowledge",
                                                       "Primitives", "SyntheticMarket"],
                    swiftSettings: strict),
        .testTarget(name: "LanguageModelsTests", dependencies: ["LanguageModels", "HTTPRetry", "FakeLanguageModel"],
                    swiftSettings: strict),
        .testTarget(name: "AgentTests", dependencies: ["Agent", "LanguageModels", "FakeLanguageModel", "Validation", "Evaluation", "Scripting", "MarketData", "Knowledge",
                                                  "Primitives", "SyntheticMarket"],
                    swiftSettings: strict),
        .testTarget(name: "CLITests", dependencies: ["llmalpha", "LLMAlpha", "FakeLanguageModel", "Validation", "Evaluation", "Backtest", "MarketData",
                                                 "Knowledge", "Primitives", "SyntheticMarket"],
                    swiftSettings: strict),
    ]
)
