import ArgumentParser
import Foundation
import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting

struct ReplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "An interactive Lua prompt over loaded market data, in the same sandbox as run.",
        discussion: reflow("""
            d holds the bars (d.close, d.high, d.funding, ...). Type an expression to see its value, a
            statement to run it; an unfinished one (for ... do) continues on the next line. Tab completes
            globals, primitives, d. columns and s: methods. help() lists primitives, help(rsi) shows one.

            Commands:
              .load FILE  .symbol S  .interval I  .range FROM TO  .plot EXPR
              .export FILE NAME...  .reset  .limits  .help  .quit

            Ctrl-C stops a running line (the session survives) or, at the prompt, drops the typed
            line and an unfinished statement; Ctrl-D exits. Each line gets the full
            sandbox limits. History: $XDG_DATA_HOME/llmalpha/history (LLMALPHA_HISTORY overrides).
            Without a terminal it reads statements from stdin and prints results, no prompts:
              echo 'print(#d.close)' | llmalpha repl
            """))

    @OptionGroup var dataOptions: DataOptions
    @OptionGroup var sandboxOptions: SandboxOptions

    func validate() throws {
        try dataOptions.requireOneSymbol("repl")
    }

    func run() throws {
        let paths = ProjectPaths()
        var configuration = try dataOptions.loadConfiguration(paths: paths)
        sandboxOptions.apply(to: &configuration)
        let store = MarketStore(root: paths.dataDirectory(configuration.data.directory))
        let request = try dataOptions.request(configuration)
        let bars = try dataOptions.loadBars(request, store: store)
        let repl = try Repl(configuration: configuration, store: store, request: request, bars: bars)
        repl.loop()
    }
}

/// The REPL's state: the session, the data behind `d`, and the request that loaded it.
final class Repl {
    let configuration: Configuration
    let store: MarketStore
    var request: BarsRequest
    let current: CurrentBars
    let session: ScriptSession
    let interactive: Bool
    let color: Bool
    var reader: any LineReader

    /// The bars `d` holds now, shared with the session's backtest{} (which may run on the VM's thread).
    final class CurrentBars: @unchecked Sendable {
        // @unchecked Sendable: replaced and read under `lock`.
        private let lock = NSLock()
        private var value: Bars
        init(_ bars: Bars) { value = bars }
        var bars: Bars {
            get { lock.lock(); defer { lock.unlock() }; return value }
            set { lock.lock(); value = newValue; lock.unlock() }
        }
    }

    init(configuration: Configuration, store: MarketStore, request: BarsRequest, bars: Bars) throws {
        self.configuration = configuration
        self.store = store
        self.request = request
        current = CurrentBars(bars)
        let shared = current
        session = try ScriptSession(limits: configuration.sandbox, data: DataTable(bars: bars),
                                    extensions: [BacktestExtension.make { MarketColumns(bars: shared.bars) }]
                                        + (shared.bars.markets == nil ? [] : [MarketExtension.make {
                                            let bars = shared.bars
                                            return (bars.markets ?? MarketCatalog(interval: bars.interval) { _ in bars }, bars)
                                        }])) { Console.out($0) }
        interactive = isatty(STDIN_FILENO) != 0
        let environment = ProcessInfo.processInfo.environment
        color = interactive && isatty(STDERR_FILENO) != 0 && environment["NO_COLOR"] == nil
        if interactive {
            let session = self.session
            reader = EditLineReader(historyFile: EditLineReader.historyPath(environment: environment),
                                    completer: Completer { session.names(in: $0) })
        } else {
            reader = PlainLineReader()
        }
    }

    func loop() {
        // SIGINT stays blocked on this thread, which runs the Lua lines and libedit: it is never
        // delivered here but waits, pending for the process, until libdispatch's signalfd reads it
        // for the InterruptHandler. Otherwise libdispatch's handler would take the first one here and
        // block every signal on this thread (libedit's Ctrl-Z, resize), and libedit, which swaps
        // SIGINT's handler in and out around each read, could restore SIG_IGN over libdispatch's
        // handler if that arrives late (under load), so SIGINT was dropped for the whole session.
        // Left blocked at the end: the process exits after the loop.
        var sigint = sigset_t()
        sigemptyset(&sigint)
        sigaddset(&sigint, SIGINT)
        pthread_sigmask(SIG_BLOCK, &sigint, nil)
        let interrupt = InterruptHandler(repeatExits: false, session.interrupter)
        defer { interrupt.cancel(); reader.close() }
        if interactive {
            Console.out("llmalpha repl: \(describe(current.bars)) as d. help() lists primitives, .help the commands, Ctrl-D exits.\n")
        }
        var pending = ""
        while true {
            let line: String
            switch reader.read(prompt: pending.isEmpty ? "lua> " : "...> ") {
            case .line(let text):
                line = text
            case .interrupt:   // Ctrl-C at the prompt drops the typed line and any unfinished statement
                pending = ""
                continue
            case .end:
                if interactive { Console.out("\n") }
                if !pending.isEmpty, case .incomplete = evaluate(pending) {   // input ended mid-statement
                    report("stdin: unfinished statement at the end of input")
                }
                return
            }
            if pending.isEmpty, line.trimmingCharacters(in: .whitespaces).hasPrefix(".") {
                reader.remember(line)
                if !command(line.trimmingCharacters(in: .whitespaces)) { return }
                continue
            }
            pending = pending.isEmpty ? line : pending + "\n" + line
            if pending.trimmingCharacters(in: .whitespaces).isEmpty { pending = ""; continue }
            // An unfinished statement is reported as such before anything runs: read on.
            if case .incomplete = evaluate(pending) { continue }
            reader.remember(pending)
            pending = ""
        }
    }

