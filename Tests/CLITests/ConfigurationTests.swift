import Foundation
import Testing
@testable import LLMAlpha
import Validation

/// Configuration: nested sections, every kind of value, and errors that name the key and the fix.
@Suite("Configuration")
struct ConfigurationTests {
    static func load(_ yaml: String, environment: [String: String] = [:]) throws -> Configuration {
        try CLI.withScratch { dir in
            let file = dir.appendingPathComponent("c.yaml")
            CLI.write(yaml, to: file)
            return try Configuration.load(projectFile: nil, file: file.path, environment: environment)
        }
    }

    static func failure(_ yaml: String, environment: [String: String] = [:]) -> String {
        do {
            _ = try load(yaml, environment: environment)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test("Every key in configs/default.yaml, once, and no key missing from it")
    func everyKeyIsDocumented() throws {
        let text = try String(contentsOf: CLI.projectRoot.appendingPathComponent("configs/default.yaml"), encoding: .utf8)
        // Rebuild the dotted paths from the file's indentation.
        var stack: [(indent: Int, name: String)] = []
        var paths: [String] = []
        for line in text.split(separator: "\n") where !line.trimmingCharacters(in: .whitespaces).hasPrefix("#") {
            let indent = line.prefix { $0 == " " }.count
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[line.index(line.startIndex, offsetBy: indent)..<colon].trimmingCharacters(in: .whitespaces)
            while let last = stack.last, last.indent >= indent { stack.removeLast() }
            let value = line[line.index(after: colon)...].split(separator: "#").first?.trimmingCharacters(in: .whitespaces) ?? ""
            if value.isEmpty {
                stack.append((indent, name))
            } else {
                paths.append((stack.map(\.name) + [name]).joined(separator: "."))
            }
        }
        #expect(paths.sorted() == Configuration.keys.map(\.path).sorted())
    }

    @Test("Nested sections, booleans as YAML or text, choices, and values that may be 0")
    func kinds() throws {
        let c = try Self.load("""
            validation:
              mode: wf_only
              seed: 0
              warmup_bars: 0
              backtest:
                min_trades: 0
                min_sharpe: -0.5
              walk_forward: { train: 0.5, validation: 0.25, test: 0.25 }
              honesty:
                holdout: 0
            """, environment: ["LLMALPHA_VALIDATION_ROLLING_TRIALS": "7", "LLMALPHA_VALIDATION_SIGNAL_MIN_EDGE": "0"])
        #expect(c.validation.mode == .wfOnly && c.validation.seed == 0 && c.validation.warmupBars == 0)
        #expect(c.validation.backtest.minTrades == 0 && c.validation.backtest.minSharpe == -0.5)
        #expect(c.validation.walkForward.train == 0.5 && c.validation.walkForward.test == 0.25)
        #expect(c.validation.honesty.holdout == 0)
        #expect(c.validation.rolling.trials == 7 && c.validation.signal.minEdge == 0)
    }

    @Test("Errors name the file, the key and what it takes", arguments: [
        ("validation:\n  mode: sometimes\n", "validation.mode: expected one of quick, full, wf_only, rolling_only, got 'sometimes'"),
        ("validation:\n  walk_forwrd:\n    train: 0.5\n", "unknown key 'validation.walk_forwrd' (hint: did you mean 'validation.walk_forward'?)"),
        ("validation:\n  rolling:\n    train_hour: 100\n", "unknown key 'validation.rolling.train_hour' (hint: did you mean 'validation.rolling.train_hours'?)"),
        ("validation:\n  honesty:\n    holdout: 1.5\n", "validation.honesty.holdout: expected a fraction in 0...1, got '1.5'"),
        ("validation:\n  trials: 0\n", "validation.trials: expected a positive integer, got '0'"),
        ("validation:\n  rolling: 5\n", "'validation.rolling' must be a mapping of keys"),
        ("validation:\n  trials:\n    n: 5\n", "'validation.trials' takes a positive integer, not a section"),
        ("validation:\n  walk_forward:\n    train: 0.7\n", "train + validation + test must be 1"),
    ])
    func errors(yaml: String, message: String) {
        let text = Self.failure(yaml)
        #expect(text.contains(message), "\(text)")
    }

    @Test("An environment variable of the wrong kind names itself")
    func environmentErrors() {
        let text = Self.failure("", environment: ["LLMALPHA_VALIDATION_MODE": "fast"])
        #expect(text.contains("LLMALPHA_VALIDATION_MODE: expected one of quick, full, wf_only, rolling_only, got 'fast'"), "\(text)")
    }
}
