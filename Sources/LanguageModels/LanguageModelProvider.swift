import Foundation

/// The wire formats spoken: OpenAI's chat completions (and every server compatible with it),
/// Anthropic's messages, Ollama's chat.
public enum LanguageModelProvider: String, Sendable, CaseIterable, Codable {
    case openai, anthropic, ollama

    /// Where requests go when neither a flag, the environment nor the config names a host.
    public var defaultBaseURL: String {
        switch self {
        case .openai: return "https://api.openai.com/v1"
        case .anthropic: return "https://api.anthropic.com"
        case .ollama: return "http://127.0.0.1:11434"
        }
    }

    /// The model asked when none is named.
    public var defaultModel: String {
        switch self {
        case .openai: return "gpt-5.2"
        case .anthropic: return "claude-sonnet-4-5"
        case .ollama: return "qwen2.5-coder:7b"
        }
    }

    /// The environment variable (or `.env` line) holding the key; Ollama needs none.
    public var keyVariable: String? {
        switch self {
        case .openai: return "OPENAI_API_KEY"
        case .anthropic: return "ANTHROPIC_API_KEY"
        case .ollama: return nil
        }
    }

    /// The environment variable naming another host.
    public var hostVariable: String {
        switch self {
        case .openai: return "OPENAI_BASE_URL"
        case .anthropic: return "ANTHROPIC_BASE_URL"
        case .ollama: return "OLLAMA_HOST"
        }
    }

    /// A name for messages: `OpenAI`, `Anthropic`, `Ollama`.
    public var title: String {
        switch self {
        case .openai: return "OpenAI"
        case .anthropic: return "Anthropic"
        case .ollama: return "Ollama"
        }
    }
}

/// Where and as whom to call a provider. The key never appears in a description.
public struct ProviderEndpoint: Sendable, Equatable, CustomStringConvertible {
    public var provider: LanguageModelProvider
    public var baseURL: String
    public var apiKey: String?

    public init(provider: LanguageModelProvider, baseURL: String? = nil, apiKey: String? = nil) {
        self.provider = provider
        var url = (baseURL?.isEmpty ?? true) ? provider.defaultBaseURL : baseURL!
        // OLLAMA_HOST is often `host:port` without a scheme.
        if !url.contains("://") { url = "http://" + url }
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.apiKey = apiKey.flatMap { $0.isEmpty ? nil : $0 }
    }

    public var description: String { "\(provider.rawValue) at \(baseURL)" }

    /// `text` with the key, wherever it appears, replaced by its first characters and an ellipsis.
    public func redact(_ text: String) -> String {
        guard let key = apiKey, key.count >= 4 else { return text }
        return text.replacingOccurrences(of: key, with: String(key.prefix(key.count >= 12 ? 3 : 1)) + "…")
    }

    /// A URL without user, password or query, as it may be recorded and shown.
    public static func publicForm(_ url: String) -> String {
        guard var parts = URLComponents(string: url) else { return url }
        parts.user = nil
        parts.password = nil
        parts.query = nil
        parts.fragment = nil
        return parts.string ?? url
    }
}

/// Keys and hosts from flags, the environment, or a `.env` file, in that order of precedence; the
/// config file's base URL comes last.
public struct ProviderCredentials: Sendable {
    public var environment: [String: String]
    /// Variables of `.env` in the working directory (empty when there is none).
    public var dotEnv: [String: String]

    public init(environment: [String: String], dotEnv: [String: String] = [:]) {
        self.environment = environment
        self.dotEnv = dotEnv
    }

    public func value(_ name: String) -> String? {
        if let v = environment[name], !v.isEmpty { return v }
        if let v = dotEnv[name], !v.isEmpty { return v }
        return nil
    }

    /// The endpoint for `provider`: `apiKey` and `baseURL` (flags) first, then the variables,
    /// then `configBaseURL`.
    public func endpoint(_ provider: LanguageModelProvider, apiKey: String? = nil, baseURL: String? = nil,
                         configBaseURL: String? = nil) -> ProviderEndpoint {
        let key = apiKey.flatMap { $0.isEmpty ? nil : $0 } ?? provider.keyVariable.flatMap(value)
        let host = baseURL.flatMap { $0.isEmpty ? nil : $0 } ?? value(provider.hostVariable) ?? configBaseURL.flatMap { $0.isEmpty ? nil : $0 }
        return ProviderEndpoint(provider: provider, baseURL: host, apiKey: key)
    }

    /// The providers whose key is set, in the order `auto` prefers them.
    public var configured: [LanguageModelProvider] {
        LanguageModelProvider.allCases.filter { p in p.keyVariable.map { value($0) != nil } ?? false }
    }
}

/// `.env` files as python-dotenv and docker read them: `NAME=value` lines, an optional `export `,
/// single or double quotes, `#` comments.
public enum DotEnv {
    public static func parse(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            if line.hasPrefix("export ") { line = String(line.dropFirst(7)).trimmingCharacters(in: .whitespaces) }
            guard let eq = line.firstIndex(of: "=") else { continue }
            let name = line[..<eq].trimmingCharacters(in: .whitespaces)
            var value = line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if let quote = value.first, quote == "\"" || quote == "'", let end = value.dropFirst().firstIndex(of: quote) {
                value = String(value[value.index(after: value.startIndex)..<end])
            } else if let hash = value.range(of: " #") {
                value = value[..<hash.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            guard !name.isEmpty else { continue }
            values[name] = value
        }
        return values
    }

    /// `.env` in `directory`, or nothing.
    public static func load(directory: String) -> [String: String] {
        let path = (directory as NSString).appendingPathComponent(".env")
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        return parse(text)
    }
}
