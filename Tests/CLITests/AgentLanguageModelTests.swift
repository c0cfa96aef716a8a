import FakeLanguageModel
import Foundation
import Testing

/// `agent research -p openai|anthropic|ollama` end to end against the fake provider, and
/// `agent prompt`: what a user with a key (or a local server) sees.
@Suite("llmalpha agent with a language model")
struct AgentLanguageModelTests {
    static let script = """
        hypothesis { name = "hint_lead", rationale = "the hint leads returns", timeframe = "1h", tags = { "momentum" } }
        local n = param.int("n", 1, 48, 6)
        local band = param.float("band", 0.2, 2.0, 0.8)
        function factor(d) return sma(d.hint, n) end
        function signal(d, f) return { long = gt(f, band), short = lt(f, -band), exit = lt(abs(f), band / 4) } end
        """

    static func reply(_ n: Int) -> String {
        "The hint column leads the next bar.\n```lua\n" + script.replacingOccurrences(of: "1, 48, 6)", with: "1, 48, \(n))")
            .replacingOccurrences(of: "\"hint_lead\"", with: "\"hint_lead_\(n)\"") + "\n```"
    }

    @Test("-p openai --base-url: the loop runs on the model's scripts, calls are priced, the key is never shown; then status")
    func openAICompatible() async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            try await FakeLanguageModel.with { server in
                server.enqueue(Self.reply(6), Self.reply(12))
                let key = "sk-cli-secret-0123456789"
                var r = try await CLI.run(["agent", "research", "--data", AgentCommandTests.plantedData.path, "-p", "openai", "-m", "gpt-4o",
                                           "--base-url", server.baseURL + "/v1", "--api-key", key, "-n", "2", "--mode", "quick",
                                           "--kb", kb, "--json"], environment: env, directory: dir)
                #expect(r.status == 0, "\(r.stderr)")
                #expect(!r.stdout.contains(key) && !r.stderr.contains(key))
                let doc = try AgentCommandTests.json(r.stdout)
                #expect(doc["provider"] as? String == "llm:gpt-4o")
                let llm = try #require(doc["llm"] as? [String: Any])
                #expect(llm["calls"] as? Int == 2)
                // configs/llm-prices.yaml: gpt-4o at $2.50 / $10 per million; 14 + 30 tokens a call.
                #expect(abs((llm["usd"] as? Double ?? 0) - 2 * 0.000335) < 1e-12, "\(llm)")
                #expect(server.requests.allSatisfy { $0.headers["authorization"] == "Bearer \(key)" })
                #expect(r.stderr.contains("H001 hint_lead_6") && !r.stderr.contains("unnamed"), "\(r.stderr)")
                let hypotheses = try FileManager.default.contentsOfDirectory(atPath: dir.appendingPathComponent("hypotheses").path)
                #expect(hypotheses.count == 2)

                r = try await CLI.run(["agent", "status", "--kb", kb], environment: env)
                #expect(r.stdout.contains("llm:gpt-4o") && r.stdout.contains("2 model calls"), "\(r.stdout)")
                #expect(!r.stdout.contains(key))
            }
        }
    }

    @Test("The key from .env; a refused key stops with exit 5 and the fix; no key at all is a usage error")
    func keysAndRefusals() async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            try await FakeLanguageModel.with { server in
                try "OPENAI_API_KEY=sk-dotenv-abcdef123456\n".write(to: dir.appendingPathComponent(".env"), atomically: true, encoding: .utf8)
                server.enqueue(Self.reply(6))
                var r = try await CLI.run(["agent", "research", "--data", AgentCommandTests.plantedData.path, "-p", "openai", "-m", "gpt-4o",
                                           "--base-url", server.baseURL + "/v1", "-n", "1", "--mode", "quick", "--kb", kb, "-q"],
                                          environment: env, directory: dir)
                #expect(r.status == 0, "\(r.stderr)")
                #expect(server.requests.first?.headers["authorization"] == "Bearer sk-dotenv-abcdef123456")

                server.inject(.status(401), times: 5)
                r = try await CLI.run(["agent", "research", "--data", AgentCommandTests.plantedData.path, "-p", "openai", "-m", "gpt-4o",
                                       "--base-url", server.baseURL + "/v1", "-n", "3", "--mode", "quick", "--kb", kb, "-q"],
                                      environment: env, directory: dir)
                #expect(r.status == 5, "\(r.stderr)")
                let last = r.stderr.split(separator: "\n").last.map(String.init) ?? ""
                #expect(last.contains("openai: HTTP 401") && last.contains("OPENAI_API_KEY"), "\(r.stderr)")
                #expect(!r.stderr.contains("sk-dotenv-abcdef123456"))

                try FileManager.default.removeItem(at: dir.appendingPathComponent(".env"))
                var bare = env
                bare["ANTHROPIC_API_KEY"] = ""
                r = try await CLI.run(["agent", "research", "-p", "anthropic", "-n", "1", "--kb", kb], environment: bare, directory: dir)
                #expect(r.status == 2)
                #expect(r.stderr.contains("ANTHROPIC_API_KEY") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
                // A dollar budget needs a price: without one it could never stop the run.
                r = try await CLI.run(["agent", "research", "-p", "openai", "-m", "my-finetune", "--base-url", server.baseURL + "/v1",
                                       "--api-key", "sk-x-123456789", "--budget-usd", "1", "-n", "1", "--kb", kb], environment: env, directory: dir)
                #expect(r.status == 2 && r.stderr.contains("--budget-usd needs a price for my-finetune"), "\(r.stderr)")
            }
        }
    }

    @Test("-p anthropic and -p ollama run the loop through their own wire formats", arguments: ["anthropic", "ollama"])
    func otherProviders(provider: String) async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            try await FakeLanguageModel.with { server in
                server.enqueue(Self.reply(6))
                let r = try await CLI.run(["agent", "research", "--data", AgentCommandTests.plantedData.path, "-p", provider,
                                           "--base-url", server.baseURL, "--api-key", "sk-any-1234567890", "-n", "1", "--mode", "quick",
                                           "--kb", kb, "--json"], environment: env, directory: dir)
                #expect(r.status == 0, "\(r.stderr)")
                #expect(server.requests.first?.path == (provider == "anthropic" ? "/v1/messages" : "/api/chat"))
                let doc = try AgentCommandTests.json(r.stdout)
                #expect((doc["llm"] as? [String: Any])?["calls"] as? Int == 1)
            }
        }
    }

    @Test("agent prompt: the contract, the registry's reference, the market knowledge, the data profile; JSON on request")
    func prompt() async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            var r = try await CLI.run(["agent", "prompt", "-c", "funding", "-r", "crowded longs", "--kb", kb], environment: env, directory: dir)
            #expect(r.status == 0, "\(r.stderr)")
            for part in ["## system", "## user", "hypothesis{", "zscore(", "# Documented effects in crypto perpetual futures",
                         "Funding carry and crowding", "training bars", "funding category", "Research direction: crowded longs"] {
                #expect(r.stdout.contains(part), "missing \(part)")
            }
            #expect(r.stderr.contains("prompt: 2 messages"))
            r = try await CLI.run(["agent", "prompt", "--kb", kb, "--json"], environment: env, directory: dir)
            let messages = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: String]])
            #expect(messages.map { $0["role"] ?? "" } == ["system", "user"])
        }
    }
}

