import ArgumentParser

extension DataCommand {
    static let subcommands: [any ParsableCommand.Type] = [DataDownloadCommand.self, DataListCommand.self, DataVerifyCommand.self]
}
