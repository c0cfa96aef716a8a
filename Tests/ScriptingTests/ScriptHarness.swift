import Foundation
@testable import Scripting

/// Runs scripts over small synthetic bars, as the CLI would, collecting what they print.
enum ScriptHarness {
    /// A random-walk market of `count` hourly bars; deterministic.
    static func data(count: Int = 2_000) -> DataTable {
        var table = DataTable()
        var price = 100.0
        var seed: UInt64 = 42
        var time: [Double] = [], open: [Double] = [], high: [Double] = [], low: [Double] = [], close: [Double] = [],
            volume: [Double] = [], funding: [Double] = []
        for i in 0..<count {
            seed = seed &* 6364136223846793005 &+ 1442695040888963407
            let step = (Double(seed >> 11) / Double(1 << 53) - 0.5) * 2
            let o = price
            price *= 1 + step * 0.01
            time.append(1_704_067_200_000 + Double(i) * 3_600_000)
            open.append(o); close.append(price)
            high.append(max(o, price) * 1.002); low.append(min(o, price) * 0.998)
            volume.append(100 + Double(i % 17)); funding.append(i % 8 == 0 ? 0.0001 * step : 0.0001)
        }
        table.add("time", time); table.add("open", open); table.add("high", high); table.add("low", low)
        table.add("close", close); table.add("volume", volume); table.add("funding", funding)
        table.text["symbol"] = "TESTUSDT"
        table.text["interval"] = "1h"
        return table
    }

    static let sharedData = data()

    final class Printed: @unchecked Sendable {
        private let lock = NSLock()
        private var chunks: [String] = []
        func append(_ s: String) { lock.lock(); chunks.append(s); lock.unlock() }
        var text: String { lock.lock(); defer { lock.unlock() }; return chunks.joined() }
    }

    struct Outcome {
        let result: Result<ScriptResult, ScriptError>
        let printed: String

        var error: ScriptError? {
            if case .failure(let e) = result { return e }
            return nil
        }
    }

    static func run(_ source: String, limits: SandboxLimits = SandboxLimits(timeout: 2, maxInstructions: 0,
                                                                             maxMemoryBytes: 256 << 20, maxOutputBytes: 1 << 20),
                    data: DataTable = sharedData, parameters: [String: String] = [:]) -> Outcome {
        let printed = Printed()
        let runner = ScriptRunner(limits: limits)
        let result = Result { () throws(ScriptError) -> ScriptResult in
            try runner.run(source: source, chunkName: "attack.lua", data: data, parameters: parameters) { printed.append($0) }
        }
        return Outcome(result: result, printed: printed.text)
    }
}
