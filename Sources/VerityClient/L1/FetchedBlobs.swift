import Synchronization
import VerityChain
import VerityCore

/// The blobs a verifier has fetched, as the chain's `BlobReader`, remembering every blob the
/// chain asked for and did not find: replaying a batch that needs one fails, the verifier fetches
/// what was missed (checked against its id) and replays the batch again from before it.
final class FetchedBlobs: BlobReader {
    private struct State {
        var held: [Hash: [UInt8]] = [:]
        var missed: Set<Hash> = []
    }

    private let state = Mutex(State())

    func size(of id: Hash) -> Int? {
        state.withLock { state in
            guard let bytes = state.held[id] else {
                state.missed.insert(id)
                return nil
            }
            return bytes.count
        }
    }

    func read(_ id: Hash, offset: Int, length: Int) -> [UInt8]? {
        state.withLock { state in
            guard let bytes = state.held[id] else {
                state.missed.insert(id)
                return nil
            }
            guard offset >= 0, length >= 0, offset <= bytes.count, length <= bytes.count - offset else { return nil }
            return Array(bytes[offset..<(offset + length)])
        }
    }

    /// The blobs asked for and not held since the last call.
    func takeMissed() -> Set<Hash> {
        state.withLock { state in
            defer { state.missed = [] }
            return state.missed
        }
    }

    func add(_ bytes: [UInt8], as id: Hash) {
        state.withLock { $0.held[id] = bytes }
    }
}
