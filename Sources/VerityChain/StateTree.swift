import VerityCore

/// The commitment to every account, updated in place: accounts fall into 65,536 buckets by the
/// first two bytes of their address; a bucket's hash covers its accounts in key order; a binary
/// Merkle tree over the buckets gives the root.
///
/// Changing k accounts rehashes at most k buckets and 16·k inner nodes, whatever the number of
/// accounts, so a block's state root costs microseconds per touched account. A bucket's
/// contents plus its 16 sibling hashes prove an account's state against the root.
public struct StateTree: Sendable {
    public static let depth = 16
    static let bucketCount = 1 << depth

    /// Per bucket: address → hash of (address, account).
    private var buckets: [[PublicKey: Hash]]
    /// levels[0] = bucket hashes … levels[16] = [top].
    private var levels: [[Hash]]

    public init() {
        buckets = Array(repeating: [:], count: Self.bucketCount)
        var levels = [[Hash]]()
        var width = Self.bucketCount
        var node = Hash.zero
        while true {
            levels.append(Array(repeating: node, count: width))
            if width == 1 { break }
            node = MerkleTree.nodeHash(node, node)
            width /= 2
        }
        self.levels = levels
    }

    /// The hash of an account's state at an address: SHA-256(0x05 ‖ address ‖ account bytes).
    public static func accountHash(_ key: PublicKey, _ account: Account) -> Hash {
        Hash.sha256(parts: [[0x05], key.bytes, account.canonicalBytes])
    }

    static func bucket(of key: PublicKey) -> Int {
        let bytes = key.bytes
        return Int(bytes[0]) << 8 | Int(bytes[1])
    }

    /// Sets the accounts in `changes` (nil or an unused account removes the address) and
    /// rehashes only the buckets and paths they touch.
    public mutating func update(_ changes: [PublicKey: Account?]) {
        var touched = Set<Int>()
        for (key, account) in changes {
            let b = Self.bucket(of: key)
            if let account, !account.isUnused {
                buckets[b][key] = Self.accountHash(key, account)
            } else {
                buckets[b][key] = nil
            }
            touched.insert(b)
        }
        for b in touched { levels[0][b] = Self.bucketHash(buckets[b]) }
        var dirty = touched
        for level in 1...Self.depth {
            var parents = Set<Int>()
            for index in dirty {
                let parent = index / 2
                if parents.insert(parent).inserted {
                    levels[level][parent] = MerkleTree.nodeHash(levels[level - 1][2 * parent], levels[level - 1][2 * parent + 1])
                }
            }
            dirty = parents
        }
    }

    /// A bucket's hash: zero when empty, else SHA-256(0x06 ‖ (address ‖ account hash) in address order).
    static func bucketHash(_ bucket: [PublicKey: Hash]) -> Hash {
        guard !bucket.isEmpty else { return .zero }
        var bytes: [UInt8] = [0x06]
        for key in bucket.keys.sorted() {
            bytes += key.bytes
            bytes += bucket[key]?.bytes ?? []
        }
        return Hash.sha256(bytes)
    }

    /// The state root.
    public var root: Hash { levels[Self.depth][0] }

    /// The number of accounts held.
    public var count: Int { buckets.reduce(0) { $0 + $1.count } }
}
