public import Backtest
public import Scripting

extension SignalMasks {
    /// The four masks a backtest needs from a signal layer, short form or explicit: the one place
    /// masks are resolved (`signal(d, f)` and `backtest{}` both come through here). The short
    /// form's `exit` closes either side; an explicit mask wins over its short-form twin.
    public init(_ layer: SignalLayer) {
        self.init(entries: layer.entries ?? layer.long, exits: layer.exits ?? layer.exit,
                  shortEntries: layer.shortEntries ?? layer.short, shortExits: layer.shortExits ?? layer.exit)
    }
}
