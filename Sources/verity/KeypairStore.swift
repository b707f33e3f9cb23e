import Foundation
import VerityCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads and writes solana-keygen keypair files on disk.
enum KeypairStore {
    /// Keypair files are about 230 bytes; anything much larger is not one.
    static let maxFileSize = 4096

    /// Reads the keypair at `path`, with a message naming the file on any failure.
    static func read(_ path: String) throws -> Keypair {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CLIError("cannot read keypair file \(path): no such file or not readable")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileSize + 1) ?? Data()
        } catch {
            throw CLIError("cannot read keypair file \(path): \(error.localizedDescription)")
        }
        guard data.count <= maxFileSize else {
            throw CLIError("keypair file \(path) is over \(maxFileSize) bytes: not a keypair file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw CLIError("keypair file \(path) is not UTF-8 text")
        }
        do {
            return try KeypairFile.decode(text)
        } catch {
            throw CLIError("\(path): \(error)")
        }
    }

    /// The keypair at `path`, or a new one written there (devnet's keypairs).
    static func loadOrCreate(_ path: String) throws -> Keypair {
        if FileManager.default.fileExists(atPath: path) { return try read(path) }
        let pair = Keypair()
        try write(pair, to: path, overwrite: false)
        return pair
    }

    /// Writes `keypair` to `path` with mode 0600. Without `overwrite`, an existing file is left
    /// alone and an error thrown; with it, the file is replaced atomically.
    static func write(_ keypair: Keypair, to path: String, overwrite: Bool) throws {
        let contents = Array((KeypairFile.encode(keypair) + "\n").utf8)
        if overwrite {
            let temporary = path + ".tmp-\(getpid())"
            try writeNew(contents, to: temporary)
            guard rename(temporary, path) == 0 else {
                let reason = String(cString: strerror(errno))
                unlink(temporary)
                throw CLIError("cannot replace \(path): \(reason)")
            }
        } else {
            try writeNew(contents, to: path)
        }
    }

    /// Creates `path` (which must not exist) with mode 0600 and writes `contents` durably.
    private static func writeNew(_ contents: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            if errno == EEXIST {
                throw CLIError("refusing to overwrite \(path): it already exists (use --force to replace it)")
            }
            throw CLIError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        let written = contents.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        guard written == contents.count, fsync(fd) == 0 else {
            unlink(path)
            throw CLIError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
    }
}
