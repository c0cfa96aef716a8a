import Foundation
import DurableFiles

/// Writes downloaded files into the store atomically and records verified files in a
/// `manifest.json` beside them, so a rerun skips what is complete.
///
/// A file is first written to a hidden temporary file in the same folder (`.NAME.part-UUID`), flushed
/// to disk, then renamed over the final name: a reader, or a run killed at any moment, sees the old
/// file or the new one, never half of one. The manifest is updated the same way, after the file.
actor StoreWriter {
    /// One file's record in `manifest.json`.
    struct Entry: Codable, Sendable {
        /// `monthly-zip`, `daily-zip+rest`, `rest`.
        var source: String
        /// sha256 of the archive zip it came from, when it came from one.
        var zipSha256: String?
        /// sha256 of the CSV as written, set by ``StoreWriter/write(folder:name:data:entry:)``;
        /// `data verify` re-checks the file against it. Absent in manifests of older runs.
        var sha256: String? = nil
        var rows: Int
        var bytes: Int
        /// True when the file is a whole, checksum-verified month that a rerun may skip.
        var complete: Bool
        var first: Double?
        var last: Double?
    }

    /// `manifest.json`: every file the downloader wrote in one folder, by name.
    struct Manifest: Codable {
        var version = 1
        var files: [String: Entry] = [:]
    }

    let root: String
    private var manifests: [String: Manifest] = [:]
    private var cleaned: Set<String> = []

    init(root: String) {
        self.root = root
    }

    /// `<root>/binance-um/<SYMBOL>/<kind>`.
    nonisolated func folder(symbol: String, kind: String) -> String {
        ((((root as NSString).appendingPathComponent("binance-um") as NSString).appendingPathComponent(symbol)) as NSString)
            .appendingPathComponent(kind)
    }

    /// The manifest entry of a complete file still present with the recorded size and sha256, else nil.
    func verified(folder: String, name: String) -> Entry? {
        guard let entry = manifest(folder).files[name], entry.complete else { return nil }
        let path = (folder as NSString).appendingPathComponent(name)
        guard let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? Int, size == entry.bytes else { return nil }
        if let recorded = entry.sha256 {
            guard let data = FileManager.default.contents(atPath: path), SHA256.hex(data) == recorded else { return nil }
        }
        return entry
    }

    /// Writes `data` as `folder/name` atomically, then records `entry` in the manifest.
    func write(folder: String, name: String, data: Data, entry: Entry) throws(DownloadError) {
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw .store("\(folder): cannot create the folder (\(error.localizedDescription))")
        }
        removeLeftovers(in: folder)
        try Self.atomicWrite(data, to: (folder as NSString).appendingPathComponent(name))
        var manifest = manifest(folder)
        var entry = entry
        entry.bytes = data.count
        entry.sha256 = SHA256.hex(data)
        manifest.files[name] = entry
        manifests[folder] = manifest
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        guard let json = try? encoder.encode(manifest) else { throw .store("\(folder): cannot encode manifest.json") }
        try Self.atomicWrite(json, to: (folder as NSString).appendingPathComponent("manifest.json"))
    }

    private func manifest(_ folder: String) -> Manifest {
        if let cached = manifests[folder] { return cached }
        let loaded = Self.readManifest(folder: folder) ?? Manifest()
        manifests[folder] = loaded
        return loaded
    }

    /// A folder's `manifest.json`, or nil when it has none or it cannot be decoded.
    static func readManifest(folder: String) -> Manifest? {
        let path = (folder as NSString).appendingPathComponent("manifest.json")
        return FileManager.default.contents(atPath: path).flatMap { try? JSONDecoder().decode(Manifest.self, from: $0) }
    }

    /// Temporary files of a run that was killed before its rename.
    private func removeLeftovers(in folder: String) {
        guard cleaned.insert(folder).inserted else { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where AtomicFile.isLeftover(name) {
            try? FileManager.default.removeItem(atPath: (folder as NSString).appendingPathComponent(name))
        }
    }

    /// Temp file in the same folder, fsync, rename: all or nothing.
    static func atomicWrite(_ data: Data, to path: String) throws(DownloadError) {
        do {
            try AtomicFile.write(data, to: path)
        } catch {
            throw .store("\(path): \(error.reason)")
        }
    }
}
