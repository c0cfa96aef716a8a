// The public API of `import LLMAlpha`: the operations DESIGN.md section 1 promises a Swift user
// (run a script, backtest, validate and promote, read and write the knowledge base) and the types they speak in. Each is
// re-exported by name, so the targets below stay free to keep everything else `package`.

@_exported public import class Scripting.ScriptRunner
@_exported public import struct Scripting.ScriptResult
@_exported public import struct Scripting.ScriptError
@_exported public import struct Scripting.SandboxLimits
@_exported public import struct Scripting.DataTable
@_exported public import struct Scripting.HypothesisInfo
@_exported public import struct Scripting.ParameterInfo
@_exported public import struct Scripting.SignalLayer

@_exported public import enum Backtest.Backtester
@_exported public import struct Backtest.BacktestConfig
@_exported public import struct Backtest.BacktestResult
@_exported public import struct Backtest.BacktestMetrics
@_exported public import struct Backtest.MarketColumns
@_exported public import struct Backtest.SignalMasks
@_exported public import struct Backtest.SignalReport
@_exported public import struct Backtest.Trade

@_exported public import struct MarketData.Bars
@_exported public import struct MarketData.BarsRequest
@_exported public import struct MarketData.MarketStore
@_exported public import struct MarketData.DataError

@_exported public import class Knowledge.KnowledgeBase
@_exported public import enum Knowledge.KnowledgeError
@_exported public import struct Knowledge.Hypothesis
@_exported public import struct Knowledge.Trial
@_exported public import struct Knowledge.Strategy

@_exported public import struct Evaluation.ScriptRun
@_exported public import class Evaluation.PreparedBars
@_exported public import struct Evaluation.EvaluationSettings

@_exported public import class Validation.Validator
@_exported public import struct Validation.ValidationSettings
@_exported public import struct Validation.ValidationReport
@_exported public import struct Validation.ValidationProgress
@_exported public import struct Validation.SymbolVerdict
@_exported public import struct Validation.StageResult
@_exported public import struct Validation.Check
@_exported public import enum Validation.ReasonCode
@_exported public import enum Validation.ValidationStage
@_exported public import enum Validation.ValidatorError
@_exported public import struct Validation.VisibleBars
@_exported public import enum Validation.LockedHoldout
@_exported public import struct Validation.StrategyPromoter
@_exported public import struct Validation.PromotionReport

@_exported public import struct Agent.AgentSettings
@_exported public import enum Agent.AgentError
@_exported public import enum Agent.ResearchCategory
@_exported public import enum Agent.ResearchEvent
@_exported public import struct Agent.ResearchResult
@_exported public import struct Agent.IterationRecord
@_exported public import protocol Agent.HypothesisSource
@_exported public import struct Agent.ProposalRequest
@_exported public import struct Agent.Proposal
@_exported public import struct Agent.RefinementTarget
@_exported public import struct Agent.ProposerOutcome
@_exported public import struct Agent.OfflineGenerator
@_exported public import struct Agent.DataProfile
@_exported public import struct Agent.KnowledgeAnalysis
@_exported public import struct Knowledge.ResearchRun
@_exported public import struct Knowledge.ResearchStep

@_exported public import class Agent.LanguageModelSource
@_exported public import struct Agent.LanguageModelSettings
@_exported public import struct Agent.PromptContext
@_exported public import enum Agent.ResearchPrompt
@_exported public import class LanguageModels.LanguageModelClient
@_exported public import enum LanguageModels.LanguageModelProvider
@_exported public import struct LanguageModels.LanguageModelError
@_exported public import struct LanguageModels.ProviderEndpoint
@_exported public import struct LanguageModels.ChatRequest
@_exported public import struct LanguageModels.ChatMessage
@_exported public import struct LanguageModels.ChatReply
@_exported public import struct LanguageModels.PriceTable
@_exported public import struct Knowledge.LLMSpend
