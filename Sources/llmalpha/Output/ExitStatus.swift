import ArgumentParser
import Foundation
import Backtest
import Agent
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting
import Validation

/// The exit statuses of every command (DESIGN.md section 3.4), in one place.
enum ExitStatus: Int32 {
    case ok = 0
    case scriptError = 1
    case usage = 2
    case resourceLimit = 3
    case dataError = 4
    case networkError = 5
    case knowledgeError = 6
    /// A hypothesis rejected by a validation gate, or a strategy whose holdout failed: no error,
    /// a verdict, but one a script must not mistake for success.
    case rejected = 7
    case interrupted = 130

    /// The status for an error any command may throw.
    static func `for`(_ error: any Error) -> Int32 {
        switch error {
        case let e as ScriptError: return e.exitCode
        case is DataError: return ExitStatus.dataError.rawValue
        case let e as KnowledgeError:
            if case .notFound = e { return ExitStatus.usage.rawValue }
            return ExitStatus.knowledgeError.rawValue
        case is ConfigurationError, is ScriptFileError: return ExitStatus.usage.rawValue
        case is OutputFileError: return ExitStatus.scriptError.rawValue
        case let e as ValidatorError: return e.exitCode
        case let e as CommandFailure: return e.status.rawValue
        case let e as AgentError:
            switch e {
            case .usage: return ExitStatus.usage.rawValue
            case .source: return ExitStatus.scriptError.rawValue
            case .provider: return ExitStatus.networkError.rawValue
            case .budget: return ExitStatus.ok.rawValue
            case .validation(let v): return v.exitCode
            case .knowledge: return ExitStatus.knowledgeError.rawValue
            case .interrupted: return ExitStatus.interrupted.rawValue
            }
        default: return ExitStatus.scriptError.rawValue
        }
    }
}

/// A failure a command reports itself, with its status.
struct CommandFailure: Error, CustomStringConvertible {
    let status: ExitStatus
    let description: String
}

/// Standard error, for messages and progress; stdout carries results only.
enum Console {
    static func error(_ line: String) {
        FileHandle.standardError.write(Data("error: \(line)\n".utf8))
    }

    static func note(_ line: String) {
        FileHandle.standardError.write(Data("\(line)\n".utf8))
    }

    /// Writes to stdout at once (scripts' prints interleave with our report in order).
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static var colorEnabled: Bool {
        ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(STDOUT_FILENO) != 0
    }
}

/// Help text as written in the source (short lines) reflowed for the argument parser, which
/// wraps at 80 columns itself: consecutive prose lines become one paragraph; indented lines
/// (examples, tables) and blank lines are kept as they are.
func reflow(_ text: String) -> String {
    var out: [String] = []
    var paragraph = ""
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        if line.isEmpty || line.hasPrefix(" ") {
            if !paragraph.isEmpty { out.append(paragraph); paragraph = "" }
            out.append(String(line))
        } else {
            paragraph += paragraph.isEmpty ? String(line) : " " + line
        }
    }
    if !paragraph.isEmpty { out.append(paragraph) }
    return out.joined(separator: "\n")
}
