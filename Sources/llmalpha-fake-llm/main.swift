import FakeLanguageModel
import Foundation

// `scripts/fake-llm`: the test suite's fake language-model provider as a standalone server, to try
// `llmalpha agent research -p openai|anthropic|ollama --base-url http://127.0.0.1:PORT` by hand
// with no key and no network.

let usage = """
    usage: llmalpha-fake-llm [--port N] [--reply FILE]... [--fault KIND[xTIMES]]...

    Answers OpenAI chat completions (/v1/chat/completions), Anthropic messages (/v1/messages) and
    Ollama chat (/api/chat), streamed or whole, with recorded real bodies whose assistant text is
    the next --reply (the last one repeats; without any, examples/trend_breakout.lua in a lua
    fence). Runs until Ctrl-C; prints the base URL first.

      --port N              port to listen on (default 8089; 0 picks a free one)
      --reply FILE          a reply's text, served in order (repeatable)
      --fault KIND[xTIMES]  the next TIMES (default 1) model requests get KIND: 400, 401, 404, 429,
                            500, 503, 529 (statuses with the recorded bodies), quota, too-large,
                            truncate, bad-json, midstream, slow (10 s first byte), reset,
                            no-retry (a 500 with x-should-retry: false)

    example:
      scripts/fake-llm --port 8089 --fault 429 &
      llmalpha agent research -p openai -m gpt-4o --base-url http://127.0.0.1:8089/v1 \\
          --api-key test -n 2 --mode quick
    """

func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("error: \(message)\n".utf8))
    exit(2)
}

func fault(_ kind: String) -> FakeLanguageModel.Fault? {
    if let status = Int(kind), [400, 401, 403, 404, 408, 409, 429, 500, 502, 503, 529].contains(status) { return .status(status) }
    switch kind {
    case "quota": return .insufficientQuota
    case "too-large": return .requestTooLarge
    case "truncate": return .truncatedStream
    case "bad-json": return .invalidJSONChunk
    case "midstream": return .midStreamError
    case "slow": return .slowFirstByte(seconds: 10)
    case "reset": return .reset
    case "no-retry": return .shouldRetryFalse(500)
    default: return nil
    }
}

var port = 8089
var replies: [String] = []
var faults: [(fault: FakeLanguageModel.Fault, times: Int)] = []
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    func value() -> String {
        guard let next = arguments.popFirst() else { fail("\(argument) needs a value") }
        return next
    }
    switch argument {
    case "-h", "--help":
        print(usage)
        exit(0)
    case "--port":
        guard let n = Int(value()), (0...65535).contains(n) else { fail("--port takes a number from 0 to 65535") }
        port = n
    case "--reply":
        let file = value()
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { fail("--reply: cannot read \(file)") }
        replies.append(text)
    case "--fault":
        let spec = value()
        let parts = spec.split(separator: "x", maxSplits: 1).map(String.init)
        guard let f = fault(parts[0]) else { fail("--fault: unknown kind '\(parts[0])' (see --help)") }
        let times = parts.count == 2 ? Int(parts[1]) : 1
        guard let times, times > 0 else { fail("--fault: TIMES must be a positive number in '\(spec)'") }
        faults.append((f, times))
    default:
        fail("unknown argument '\(argument)' (see --help)")
    }
}
if replies.isEmpty {
    let example = URL(fileURLWithPath: FakeLanguageModel.fixturesDirectory).appendingPathComponent("../../../examples/trend_breakout.lua")
        .standardized.path
    let script = (try? String(contentsOfFile: example, encoding: .utf8)) ?? ""
    replies.append("Volatility-scaled breakouts continue.\n```lua\n\(script)\n```\n")
}

let server: FakeLanguageModel
do {
    server = try await FakeLanguageModel.start(port: port)
} catch {
    fail("cannot start the fake language model on port \(port): \(error)")
}
for reply in replies { server.enqueue(reply) }
for f in faults { server.inject(f.fault, times: f.times) }
FileHandle.standardOutput.write(Data("\(server.baseURL)\n".utf8))   // unbuffered: a script waiting for it reads it now
FileHandle.standardError.write(Data("fake language model: \(replies.count) replies queued; Ctrl-C stops it\n".utf8))
signal(SIGINT, SIG_DFL)
while true { try? await Task.sleep(for: .seconds(3600)) }
