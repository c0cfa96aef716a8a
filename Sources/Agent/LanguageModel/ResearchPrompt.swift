import Foundation
public import LanguageModels
import Primitives
import Scripting

/// The fixed parts of the research prompt, loaded once per run: the market-knowledge file, the
/// example scripts, and the script reference generated from the primitive registry.
public struct PromptContext: Sendable {
    /// configs/market-knowledge.md: documented crypto-perp effects, each with a rationale and a reference.
    public var marketKnowledge: String
    /// Two or three scripts that pass the contract: validated strategies first, else examples/.
    public var examples: [(name: String, script: String)]
    /// The same text as `llmalpha docs`.
    public var reference: String

    public init(marketKnowledge: String, examples: [(name: String, script: String)], reference: String = ResearchPrompt.reference) {
        self.marketKnowledge = marketKnowledge
        self.examples = examples
        self.reference = reference
    }
}

/// The research prompt (DESIGN.md section 8): the contract and the primitive reference,
/// documented market effects, a profile of the training bars, what the knowledge base has
/// learned, and the task. The system message holds what does not change within a run, so
/// providers that cache prompt prefixes can; the user message holds the rest. Nothing in it comes
/// from walk-forward test, rolling or holdout numbers.
public enum ResearchPrompt {
    /// `llmalpha docs`, whole.
    public static var reference: String { ScriptReference.document(PrimitiveRegistry.all, full: true) }

    /// Outcomes of this run shown to the model, newest last.
    static let historyShown = 12

    public static func messages(for request: ProposalRequest, context: PromptContext) -> [ChatMessage] {
        [ChatMessage(.system, system(context: context, interval: request.profile.interval)), ChatMessage(.user, task(request))]
    }

    static func system(context: PromptContext, interval: String) -> String {
        var out = """
            You are a quantitative researcher looking for trading edges in Binance USD-M perpetual futures. You write each \
            hypothesis as one Lua 5.4 script for llmalpha's sandbox. Scripts are judged out of sample (walk-forward \
            60/20/20, rolling windows, deflated Sharpe, probability of backtest overfitting, a locked holdout); you only \
            ever see in-sample numbers, so aim for an economic reason, not a fit.

            How to write the script:
            - Answer with a one-line rationale, then exactly one ```lua block holding the whole script.
            - Begin with hypothesis{ name = "snake_case_name", rationale = "...", timeframe = "\(interval)", tags = { "<category>", ... } }.
            - Declare every tunable number at the top level with param.int / param.float / param.bool / param.choice and a \
            sensible range; never inside a function. Two to four parameters.
            - function factor(d) returns a series whose high values should precede high forward returns.
            - function signal(d, f) returns { long = mask, short = mask, exit = mask } (exit optional) built from comparisons \
            (gt, lt, crossover, ...); masks, not numbers.
            - strategy{ ... } is optional.
            - Use only the data columns and primitives below; no require, io, os or string tricks. Never look at later bars: \
            no negative shifts and no primitive marked LOOKS AHEAD.

            \(context.reference)
            """
        if !context.marketKnowledge.isEmpty {
            out += "\n\n# Documented effects in crypto perpetual futures\n\n" + context.marketKnowledge.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if !context.examples.isEmpty {
            out += "\n\n# Scripts that follow the contract\n"
            for example in context.examples {
                out += "\n\(example.name):\n```lua\n\(example.script.trimmingCharacters(in: .whitespacesAndNewlines))\n```\n"
            }
        }
        return out
    }

    static func task(_ request: ProposalRequest) -> String {
        var out = "# The data (profiled on the walk-forward training bars only)\n\n" + request.profile.summary
        let columns = ["open", "high", "low", "close", "volume"] + request.profile.columns.sorted()
        out += "\nColumns: " + columns.map { "d.\($0)" }.joined(separator: " ") + "\n"
        if !request.failureSummary.isEmpty {
            out += "\n# What the knowledge base has learned (in-sample reasons and numbers)\n\n" + request.failureSummary + "\n"
        }
        let recent = request.history.suffix(historyShown)
        if !recent.isEmpty {
            out += "\n# This knowledge base's recent research, oldest first\n\n"
            for o in recent {
                out += "- \(o.hypothesis) \(o.name)\(o.category.map { " (\($0))" } ?? ""): reached \(o.stage); \(o.feedback)\n"
            }
        }
        if !request.abandoned.isEmpty {
            out += "\nAbandoned in this run (too many failures): \(request.abandoned.map(\.rawValue).sorted().joined(separator: ", ")).\n"
        }
        out += "\n# Your task\n\n"
        switch request.task {
        case .new:
            out += "Propose a new hypothesis"
            if let c = request.category { out += " in the \(c.rawValue) category (\(c.phrase))" }
            out += "."
            if let d = request.direction, !d.isEmpty { out += " Research direction: \(d)." }
            out += " Its factor must differ in structure from every hypothesis above, not only in numbers."
        case .refine(let target):
            out += """
                Refine \(target.hypothesis) "\(target.name)", a near-miss (refinement \(target.generation + 1)). \
                It reached \(target.outcome.stage): \(target.outcome.feedback)
                In-sample numbers: \(target.outcome.metrics.keys.sorted().map { "\($0)=\(number(target.outcome.metrics[$0]!))" }.joined(separator: ", "))
                Parameters chosen on the training and validation windows: \
                \(target.parameters.keys.sorted().map { "\($0)=\(number(target.parameters[$0]!))" }.joined(separator: ", "))
                Its script:
                ```lua
                \(target.script.trimmingCharacters(in: .whitespacesAndNewlines))
                ```
                Change one thing that answers its failure reason (\(target.outcome.reasonCode ?? "none")): \
                \(target.generation < 2 ? "parameter ranges and defaults first" : "now its structure: a filter, an exit, a smoother factor"). \
                Keep its name with a suffix saying what changed.
                """
        }
        if request.attempt > 0 {
            out += "\nAttempt \(request.attempt + 1): the previous answer repeated a hypothesis already judged. Propose a structurally different one."
        }
        out += "\nAnswer with a one-line rationale and one ```lua block."
        return out
    }

    /// What a repair round sends back: the error as the sandbox said it.
    static func repair(_ problem: String) -> String {
        """
        The script failed in llmalpha's sandbox:
        \(problem)
        Fix it and answer with the whole corrected script in one ```lua block. Keep the hypothesis and its name.
        """
    }

    /// Numbers as the offline generator writes them: integers bare, others to four decimals.
    static func number(_ x: Double) -> String { HypothesisDesign.number(x) }
}
