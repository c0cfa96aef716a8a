/// What a model's tokens cost, in US dollars per million (configs/llm-prices.yaml).
public struct ModelPrice: Sendable, Equatable {
    public var input: Double
    public var output: Double

    public init(input: Double, output: Double) {
        self.input = input
        self.output = output
    }
}

/// Prices by model name. A dated or namespaced name (`gpt-4o-2024-08-06`, `openai/gpt-4o`) takes
/// the price of its longest listed prefix; a model not listed costs nothing, said once.
public struct PriceTable: Sendable, Equatable {
    public var prices: [String: ModelPrice]

    public init(_ prices: [String: ModelPrice] = [:]) {
        self.prices = prices
    }

    public func price(of model: String) -> ModelPrice? {
        let name = model.lowercased()
        let bare = name.split(separator: "/").last.map(String.init) ?? name
        for candidate in [name, bare] {
            if let exact = prices[candidate] { return exact }
        }
        let prefixes = prices.keys.filter { bare.hasPrefix($0) || name.hasPrefix($0) }
        return prefixes.max { $0.count < $1.count }.flatMap { prices[$0] }
    }

    /// Dollars for `usage` of `model`; `nil` when the model is not listed.
    public func cost(of usage: TokenUsage, model: String) -> Double? {
        guard let price = price(of: model) else { return nil }
        return (Double(usage.prompt) * price.input + Double(usage.completion) * price.output) / 1_000_000
    }
}
