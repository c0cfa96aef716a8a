import ArgumentParser
import Foundation
import Agent
import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting
import Validation

@main
struct LLMAlphaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "llmalpha",
        abstract: "Autonomous crypto alpha research: Lua hypotheses in a sandbox over Binance USD-M perpetual data.",
        discussion: reflow("""
            Start here:
              llmalpha agent research                    the research loop on bundled data, offline
              llmalpha run examples/rsi_reversion.lua    a hypothesis on bundled BTCUSDT 1h
              llmalpha backtest run -s BTC -S rsi_mr     backtest a strategy script
              llmalpha validate examples/rsi_reversion.lua   judge it: gates, walk-forward, DSR
              llmalpha strategy promote H003             open its locked holdout, save it
              llmalpha repl                              a Lua prompt with d loaded
              llmalpha data list                         what the store holds
              llmalpha kb stats                          what the research has tried so far
              llmalpha docs                              every primitive a script can call
            Exit status: 0 ok, 1 script error, 2 usage or config, 3 resource limit,
            4 data, 5 network, 6 knowledge base, 7 rejected by validation, 130 interrupted.
            """),
        version: LLMAlphaVersion.current,
        subcommands: [AgentCommand.self, RunCommand.self, BacktestCommand.self, ValidateCommand.self, StrategyCommand.self, ReplCommand.self,
                      DataCommand.self, KnowledgeCommand.self, DocsCommand.self])

    /// An argument error as one line, like every other error: the parser's first line and where
    /// the command's help is (its usage block would bury the message).
    static func usageLine(for error: any Error) -> String {
        let first = message(for: error).split(separator: "\n").first.map(String.init) ?? "bad arguments"
        let full = fullMessage(for: error)
        guard let see = full.range(of: "See '"), let end = full[see.upperBound...].firstIndex(of: "'") else { return first }
        return "\(first) (see '\(full[see.upperBound..<end])')"
    }

    /// Parses, runs, and exits with the status of DESIGN.md section 3.4; argument errors exit 2,
    /// not the parser's 64, and every failure prints one line on stderr.
    static func main() {
        SeriesMemory.keepFreedBlocks()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as ScriptError {
            Console.error(error.description)
            Foundation.exit(error.exitCode)
        } catch let error as CommandFailure where error.description.isEmpty {
            Foundation.exit(error.status.rawValue)
        } catch let error as CommandFailure {
            Console.error(error.description)
            Foundation.exit(error.status.rawValue)
        } catch let error as DataError {
            Console.error(error.description)
            Foundation.exit(ExitStatus.for(error))
        } catch let error as ConfigurationError {
            Console.error(error.description)
            Foundation.exit(ExitStatus.for(error))
        } catch let error as ScriptFileError {
            Console.error(error.description)
            Foundation.exit(ExitStatus.for(error))
        } catch let error as KnowledgeError {
            Console.error(error.description)
            Foundation.exit(ExitStatus.for(error))
        } catch let error as OutputFileError {
            Console.error(error.description)
            Foundation.exit(ExitStatus.for(error))
        } catch let error as ValidatorError {
            Console.error(error.description)
            Foundation.exit(ExitStatus.for(error))
        } catch let error as AgentError {
            if case .interrupted = error { Foundation.exit(ExitStatus.interrupted.rawValue) }
            Console.error(error.description)
            Foundation.exit(ExitStatus.for(error))
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)   // --help, --version: the parser prints them
            }
            // An ExitCode thrown on purpose (130 after Ctrl-C) has said what it had to already.
            if !message(for: error).isEmpty { Console.error(usageLine(for: error)) }
            Foundation.exit(code == .validationFailure ? ExitStatus.usage.rawValue : code.rawValue)
        }
    }
}