extension AgentLanguageModelTests {
    @Test("agent analyze -p openai adds a model's reading, recorded as a call; without -p nothing is sent")
    func analyzeWithAModel() async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            try await FakeLanguageModel.with { server in
                var r = try await CLI.run(["agent", "research", "--data", AgentCommandTests.plantedData.path, "-p", "offline", "-n", "1",
                                           "--mode", "quick", "--kb", kb, "-q"], environment: env, directory: dir)
                #expect(r.status == 0, "\(r.stderr)")
                r = try await CLI.run(["agent", "analyze", "--kb", kb], environment: env, directory: dir)
                #expect(r.status == 0 && !r.stdout.contains("A reading by"))
                #expect(server.requests.isEmpty)
                server.enqueue("- Factor-gate failures dominate.\n- Next: llmalpha agent research -c volatility")
                r = try await CLI.run(["agent", "analyze", "-p", "openai", "-m", "gpt-4o", "--base-url", server.baseURL + "/v1",
                                       "--api-key", "sk-analyze-123456", "--kb", kb], environment: env, directory: dir)
                #expect(r.status == 0, "\(r.stderr)")
                #expect(r.stdout.contains("A reading by gpt-4o:\n- Factor-gate failures dominate."), "\(r.stdout)")
                #expect(server.requests.count == 1)
                r = try await CLI.run(["kb", "export", "--format", "csv", "--table", "llm_calls", "--kb", kb], environment: env, directory: dir)
                #expect(r.stdout.contains(",openai,gpt-4o,analyze,"), "\(r.stdout)")
            }
        }
    }
}

extension AgentLanguageModelTests {
    @Test("scripts/fake-llm by hand: start it, point agent research at it, with a 429 injected")
    func fakeProviderByHand() async throws {
        try await AgentCommandTests.scratch { dir, env, kb in
            let server = Process()
            server.executableURL = CLI.binary.deletingLastPathComponent().appendingPathComponent("llmalpha-fake-llm")
            server.arguments = ["--port", "0", "--fault", "429"]
            let out = Pipe()
            server.standardOutput = out
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer { server.terminate(); server.waitUntilExit() }
            // The first line is the base URL.
            let url = try await CLI.offPool { () -> String in
                var line = Data()
                while !line.contains(UInt8(ascii: "\n")) {
                    let chunk = out.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    line += chunk
                }
                return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(url.hasPrefix("http://127.0.0.1:"))
            let r = try await CLI.run(["agent", "research", "-p", "openai", "-m", "gpt-4o", "--base-url", url + "/v1", "--api-key", "test-123456",
                                       "-n", "1", "--mode", "quick", "--kb", kb], environment: env, directory: dir)
            #expect(r.status == 0, "\(r.stderr)")
            #expect(r.stderr.contains("HTTP 429 rate_limit_exceeded; retry 1/2"), "\(r.stderr)")
            #expect(r.stderr.contains("[1/1] H001 vol_scaled_breakout"), "\(r.stderr)")
        }
    }
}
