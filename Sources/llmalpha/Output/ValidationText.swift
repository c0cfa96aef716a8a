import Evaluation
import Foundation
import Knowledge
import MarketData
import Scripting
import Validation

/// The text and JSON renderings of a validation: a stage table per symbol, then the verdict
/// with the deflated Sharpe, PBO and the trial count behind them.
enum ValidationText {
    /// - Parameter dataFile: `--data FILE`, which `strategy promote` needs again.
    static func text(_ r: ValidationReport, knowledge: KnowledgeBase?, verbose: Bool, dataFile: String? = nil) -> String {
        let promoteData = dataFile.map { " --data \($0)" } ?? ""
        var lines: [String] = []
        let name = r.hypothesis.map { " · \($0.name)" } ?? ""
        lines.append("validate    \(r.scriptPath)\(name) · mode \(r.mode.rawValue) · \(r.symbols.count) symbol\(r.symbols.count == 1 ? "" : "s")")
        let declared = r.parameters.map { "\($0.name)=\($0.valueText)" }.joined(separator: " ")
        if !r.parameters.isEmpty {
            let chosen = r.chosen.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            let changed = r.parameters.contains { p in r.chosen[p.name].map { $0 != p.valueText } ?? false }
            lines.append("params      \(declared) (defaults)" + (changed ? "; chosen on validation: \(chosen)" : ""))
        }
        for s in r.symbols {
            lines.append("")
            var head = "\(s.symbol) \(s.interval)  \(day(s.from)) → \(day(s.to)), \(ReportFormat.grouped(s.bars)) bars"
            if let h = s.holdoutFrom { head += "; holdout from \(day(h)) locked" }
            lines.append(head)
            lines.append("  stage         result  measured (threshold)")
            for stage in s.stages {
                let result = stage.passed ? "pass" : "FAIL"
                let measured = stage.checks.map(\.summary).joined(separator: ", ")
                lines.append(pad("  \(stage.stage.title)", 16) + pad(result, 8) + (measured.isEmpty ? "—" : measured))
                if let f = stage.failure { lines.append(String(repeating: " ", count: 24) + f.message) }
                if verbose || stage.stage == .walkForward || stage.stage == .honesty {
                    for note in stage.notes { lines.append(String(repeating: " ", count: 24) + note) }
                }
            }
            for stage in s.notRun { lines.append(pad("  \(stage.title)", 16) + pad("—", 8) + "not run") }
        }
        lines.append("")
        let dsr = r.metric("dsr").map { ReportFormat.fixed($0, 3) } ?? "—"
        let pbo = r.metric("pbo").map { ReportFormat.fixed($0, 2) } ?? "—"
        let trials = "\(ReportFormat.grouped(r.lifetimeTrials)) trials in the knowledge base (\(ReportFormat.grouped(r.runTrials)) this run)"
        if r.passed {
            lines.append("verdict     VALIDATED (\(r.symbolsPassed) of \(r.symbols.count) symbols): deflated Sharpe \(dsr), PBO \(pbo); \(trials)")
        } else if let f = r.failure {
            let symbol = r.symbols.count > 1 ? "\(f.symbol) " : ""
            lines.append("verdict     REJECTED at \(symbol)\(f.stage.stage.title) (\(f.check.code.rawValue)); \(r.symbolsPassed) of "
                         + "\(r.symbols.count) symbols passed, \(r.symbolsNeeded) needed")
            lines.append("            deflated Sharpe \(dsr), PBO \(pbo); \(trials)")
        } else {
            lines.append("verdict     REJECTED: \(r.symbolsPassed) of \(r.symbols.count) symbols passed, \(r.symbolsNeeded) needed; \(trials)")
        }
        for warning in r.warnings { lines.append("warning     \(warning)") }
        if let (hypothesis, trial) = r.recorded, let kb = knowledge {
            lines.append("recorded    trial \(trial) of \(hypothesis) in \(kb.path)")
            if r.passed && r.mode == .full, let lock = try? kb.holdoutLock(of: hypothesis) {
                lines.append("holdout     already opened on \(lock.openedAt.prefix(10))\(lock.strategy.map { " for \($0)" } ?? ""): it opens once per hypothesis")
            } else if r.passed && r.mode == .full {
                lines.append("next        llmalpha strategy promote \(hypothesis)\(promoteData)   (opens the locked holdout, once)")
            } else if r.passed {
                lines.append("next        llmalpha validate \(r.scriptPath) --mode full   (only a full validation can be promoted)")
            }
        } else {
            lines.append("recorded    nothing (--no-record)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func json(_ r: ValidationReport) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("script", .string(r.scriptPath)),
            ("mode", .string(r.mode.rawValue)),
            ("hypothesis", r.hypothesis.map { .string($0.name) } ?? .null),
            ("passed", .bool(r.passed)),
            ("symbols_passed", .number(Double(r.symbolsPassed))),
            ("symbols_needed", .number(Double(r.symbolsNeeded))),
        ]
        if let f = r.failure {
            fields.append(("reason", .object([("code", .string(f.check.code.rawValue)), ("stage", .string(f.stage.stage.rawValue)),
                                              ("symbol", .string(f.symbol)), ("message", .string(f.check.message))])))
        } else {
            fields.append(("reason", .null))
        }
        fields += [
            ("deflated_sharpe", .optionalNumber(r.metric("dsr"))),
            ("pbo", .optionalNumber(r.metric("pbo"))),
            ("lifetime_trials", .number(Double(r.lifetimeTrials))),
            ("run_trials", .number(Double(r.runTrials))),
            ("parameters", .array(r.parameters.map { p in
                .object([("name", .string(p.name)), ("default", .string(p.valueText)), ("chosen", .optionalString(r.chosen[p.name]))])
            })),
            ("symbols", .array(r.symbols.map(symbolJSON))),
            ("recorded", r.recorded.map { .object([("hypothesis", .string($0.hypothesis)), ("trial", .number(Double($0.trial)))]) } ?? .null),
            ("warnings", .array(r.warnings.map { .string($0) })),
        ]
        return .object(fields)
    }

    static func symbolJSON(_ s: SymbolVerdict) -> JSONValue {
        var fields: [(String, JSONValue)] = [
            ("symbol", .string(s.symbol)), ("interval", .string(s.interval)), ("bars", .number(Double(s.bars))),
            ("first_open_time", .number(s.from)), ("last_open_time", .number(s.to)), ("holdout_from", .optionalNumber(s.holdoutFrom)),
            ("passed", .bool(s.passed)),
            ("stages", .array(s.stages.map { stage in
                .object([
                    ("stage", .string(stage.stage.rawValue)), ("passed", .bool(stage.passed)),
                    ("checks", .array(stage.checks.map { c in
                        .object([("code", .string(c.code.rawValue)), ("label", .string(c.label)), ("value", .number(c.value)),
                                 ("rule", .string(c.rule.rawValue)), ("threshold", .number(c.threshold)), ("passed", .bool(c.passed)),
                                 ("message", .string(c.message))])
                    })),
                    ("metrics", .object(stage.metrics.sorted { $0.key < $1.key }.map { ($0.key, .number($0.value)) })),
                    ("notes", .array(stage.notes.map { .string($0) })),
                ])
            })),
            ("not_run", .array(s.notRun.map { .string($0.rawValue) })),
        ]
        if let w = s.walkForward {
            fields.append(("walk_forward", .object([
                ("train", range(w.train)), ("validation", range(w.validation)), ("test", range(w.test)),
                ("train_sharpe", .number(w.trainSharpe)), ("validation_sharpe", .number(w.validationSharpe)),
                ("test_sharpe", .number(w.testSharpe)),
            ])))
        }
        if !s.rolling.isEmpty {
            fields.append(("rolling", .array(s.rolling.map { w in
                .object([("train", range(w.train)), ("test", range(w.test)), ("train_sharpe", .number(w.trainSharpe)),
                         ("test_sharpe", .number(w.testSharpe)), ("test_return", .number(w.testReturn)),
                         ("test_trades", .number(Double(w.testTrades))), ("parameters", .string(w.parameters))])
            })))
        }
        return .object(fields)
    }

    /// A bar range as [first, last] bar numbers, 1-based like a script's indices.
    private static func range(_ r: Range<Int>) -> JSONValue {
        .array([.number(Double(r.lowerBound + 1)), .number(Double(r.upperBound))])
    }

    static func day(_ ms: Double) -> String { String(TimeBound.format(ms).prefix(10)) }

    static func pad(_ s: String, _ width: Int) -> String {
        s.count >= width ? s + " " : s + String(repeating: " ", count: width - s.count)
    }
}
