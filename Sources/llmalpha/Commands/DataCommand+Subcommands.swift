import ArgumentParser

extension DataCommand {
    /// `download` joins when the downloader lands.
    static let subcommands: [any ParsableCommand.Type] = [DataListCommand.self, DataVerifyCommand.self]
}
