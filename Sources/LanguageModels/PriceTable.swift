import Foundation

/// What a model's tokens cost, in US dollars per million (configs/llm-prices.yaml).
public struct ModelPrice: Sendable, Equatable {
    public var input: Double
    public var output: Double

    public init(input: Double, output: Double) {
        self.input = input
        self.output = output
    }
}

/// Prices by model name. A dated or namespaced name (`gpt-4o-2024-08-06`, `claude-sonnet-4-5-20250929`,
/// `openai/gpt-4o`, `claude-3-5-haiku-latest`) takes the price of its base name; any other name
/// (`o3-pro` is not `o3`) must be listed itself, else it is unpriced.
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
        for candidate in [name, bare] {
            if let base = Self.undated(candidate), let price = prices[base] { return price }
        }
        return nil
    }

    /// `name` without a trailing snapshot date (`-2024-08-06`, `-20250929`) or `-latest`.
    static func undated(_ name: String) -> String? {
        for pattern in [#"-\d{4}-\d{2}-\d{2}$"#, #"-\d{8}$"#, #"-latest$"#] {
            if let r = name.range(of: pattern, options: .regularExpression) { return String(name[..<r.lowerBound]) }
        }
        return nil
    }

    /// Dollars for `usage` of `model`; `nil` when the model is not listed.
    public func cost(of usage: TokenUsage, model: String) -> Double? {
        guard let price = price(of: model) else { return nil }
        return (Double(usage.prompt) * price.input + Double(usage.completion) * price.output) / 1_000_000
    }
}
