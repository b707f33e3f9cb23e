import VerityChain
import VerityCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The node's blob store is what its chain reads model files, job inputs and audit bundles
/// from (`Chain(…, blobs:)`), for new blocks and replays alike.
///
/// Range reads come straight from the blob's file: the store checked the bytes against the id
/// when they came in and never rewrites a blob, so a range is not re-hashed here (a whole-blob
/// read through `BlobReader.read(_:limit:)` still is).
extension BlobStore: BlobReader {
    public func read(_ id: Hash, offset: Int, length: Int) -> [UInt8]? {
        guard offset >= 0, length >= 0 else { return nil }
        let descriptor = open(path(of: id), O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, offset <= Int(info.st_size), length <= Int(info.st_size) - offset else { return nil }
        var bytes = [UInt8](repeating: 0, count: length)
        var done = 0
        let complete = bytes.withUnsafeMutableBytes { buffer -> Bool in
            while done < length {
                guard let base = buffer.baseAddress else { return length == 0 }
                let got = pread(descriptor, base + done, length - done, off_t(offset + done))
                if got < 0 && errno == EINTR { continue }
                guard got > 0 else { return false }
                done += got
            }
            return true
        }
        return complete ? bytes : nil
    }
}
