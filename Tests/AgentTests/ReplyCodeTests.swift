import Testing
@testable import Agent

/// The Lua in a model's reply, however the model wrapped it.
@Suite("Code in a model's reply")
struct ReplyCodeTests {
    static let script = """
        hypothesis { name = "x", rationale = "y" }
        local n = param.int("n", 2, 50, 14)
        function factor(d) return -rsi(d.close, n) end
        function signal(d, f) return { long = gt(f, -30), short = lt(f, -70) } end
        """

    @Test("A fence with prose around it")
    func fenced() {
        #expect(ReplyCode.extract("Here is my idea.\n\n```lua\n\(Self.script)\n```\nIt should work.") == .lua(Self.script))
        #expect(ReplyCode.extract("~~~Lua\n\(Self.script)\n~~~") == .lua(Self.script))
    }

    @Test("A <think> block first, with a decoy fence inside it")
    func thinking() {
        #expect(ReplyCode.extract("<think>maybe ```python\nx = 1\n```</think>\n```lua\n\(Self.script)\n```") == .lua(Self.script))
    }

    @Test("Several blocks: the one with the contract wins, a helper block joins it before")
    func severalBlocks() {
        let helper = "local function spread(a, b) return a - b end"
        let reply = "First a helper:\n```lua\n\(helper)\n```\nThen the script:\n```lua\n\(Self.script)\n```\nOr run it with:\n```bash\nllmalpha run x.lua\n```"
        #expect(ReplyCode.extract(reply) == .lua(helper + "\n\n" + Self.script))
    }

    @Test("A fence left open by a reply cut at its token limit")
    func unclosed() {
        #expect(ReplyCode.extract("```lua\n\(Self.script)") == .lua(Self.script))
    }

    @Test("No fence: the script starts at its first Lua line; the prose before it is dropped")
    func unfenced() {
        #expect(ReplyCode.extract("Sure! The hypothesis:\n\n\(Self.script)") == .lua(Self.script))
    }

    @Test("No fence and prose after the script: the prose goes")
    func unfencedWithProseAfter() {
        let reply = "Here it is:\n\n\(Self.script)\n\nThis fades RSI extremes.\n\nTune n on the training window."
        #expect(ReplyCode.extract(reply) == .lua(Self.script))
    }

    @Test("The hypothesis's name, on its own line or inline")
    func names() {
        #expect(ResearchLoop.name(of: Self.script) == "x")
        #expect(ResearchLoop.name(of: "hypothesis {\n  name      = \"rsi_reversion\",\n}") == "rsi_reversion")
        #expect(ResearchLoop.name(of: "-- name = \"not this\"\nlocal n = 1") == nil)
    }

    @Test("Python, JavaScript and prose are told apart")
    func otherLanguages() {
        #expect(ReplyCode.extract("```lua\nimport pandas as pd\ndef factor(df):\n    return df.close\n```") == .otherLanguage("python"))
        #expect(ReplyCode.extract("```python\nimport pandas as pd\ndef factor(df):\n    return df.close\n```") == .otherLanguage("python"))
        #expect(ReplyCode.extract("```\nimport numpy as np\ndef factor(df):\n    return 1\n```") == .otherLanguage("python"))
        #expect(ReplyCode.extract("```js\nconst f = (d) => { return d }\n```") == .otherLanguage("js"))
        #expect(ReplyCode.extract("Funding crowding is a strong effect; I would look at it first.") == .none)
        #expect(ReplyCode.extract("") == .none)
    }
}
