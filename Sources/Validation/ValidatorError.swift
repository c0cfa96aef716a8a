public import Knowledge
public import Scripting

/// Why a validation (or a promotion) could not be carried out at all: not a verdict on the
/// hypothesis, which is a ``ValidationReport``, but something to fix first. Each case renders as
/// one line naming what and the fix; nothing is recorded as a passed trial when one is thrown.
public enum ValidatorError: Error, Sendable, CustomStringConvertible {
    /// The script lacks a layer the mode needs.
    case missingLayers(String)
    /// The visible span cannot hold the mode's windows.
    case spanTooShort(String)
    /// A declared range the optimizer cannot search.
    case unsearchableRange(String)
    /// The script failed with its default parameters.
    case script(ScriptError)
    /// The knowledge base refused (locked, read-only, damaged).
    case knowledge(KnowledgeError)
    /// A promotion that cannot happen: nothing validated, the holdout already opened, no holdout left.
    case promotion(String)
    /// Ctrl-C.
    case interrupted

    public var description: String {
        switch self {
        case .missingLayers(let s), .spanTooShort(let s), .unsearchableRange(let s), .promotion(let s): return s
        case .script(let e): return e.description
        case .knowledge(let e): return e.description
        case .interrupted: return "interrupted"
        }
    }

    /// The exit status (DESIGN.md section 3.4, plus 7 for a rejection, which is no error):
    /// 1 script, 2 usage (an unknown id, nothing to promote, a holdout already opened), 3 limit,
    /// 4 data, 6 knowledge base, 130 interrupted.
    public var exitCode: Int32 {
        switch self {
        case .missingLayers, .unsearchableRange: return 1
        case .promotion: return 2
        case .spanTooShort: return 4
        case .script(let e): return e.exitCode
        case .knowledge(let e):
            switch e {
            case .notFound, .holdoutOpened: return 2
            default: return 6
            }
        case .interrupted: return 130
        }
    }
}
