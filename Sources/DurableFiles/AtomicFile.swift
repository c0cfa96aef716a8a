package import Foundation

/// Files written whole or not at all, for everything the project stores (market data, manifests,
/// hypothesis and strategy scripts): a temporary file in the same folder, fsync, then a rename,
/// so a crash or a full disk leaves the old file or the new one, never half of either.
package enum AtomicFile {
    /// Why a write failed, in words for a one-line error.
    package struct Failure: Error, Sendable {
        package let reason: String
        package let diskFull: Bool
    }

    /// Writes `data` to `path`; the folder must exist.
    package static func write(_ data: Data, to path: String) throws(Failure) {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        let temporary = (folder as NSString).appendingPathComponent(".\(name).part-\(UUID().uuidString.prefix(8))")
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw Failure(reason: "cannot create a temporary file in \(folder.isEmpty ? "." : folder)", diskFull: errno == ENOSPC)
        }
        do {
            try handle.write(contentsOf: data)
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: temporary)
            let full = (error as NSError).code == Int(ENOSPC) || ((error as NSError).userInfo[NSUnderlyingErrorKey] as? NSError)?.code == Int(ENOSPC)
            throw Failure(reason: full ? "disk full" : "cannot write (\(error.localizedDescription))", diskFull: full)
        }
        guard rename(temporary, path) == 0 else {
            let code = errno
            try? FileManager.default.removeItem(atPath: temporary)
            throw Failure(reason: "cannot rename the temporary file into place (\(String(cString: strerror(code))))",
                          diskFull: code == ENOSPC)
        }
        // The rename lives in the folder's own data: sync it too, or a power cut can lose a file
        // whose row was committed after this returned.
        let descriptor = open(folder.isEmpty ? "." : folder, O_RDONLY | O_DIRECTORY)
        if descriptor >= 0 {
            fsync(descriptor)
            close(descriptor)
        }
    }

    /// A temporary file a killed writer left behind (safe to delete).
    package static func isLeftover(_ name: String) -> Bool {
        name.hasPrefix(".") && name.contains(".part-")
    }
}