    @discardableResult
    func evaluate(_ code: String) -> EntryOutcome {
        let outcome = session.evaluate(code)
        switch outcome {
        case .incomplete: break
        case .value(let text): if let text { Console.out(text + "\n") }
        case .failure(let error): report(error.description)
        }
        return outcome
    }

    func report(_ line: String) {
        let text = color ? "\u{1B}[31merror:\u{1B}[0m \(line)\n" : "error: \(line)\n"
        FileHandle.standardError.write(Data(text.utf8))
    }

    func describe(_ bars: Bars) -> String {
        guard let first = bars.time.first, let last = bars.time.last else { return "\(bars.symbol) \(bars.interval), no bars" }
        return "\(bars.symbol) \(bars.interval), \(bars.count) bars \(TimeBound.format(first)) → \(TimeBound.format(last))"
    }

    /// Runs a dot command; false to quit.
    func command(_ line: String) -> Bool {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        let name = words[0], args = Array(words.dropFirst())
        switch name {
        case ".quit", ".exit", ".q":
            return false
        case ".help", ".h":
            Console.out("""
                .load FILE            run a script into the session (hypotheses print their reports)
                .symbol SYMBOL        load another symbol as d (BTC means BTCUSDT); your globals stay
                .interval INTERVAL    load another interval as d
                .range FROM [TO]      cut d to a span (YYYY-MM-DD, YYYY-MM-DDTHH:MM, ms); .range all for everything
                .plot EXPR            chart a Series in the terminal
                .export FILE NAME...  write Series (globals or expressions) as CSV, open_time first
                .reset                start a fresh session on the same data
                .limits               the sandbox limits and what the last line used
                .quit                 leave (or Ctrl-D)
                help()  help(rsi)     the primitive reference

                """)
        case ".load":
            guard let path = args.first else { report(".load needs a file: .load strategies/rsi_mr.lua"); break }
            load(path)
        case ".symbol":
            guard let symbol = args.first else { report(".symbol needs a symbol: .symbol ETHUSDT"); break }
            var next = request
            next.symbol = BarsRequest.normalizeSymbol(symbol)
            next.file = nil
            reload(next)
        case ".interval":
            guard let interval = args.first, Interval.milliseconds(interval) != nil else {
                report(".interval needs an interval like 1h or 4h"); break
            }
            var next = request
            next.interval = interval
            reload(next)
        case ".range":
            guard let from = args.first else { report(".range needs dates: .range 2024-01-01 2024-06-30"); break }
            var next = request
            do {
                if from == "all" {
                    next.from = nil; next.to = nil
                } else {
                    next.from = try TimeBound.parse(from, endOfDay: false)
                    next.to = try args.dropFirst().first.map { text throws(DataError) in try TimeBound.parse(text, endOfDay: true) }
                }
            } catch { report("\(error)"); break }
            reload(next)
        case ".plot":
            let expression = args.joined(separator: " ")
            guard !expression.isEmpty else { report(".plot needs a Series: .plot rsi(d.close, 14)"); break }
            switch session.series(expression) {
            case .success(let s): Console.out(TerminalChart.render(s.values, title: expression) + "\n")
            case .failure(let error): report(error.description)
            }
        case ".export":
            guard args.count >= 2 else { report(".export needs a file and names: .export out.csv r z"); break }
            var columns: [OutputColumn] = []
            for expression in args.dropFirst() {
                switch session.series(expression) {
                case .success(let s):
                    guard s.values.count == current.bars.count else {
                        report("\(expression) has \(s.values.count) values, d has \(current.bars.count) bars"); return true
                    }
                    columns.append(OutputColumn(name: expression, values: s.values, isMask: s.isMask))
                case .failure(let error): report(error.description); return true
                }
            }
            do {
                try OutputTable.write(OutputTable.csv(time: current.bars.time, columns: columns), to: args[0])
                Console.out("wrote \(columns.count) column\(columns.count == 1 ? "" : "s") and \(current.bars.count) rows to \(args[0])\n")
            } catch { report("\(error)") }
        case ".reset":
            do { try session.reset(); Console.out("fresh session on \(describe(current.bars))\n") } catch { report("\(error)") }
        case ".limits":
            let l = session.sandboxLimits, u = session.usage
            Console.out(String(format: "limits per line: %.0f s, %lld instructions, %d MB memory\nlast line: %.3f s, %lld instructions, peak %.1f MB\n",
                               l.timeout, l.maxInstructions, l.maxMemoryBytes >> 20, u.seconds, u.instructions,
                               Double(u.peakMemoryBytes) / 1_048_576))
        default:
            let known = [".load", ".symbol", ".interval", ".range", ".plot", ".export", ".reset", ".limits", ".help", ".quit"]
            report("unknown command \(name)" + (closestName(to: name, in: known).map { " (did you mean \($0)?)" } ?? "; .help lists them"))
        }
        return true
    }

    func reload(_ next: BarsRequest) {
        do {
            let bars = try next.load(from: store)
            try session.replaceData(DataTable(bars: bars))
            current.bars = bars
            request = next
            Console.out("d is now \(describe(bars))\n")
        } catch {
            report("\(error)")
        }
    }

    func load(_ path: String) {
        let source: String
        do { source = try ScriptRun.readScript(at: path) } catch { report("\(error)"); return }
        switch session.load(source: source, chunkName: path) {
        case .failure(let error):
            report(error.description)
        case .success(let result):
            do {
                let run = try ScriptRun.analyze(result, path: path, data: PreparedBars(current.bars), settings: configuration.evaluation)
                let text = RunReport.text(run: run, outputFile: nil)
                Console.out(text.isEmpty ? "loaded \(path)\n" : text)
            } catch {
                report(error.description)
            }
        }
    }
}

