// The facade re-exports the types its API speaks in, so `import LLMAlpha` is enough for a Swift
// user: Series primitives, the script runner and market data.
@_exported public import Primitives
@_exported public import Scripting
@_exported public import MarketData
@_exported public import Backtest
@_exported public import Knowledge
