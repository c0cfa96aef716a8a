import ArgumentParser
import Foundation
import Backtest
import Evaluation
import Knowledge
import LLMAlpha
import MarketData
import Primitives
import Scripting

struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Market data in the store: download, list, verify.",
        discussion: reflow("""
            The store keeps Binance USD-M data in the archive's own monthly CSV layout:
              data/binance-um/<SYMBOL>/<interval>/<SYMBOL>-<interval>-YYYY-MM.csv
              data/binance-um/<SYMBOL>/funding/<SYMBOL>-fundingRate-YYYY-MM.csv
              data/binance-um/<SYMBOL>/oi/<SYMBOL>-metrics-YYYY-MM.csv               (5-minute open interest)
              data/binance-um/<SYMBOL>/mark/<interval>/<SYMBOL>-<interval>-YYYY-MM.csv  (mark-price klines)
            with a binary column cache beside each kline folder, rebuilt when a CSV changes, and a manifest.json
            listing each downloaded file's sha256.
            """),
        subcommands: DataCommand.subcommands)
}

/// Options shared by the data subcommands.
struct StoreOptions: ParsableArguments {
    @Option(name: .customLong("data-dir"), help: ArgumentHelp("Store root. (default: data.dir, ./data; env LLMALPHA_DATA_DIR)", valueName: "dir"))
    var dataDirectory: String?

    @Option(name: [.customShort("s"), .customLong("symbols")], help: ArgumentHelp("Only these symbols, comma-separated; BTC means BTCUSDT.", valueName: "BTC,ETH"))
    var symbols: String?

    func store() throws -> MarketStore {
        let paths = ProjectPaths()
        var configuration = try Configuration.load(projectFile: paths.defaultConfigFile, file: nil, environment: ProcessInfo.processInfo.environment)
        if let dataDirectory { configuration.data.directory = dataDirectory }
        return MarketStore(root: paths.dataDirectory(configuration.data.directory))
    }

    var symbolList: [String]? { symbols.map { $0.split(separator: ",").map { BarsRequest.normalizeSymbol(String($0)) } } }
}

struct DataListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "What the store holds: symbol, dataset (interval, mark/<interval>, oi), first and last bar, bars, gaps, size.",
        discussion: "Examples:\n  llmalpha data list\n  llmalpha data list -s BTC,ETH --json")

    @OptionGroup var store: StoreOptions
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let store = try self.store.store()
        let entries = StoreInventory.list(store, symbols: self.store.symbolList)
        if outputOptions.json {
            Console.out(JSONValue.object([
                ("root", .string(store.root)),
                ("entries", .array(entries.map { e in
                    .object([("symbol", .string(e.symbol)), ("dataset", .string(e.dataset)), ("interval", .string(e.interval)),
                             ("first_open_time", .optionalNumber(e.first)),
                             ("last_open_time", .optionalNumber(e.last)), ("bars", .number(Double(e.bars))), ("gaps", .number(Double(e.gaps))),
                             ("files", .number(Double(e.files))), ("bytes", .number(Double(e.bytes))),
                             ("funding_events", .number(Double(e.fundingEvents)))])
                })),
            ]).rendered + "\n")
            return
        }
        guard !entries.isEmpty else {
            Console.out("the store at \(store.root) is empty (llmalpha data download -s BTC -m 3 fetches some)\n")
            return
        }
        let header = ["symbol", "data", "first (UTC)", "last (UTC)", "bars", "gaps", "size", "funding"]
        let rows = entries.map { e in
            let data = e.dataset == "oi" ? "oi 5m" : e.interval.replacingOccurrences(of: "/", with: " ")   // 1h, mark 1h, oi 5m
            return [e.symbol, data, e.first.map(TimeBound.format) ?? "—", e.last.map(TimeBound.format) ?? "—", "\(e.bars)", "\(e.gaps)",
                    String(format: "%.1f MB", Double(e.bytes) / 1_048_576), e.dataset == "klines" && e.fundingEvents > 0 ? "\(e.fundingEvents) events" : "—"]
        }
        Console.out(TextTable.render(header: header, rows: rows, rightAligned: [4, 5, 6]) + "store: \(store.root)\n")
    }
}

struct DataVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check the store: checksums, readable files, sorted unique times, OHLC consistency, gaps, zero-volume runs.",
        discussion: reflow("""
            Errors (a CSV whose sha256 no longer matches the one manifest.json recorded at download, unreadable
            or unsorted files, duplicate times, inconsistent OHLC) exit 4; warnings (gaps, zero-volume runs, a
            recorded file that is gone) are listed and exit 0 unless --strict.

            Examples:
              llmalpha data verify
              llmalpha data verify -s BTC --strict --json
            """))

    @OptionGroup var store: StoreOptions
    @Flag(help: "Treat warnings (gaps, zero-volume runs) as problems too.")
    var strict = false
    @OptionGroup var outputOptions: OutputOptions

    func run() throws {
        let store = try self.store.store()
        let findings = StoreInventory.verify(store, symbols: self.store.symbolList)
        let errors = findings.filter { $0.severity == .error }.count
        let warnings = findings.count - errors
        if outputOptions.json {
            Console.out(JSONValue.object([
                ("root", .string(store.root)), ("errors", .number(Double(errors))), ("warnings", .number(Double(warnings))),
                ("findings", .array(findings.map { f in
                    .object([("severity", .string(f.severity.rawValue)), ("symbol", .string(f.symbol)), ("interval", .string(f.interval)),
                             ("message", .string(f.message))])
                })),
            ]).rendered + "\n")
        } else {
            for f in findings { Console.out("\(f.severity.rawValue): \(f.symbol) \(f.interval): \(f.message)\n") }
            Console.out("\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s") in \(store.root)\n")
        }
        if errors > 0 || (strict && warnings > 0) { throw CommandFailure(status: .dataError, description: "") }
    }
}

/// Plain aligned columns for terminal tables.
enum TextTable {
    static func render(header: [String], rows: [[String]], rightAligned: Set<Int> = []) -> String {
        var widths = header.map(\.count)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, cell in
                let pad = String(repeating: " ", count: widths[i] - cell.count)
                return rightAligned.contains(i) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
        }
        return ([line(header)] + rows.map(line)).joined(separator: "\n") + "\n"
    }
}
