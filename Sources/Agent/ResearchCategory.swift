/// The families of crypto-perp hypotheses `agent research -c` can ask for.
public enum ResearchCategory: String, Sendable, CaseIterable, Codable {
    case momentum
    case meanReversion = "mean_reversion"
    case breakout
    case volatility
    case funding
    case openInterest = "open_interest"
    case volume

    /// The data column a category cannot do without, beyond prices (`d.funding`, `d.open_interest`).
    public var requiredColumn: String? {
        switch self {
        case .funding: return "funding"
        case .openInterest: return "open_interest"
        default: return nil
        }
    }

    /// What the category bets on, in a phrase for summaries and the prompt.
    public var phrase: String {
        switch self {
        case .momentum: return "recent moves continue"
        case .meanReversion: return "stretched prices snap back"
        case .breakout: return "prices leaving a range keep going"
        case .volatility: return "volatility regimes change how prices move"
        case .funding: return "crowded funding unwinds"
        case .openInterest: return "open-interest surges precede moves"
        case .volume: return "volume confirms or exhausts moves"
        }
    }
}
