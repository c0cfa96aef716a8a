import ArgumentParser
import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting

struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "docs",
        abstract: "Print the reference of every Lua primitive (generated from the primitive registry).",
        discussion: reflow("""
            The same registry feeds the Lua bindings, this reference, the REPL's help() and the LLM prompt,
            so what you read here is exactly what a script can call.

            Examples:
              llmalpha docs                 the whole reference, grouped
              llmalpha docs rsi zscore      only these primitives
              llmalpha docs --json          machine-readable, for tools and prompts
            """))

    @Argument(help: "Primitive names to show (default: all).")
    var names: [String] = []

    @OptionGroup var outputOptions: OutputOptions

    func validate() throws {
        for name in names where PrimitiveRegistry.byName[name] == nil || PrimitiveRegistry.byName[name]!.placement == .metamethod {
            let known = PrimitiveRegistry.all.filter { $0.placement != .metamethod }.map(\.name)
            let close = closestName(to: name, in: known)
            throw ValidationError("unknown primitive '\(name)'" + (close.map { " (did you mean '\($0)'?)" } ?? ""))
        }
    }

    func run() throws {
        let specs = names.isEmpty ? PrimitiveRegistry.all : names.compactMap { PrimitiveRegistry.byName[$0] }
        if outputOptions.json {
            Console.out(JSONValue.array(specs.map(ReferenceDocument.json)).rendered + "\n")
        } else {
            Console.out(ReferenceDocument.text(specs, full: names.isEmpty))
        }
    }
}

/// The generated reference: Markdown-flavoured text and JSON, both from the registry.
enum ReferenceDocument {
    static func text(_ specs: [PrimitiveSpec], full: Bool) -> String {
        ScriptReference.document(specs, full: full)
    }

    static func json(_ spec: PrimitiveSpec) -> JSONValue {
        .object([
            ("name", .string(spec.name)), ("group", .string(spec.group.rawValue)), ("signature", .string(spec.signature)),
            ("summary", .string(spec.summary)), ("lookback", .string(spec.lookback)), ("example", .string(spec.example)),
            ("looks_ahead", .bool(spec.looksAhead)), ("reference", .string(spec.reference)),
            ("arguments", .array(spec.arguments.map { a in
                .object([("name", .string(a.name)), ("type", .string(a.typeName)),
                         ("default", a.defaultValue.map { .number($0) } ?? a.defaultOption.map { .string($0) } ?? .null)])
            })),
            ("results", .array(spec.results.map { .string($0.typeName) })),
        ])
    }
}
