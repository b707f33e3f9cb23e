/// A binary Merkle tree over byte strings, with domain-separated hashes so that a leaf can
/// never pass for an inner node:
///
/// - leaf = SHA-256(0x00 ‖ data)
/// - node = SHA-256(0x01 ‖ left ‖ right)
/// - root = SHA-256(0x02 ‖ leaf count as u64 little-endian ‖ top node)
///
/// A level with an odd count carries its last node up unchanged (no duplication, so two
/// different leaf lists never share a root). The root binds the leaf count, so a proof only
/// verifies for the one index and tree size it was made for. With no leaves, the top node is
/// 32 zero bytes.
public struct MerkleTree: Sendable {
    /// Every level, leaves first; the last level holds the root alone.
    public let levels: [[Hash]]

    /// Builds the tree over `leaves`.
    /// - Complexity: O(n) hashes for n leaves.
    public init(leaves: [[UInt8]]) {
        self.init(leafHashes: leaves.map(MerkleTree.leafHash))
    }

    /// Builds the tree over already-hashed leaves (each from `leafHash`).
    public init(leafHashes: [Hash]) {
        var levels = [leafHashes]
        var current = leafHashes
        while current.count > 1 {
            var next = [Hash]()
            next.reserveCapacity((current.count + 1) / 2)
            var i = 0
            while i + 1 < current.count {
                next.append(MerkleTree.nodeHash(current[i], current[i + 1]))
                i += 2
            }
            if i < current.count { next.append(current[i]) }
            levels.append(next)
            current = next
        }
        self.levels = levels
    }

    /// The number of leaves.
    public var leafCount: Int { levels[0].count }

    /// The top node of the tree: the last level's only hash, or zero for no leaves.
    public var top: Hash { levels.last?.first ?? .zero }

    /// The commitment to the leaves and their count.
    public var root: Hash { MerkleTree.rootHash(leafCount: leafCount, top: top) }

    /// The root for a tree of `leafCount` leaves whose top node is `top`.
    public static func rootHash(leafCount: Int, top: Hash) -> Hash {
        var buffer: [UInt8] = [0x02]
        withUnsafeBytes(of: UInt64(leafCount).littleEndian) { buffer.append(contentsOf: $0) }
        top.append(to: &buffer)
        return Hash.sha256(buffer)
    }

    /// The hash of a leaf's data.
    public static func leafHash(_ data: [UInt8]) -> Hash {
        Hash.sha256(parts: [[0x00], data])
    }

    /// The hash of an inner node.
    public static func nodeHash(_ left: Hash, _ right: Hash) -> Hash {
        var buffer = [UInt8]()
        buffer.reserveCapacity(65)
        buffer.append(0x01)
        left.append(to: &buffer)
        right.append(to: &buffer)
        return Hash.sha256(buffer)
    }

    /// The proof that leaf `index` is in the tree, or nil for an index out of range.
    public func proof(index: Int) -> MerkleProof? {
        guard index >= 0 && index < leafCount else { return nil }
        var siblings = [Hash]()
        var position = index
        for level in levels.dropLast() {
            let sibling = position ^ 1
            // A carried-up last node has no sibling on this level.
            if sibling < level.count { siblings.append(level[sibling]) }
            position >>= 1
        }
        return MerkleProof(leafIndex: index, leafCount: leafCount, siblings: siblings)
    }
}

/// The sibling hashes from a leaf up to the root, with the leaf's index and the tree's size
/// (which together fix where each sibling sits).
public struct MerkleProof: Hashable, Sendable {
    public var leafIndex: Int
    public var leafCount: Int
    public var siblings: [Hash]

    public init(leafIndex: Int, leafCount: Int, siblings: [Hash]) {
        self.leafIndex = leafIndex
        self.leafCount = leafCount
        self.siblings = siblings
    }

    /// The root this proof leads to from `leafHash`; throws when the proof has the wrong shape.
    public func root(fromLeafHash leafHash: Hash) throws(CoreError) -> Hash {
        guard leafCount > 0, leafIndex >= 0, leafIndex < leafCount else {
            throw .invalidMerkleProof("leaf index \(leafIndex) out of range for \(leafCount) leaves")
        }
        var hash = leafHash
        var position = leafIndex
        var width = leafCount
        var used = 0
        while width > 1 {
            let sibling = position ^ 1
            if sibling < width {
                guard used < siblings.count else { throw .invalidMerkleProof("too few sibling hashes") }
                hash = position & 1 == 0 ? MerkleTree.nodeHash(hash, siblings[used]) : MerkleTree.nodeHash(siblings[used], hash)
                used += 1
            }
            position >>= 1
            width = (width + 1) / 2
        }
        guard used == siblings.count else { throw .invalidMerkleProof("\(siblings.count - used) extra sibling hashes") }
        return MerkleTree.rootHash(leafCount: leafCount, top: hash)
    }

    /// Whether `data` is leaf `leafIndex` of the tree with `root`.
    public func verify(leaf data: [UInt8], root: Hash) -> Bool {
        (try? self.root(fromLeafHash: MerkleTree.leafHash(data))) == root
    }
}
