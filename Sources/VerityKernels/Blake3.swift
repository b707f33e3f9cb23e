/// BLAKE3 (the unkeyed hash, 32-byte output), written once and compiled per kernel level like
/// the GEMM: the bodies are `@inlinable @inline(__always)` and generic over the level's lane
/// set (`Blake3LaneSet`: a SIMD vector whose lanes carry independent chunks, or parent nodes,
/// of one input, and its message transpose), so a wrapper that instantiates them with
/// `Blake3AVX512Lanes` under `-target-cpu skylake-avx512` hashes sixteen 1 KiB chunks per
/// AVX-512 compression (`Blake3AVX2Lanes` under haswell: eight per AVX2 compression). A level
/// may hash groups of chunks and of parents with kernels of its own (`Blake3LaneSet`'s
/// `wholeChunks`, `chunks` and `parents`: AVX-512's and AVX2's, in C); the portable level runs
/// these bodies for everything, the others for a one-chunk input, an empty range and the root
/// compression.
/// Integer arithmetic only: every level gives the same digest.
///
/// The tree is BLAKE3's: 1,024-byte chunks (the last may be shorter, an empty input is one
/// empty chunk), up to sixteen 64-byte blocks per chunk chained from the IV with the chunk
/// index as counter, and parent nodes over pairs of chaining values level by level, an odd last
/// node carried up unchanged (which is the specification's "left subtree takes the largest power of
/// two chunks" rule). The last compression carries the ROOT flag.
public enum Blake3Kernel {
    public static let chunkBytes = 1024
    public static let blockBytes = 64

    @usableFromInline static let chunkStart: UInt32 = 1
    @usableFromInline static let chunkEnd: UInt32 = 2
    @usableFromInline static let parent: UInt32 = 4
    @usableFromInline static let root: UInt32 = 8

    @usableFromInline static let iv: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) = (
        0x6A09_E667, 0xBB67_AE85, 0x3C6E_F372, 0xA54F_F53A, 0x510E_527F, 0x9B05_688C, 0x1F83_D9AB, 0x5BE0_CD19)

    /// Hashes `count` bytes at `bytes` into 32 bytes at `out`, `L.V.scalarCount` chunks at a time.
    @inlinable @inline(__always)
    public static func hash<L: Blake3LaneSet>(_ bytes: UnsafeRawPointer?, count: Int, into out: UnsafeMutableRawPointer, lanes: L.Type)
    {
        node(bytes, count: count, firstChunk: 0, rootFlag: root, into: out, lanes: L.self)
    }

    /// The 32-byte chaining value of one subtree of a larger input's tree: `count` bytes at
    /// `bytes` that are the input's chunks from chunk `firstChunk` on.
    /// `rootDigest(ofChainingValues:)` joins such values into the input's digest, so threads can
    /// hash parts of one input.
    ///
    /// The range must be a node of the tree, not the whole input: 2ᵏ chunks starting at a
    /// multiple of 2ᵏ, or the input's last chunks from such a start (fewer than 2ᵏ, the last
    /// one possibly short). Any other range gives a value the tree never contains.
    @inlinable @inline(__always)
    public static func subtree<L: Blake3LaneSet>(
        _ bytes: UnsafeRawPointer, count: Int, firstChunk: UInt64, into out: UnsafeMutableRawPointer, lanes: L.Type
    ) {
        node(bytes, count: count, firstChunk: firstChunk, rootFlag: 0, into: out, lanes: L.self)
    }

    /// The chaining values of the chunks held in `count` bytes at `bytes`, the input's chunks
    /// from chunk `firstChunk` on (whole chunks, but for the input's last chunk, which may be
    /// shorter), 8 words each at `cvs`: the leaves of the tree, with no parent computed, for a
    /// caller that joins them with `rootDigest(ofChainingValues:)` once every range is in.
    @inlinable @inline(__always)
    public static func chunkValues<L: Blake3LaneSet>(
        _ bytes: UnsafeRawPointer, count: Int, firstChunk: UInt64, into cvs: UnsafeMutablePointer<UInt32>, lanes: L.Type
    ) {
        let chunks = max(1, (count + chunkBytes - 1) / chunkBytes)
        let tailLength = count - (chunks - 1) * chunkBytes
        // No nested function here: one would be specialized once per lane type and shared by
        // the kernel levels that use the same type (AVX2 would run the baseline's SIMD8 copy).
        withUnsafeTemporaryAllocation(byteCount: chunkBytes, alignment: 64) { buffer in
            // A short last chunk runs from a zero-padded copy; a whole one where it lies.
            var tail = UnsafeRawPointer(bytes + (chunks - 1) * chunkBytes)
            if tailLength < chunkBytes {
                buffer.initializeMemory(as: UInt8.self, repeating: 0)
                buffer.baseAddress!.copyMemory(from: tail, byteCount: tailLength)
                tail = UnsafeRawPointer(buffer.baseAddress!)
            }
            var first = 0
            while first < chunks {
                let active = min(L.V.scalarCount, chunks - first)
                chunkGroup(bytes, first: first, active: active, chunks: chunks, firstChunk: firstChunk, tail: tail, tailLength: tailLength,
                           cvs: cvs, lanes: L.self)
                first += active
            }
        }
    }

    /// The digest of an input from the chaining values (8 words each, at `cvs`) of `count` ≥ 2
    /// subtrees that tile it left to right, all of 2ᵏ chunks but the last (which may be
    /// smaller). Parents over those values are the top of the input's tree: its left subtree
    /// holds the largest power of two of chunks below the total, which is a whole number of
    /// these subtrees. Overwrites `cvs`.
    @inlinable @inline(__always)
    public static func rootDigest<L: Blake3LaneSet>(ofChainingValues cvs: UnsafeMutablePointer<UInt32>, count: Int, into out: UnsafeMutableRawPointer, lanes: L.Type) {
        reduce(cvs, nodes: count, rootFlag: root, into: out, lanes: L.self)
    }

    /// The chaining value of chunks `firstChunk...` held in `count` bytes, or with `rootFlag`
    /// ROOT (and `firstChunk` 0) the digest of the whole input.
    @inlinable @inline(__always)
    static func node<L: Blake3LaneSet>(
        _ bytes: UnsafeRawPointer?, count: Int, firstChunk: UInt64, rootFlag: UInt32, into out: UnsafeMutableRawPointer, lanes: L.Type
    ) {
        let chunks = max(1, (count + chunkBytes - 1) / chunkBytes)
        guard chunks > 1, let bytes else {
            storeLane0(singleChunk(bytes, length: count, index: firstChunk, rootFlag: rootFlag, lanes: L.V.self), into: out)
            return
        }
        // Chaining values, 8 words per node, overwritten level by level from the front.
        let cvs = UnsafeMutablePointer<UInt32>.allocate(capacity: chunks * 8)
        defer { cvs.deallocate() }
        // The last chunk runs in a lane like the others, from a zero-padded copy.
        let tailLength = count - (chunks - 1) * chunkBytes
        withUnsafeTemporaryAllocation(byteCount: chunkBytes, alignment: 64) { tail in
            tail.initializeMemory(as: UInt8.self, repeating: 0)
            tail.baseAddress!.copyMemory(from: bytes + (chunks - 1) * chunkBytes, byteCount: tailLength)
            var first = 0
            while first < chunks {
                let active = min(L.V.scalarCount, chunks - first)
                chunkGroup(bytes, first: first, active: active, chunks: chunks, firstChunk: firstChunk, tail: UnsafeRawPointer(tail.baseAddress!),
                           tailLength: tailLength, cvs: cvs, lanes: L.self)
                first += active
            }
        }
        reduce(cvs, nodes: chunks, rootFlag: rootFlag, into: out, lanes: L.self)
    }

    /// Parents over `nodes` ≥ 2 chaining values level by level down to one, the last
    /// compression with `rootFlag`; writes its 32 bytes to `out`.
    @inlinable @inline(__always)
    static func reduce<L: Blake3LaneSet>(_ cvs: UnsafeMutablePointer<UInt32>, nodes count: Int, rootFlag: UInt32, into out: UnsafeMutableRawPointer, lanes: L.Type) {
        var nodes = count
        while nodes > 2 {
            let pairs = nodes / 2
            var p = 0
            while p < pairs {
                let active = min(L.V.scalarCount, pairs - p)
                parents(cvs, first: p, active: active, lanes: L.self)
                p += active
            }
            if nodes % 2 == 1 {
                for i in 0..<8 { cvs[pairs * 8 + i] = cvs[(nodes - 1) * 8 + i] }
            }
            nodes = pairs + nodes % 2
        }
        let h = withUnsafeTemporaryAllocation(of: L.V.self, capacity: 16) { m in
            for i in 0..<16 { m[i] = L.V(repeating: cvs[i]) }
            return compress(chainingValue: nil, message: m.baseAddress!, counter: L.V(), blockLength: L.V(repeating: 64), flags: L.V(repeating: parent | rootFlag))
        }
        storeLane0(h, into: out)
    }

    @inlinable @inline(__always)
    static func storeLane0<V: Blake3Lanes>(_ h: Blake3Words<V>, into out: UnsafeMutableRawPointer) {
        for i in 0..<8 { out.storeBytes(of: h[i][0].littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
    }

    /// Chaining values of chunks `first ..< first + active` (one per lane) of a range of
    /// `chunks` chunks that starts at the input's chunk `firstChunk` (the counters), into
    /// `cvs`; the range's last chunk is read from `tail` (zero-padded), and when it holds fewer
    /// than 1,024 bytes its lane ends early: its last block is shorter and carries CHUNK_END,
    /// and the blocks after it do not count for that lane.
    @inlinable @inline(__always)
    static func chunkGroup<L: Blake3LaneSet>(
        _ bytes: UnsafeRawPointer, first: Int, active: Int, chunks: Int, firstChunk: UInt64, tail: UnsafeRawPointer, tailLength: Int,
        cvs: UnsafeMutablePointer<UInt32>, lanes: L.Type
    ) {
        let tailLane = chunks - 1 - first < active ? chunks - 1 - first : -1
        // A full group without the range's last chunk, on a level with its own kernel for
        // that: the bulk of a large input.
        if tailLane < 0, active == L.V.scalarCount,
           L.wholeChunks(bytes + first * chunkBytes, firstChunk: firstChunk + UInt64(first), into: cvs + first * 8) {
            return
        }
        // Any other group (the end of every input whose chunks do not fill its last group, with
        // its last chunk whole or short) goes to the level's own kernel where it has one. A
        // whole last chunk hashes like any other; a short one (1 to 1,023 bytes) ends its lanes
        // early. An empty range (a last chunk of 0 bytes) stays with the body below.
        let shortTail = tailLane >= 0 && tailLength < chunkBytes ? tailLane : -1
        var h = Blake3Words(iv: L.V.self)
        var tailWords = h
        let written = withUnsafeTemporaryAllocation(of: UnsafeRawPointer.self, capacity: L.V.scalarCount) { rows -> Bool in
            for lane in 0..<L.V.scalarCount {
                let chunk = first + min(lane, active - 1)
                rows[lane] = chunk == chunks - 1 ? tail : bytes + chunk * chunkBytes
            }
            if tailLength > 0 {
                let done = withUnsafeTemporaryAllocation(of: UInt64.self, capacity: L.V.scalarCount) { counters in
                    for lane in 0..<L.V.scalarCount { counters[lane] = firstChunk + UInt64(first + min(lane, active - 1)) }
                    return L.chunks(rows: rows.baseAddress!, counters: counters.baseAddress!, tailLane: shortTail, tailLength: tailLength, lanes: active,
                                    into: cvs + first * 8)
                }
                if done { return true }
            }
            // The level has no kernel for this group: the lanes' counters, and the tail lanes'
            // shorter last block, for the generic body.
            var counter = L.V(), high = L.V()
            for lane in 0..<L.V.scalarCount {
                let index = firstChunk + UInt64(first + min(lane, active - 1))
                counter[lane] = UInt32(truncatingIfNeeded: index)
                high[lane] = UInt32(truncatingIfNeeded: index >> 32)
            }
            let blocks = chunkBytes / blockBytes
            let tailBlock = tailLane >= 0 ? (tailLength - 1) / blockBytes : blocks - 1
            var isTail = L.V.MaskStorage()
            if tailLane >= 0 { for lane in tailLane..<L.V.scalarCount { isTail[lane] = -1 } }
            let tailMask = SIMDMask(isTail)
            // Every block's message first, then the compressions: apart, the shuffles'
            // constants do not take the registers the compression state needs.
            withUnsafeTemporaryAllocation(of: L.V.self, capacity: 16 * blocks) { m in
                let msg = m.baseAddress!
                for block in 0..<blocks { L.loadTransposed(rows.baseAddress!, offset: block * blockBytes, into: msg + 16 * block) }
                for block in 0..<blocks {
                    var length = L.V(repeating: UInt32(blockBytes))
                    var flags = L.V(repeating: (block == 0 ? chunkStart : 0) | (block == blocks - 1 ? chunkEnd : 0))
                    if block == tailBlock && tailLane >= 0 {
                        length.replace(with: UInt32(tailLength - block * blockBytes), where: tailMask)
                        flags.replace(with: (block == 0 ? chunkStart : 0) | chunkEnd, where: tailMask)
                    }
                    h = compress(chainingValue: h, message: msg + 16 * block, counter: counter, high: high, blockLength: length, flags: flags)
                    if block == tailBlock { tailWords = h }
                }
            }
            return false
        }
        if written { return }
        for lane in 0..<active {
            let words = lane == tailLane ? tailWords : h
            for i in 0..<8 { cvs[(first + lane) * 8 + i] = words[i][lane] }
        }
    }

    /// Parents of node pairs `(2p, 2p+1)` for p in `first ..< first + active`, written at p.
    @inlinable @inline(__always)
    static func parents<L: Blake3LaneSet>(_ cvs: UnsafeMutablePointer<UInt32>, first: Int, active: Int, lanes: L.Type) {
        let h = withUnsafeTemporaryAllocation(of: UnsafeRawPointer.self, capacity: L.V.scalarCount) { rows -> Blake3Words<L.V>? in
            // A pair of chaining values is 64 consecutive bytes: one message block per lane.
            for lane in 0..<L.V.scalarCount { rows[lane] = UnsafeRawPointer(cvs + 16 * (first + min(lane, active - 1))) }
            if L.parents(rows: rows.baseAddress!, lanes: active, into: cvs + first * 8) { return nil }
            return withUnsafeTemporaryAllocation(of: L.V.self, capacity: 16) { m in
                L.loadTransposed(rows.baseAddress!, offset: 0, into: m.baseAddress!)
                return compress(chainingValue: nil, message: m.baseAddress!, counter: L.V(), blockLength: L.V(repeating: 64), flags: L.V(repeating: parent))
            }
        }
        guard let h else { return }
        for lane in 0..<active {
            for i in 0..<8 { cvs[(first + lane) * 8 + i] = h[i][lane] }
        }
    }

    /// The output words of chunk `index` (`length` ≤ 1,024 bytes), computed in lane 0: the
    /// digest when `rootFlag` is ROOT (an input of one chunk), else its chaining value.
    @inlinable @inline(__always)
    static func singleChunk<V: Blake3Lanes>(_ bytes: UnsafeRawPointer?, length: Int, index: UInt64, rootFlag: UInt32, lanes: V.Type) -> Blake3Words<V> {
        let counter = V(repeating: UInt32(truncatingIfNeeded: index)), high = V(repeating: UInt32(truncatingIfNeeded: index >> 32))
        let blocks = max(1, (length + blockBytes - 1) / blockBytes)
        var h = Blake3Words(iv: V.self)
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockBytes) { buffer in
            withUnsafeTemporaryAllocation(of: V.self, capacity: 16) { m in
                let msg = m.baseAddress!
                for block in 0..<blocks {
                    let start = block * blockBytes
                    let take = min(blockBytes, length - start)
                    buffer.initialize(repeating: 0)
                    if take > 0, let bytes { UnsafeMutableRawPointer(buffer.baseAddress!).copyMemory(from: bytes + start, byteCount: take) }
                    let raw = UnsafeRawPointer(buffer.baseAddress!)
                    for word in 0..<16 { msg[word] = V(repeating: raw.loadUnaligned(fromByteOffset: 4 * word, as: UInt32.self)) }
                    let last = block == blocks - 1
                    let flags = (block == 0 ? chunkStart : 0) | (last ? chunkEnd | rootFlag : 0)
                    h = compress(chainingValue: h, message: msg, counter: counter, high: high, blockLength: V(repeating: UInt32(take)),
                                 flags: V(repeating: flags))
                }
            }
        }
        return h
    }

    /// One compression per lane: the first eight output words (the new chaining value, or the
    /// first 32 bytes of a root output). `chainingValue` nil means the IV.
    @inlinable @inline(__always)
    static func compress<V: Blake3Lanes>(
        chainingValue: Blake3Words<V>?, message m: UnsafePointer<V>, counter: V, high: V = V(), blockLength: V, flags: V
    ) -> Blake3Words<V> {
        let h = chainingValue ?? Blake3Words(iv: V.self)
        var s = Blake3State(
            h.w0, h.w1, h.w2, h.w3, h.w4, h.w5, h.w6, h.w7,
            V(repeating: iv.0), V(repeating: iv.1), V(repeating: iv.2), V(repeating: iv.3),
            counter, high, blockLength, flags)
        // Round r reads the message words in the order of the specification's permutation
        // applied r times.
        round(&s, m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15])
        round(&s, m[2], m[6], m[3], m[10], m[7], m[0], m[4], m[13], m[1], m[11], m[12], m[5], m[9], m[14], m[15], m[8])
        round(&s, m[3], m[4], m[10], m[12], m[13], m[2], m[7], m[14], m[6], m[5], m[9], m[0], m[11], m[15], m[8], m[1])
        round(&s, m[10], m[7], m[12], m[9], m[14], m[3], m[13], m[15], m[4], m[0], m[11], m[2], m[5], m[8], m[1], m[6])
        round(&s, m[12], m[13], m[9], m[11], m[15], m[10], m[14], m[8], m[7], m[2], m[5], m[3], m[0], m[1], m[6], m[4])
        round(&s, m[9], m[14], m[11], m[5], m[8], m[12], m[15], m[1], m[13], m[3], m[0], m[10], m[2], m[6], m[4], m[7])
        round(&s, m[11], m[15], m[5], m[0], m[1], m[9], m[8], m[6], m[14], m[10], m[2], m[12], m[3], m[4], m[7], m[13])
        return Blake3Words(V.xor(s.v0, s.v8), V.xor(s.v1, s.v9), V.xor(s.v2, s.v10), V.xor(s.v3, s.v11),
                           V.xor(s.v4, s.v12), V.xor(s.v5, s.v13), V.xor(s.v6, s.v14), V.xor(s.v7, s.v15))
    }

    /// Columns, then diagonals.
    @inlinable @inline(__always)
    static func round<V: Blake3Lanes>(
        _ s: inout Blake3State<V>, _ m0: V, _ m1: V, _ m2: V, _ m3: V, _ m4: V, _ m5: V, _ m6: V, _ m7: V,
        _ m8: V, _ m9: V, _ m10: V, _ m11: V, _ m12: V, _ m13: V, _ m14: V, _ m15: V
    ) {
        mix(&s.v0, &s.v4, &s.v8, &s.v12, m0, m1)
        mix(&s.v1, &s.v5, &s.v9, &s.v13, m2, m3)
        mix(&s.v2, &s.v6, &s.v10, &s.v14, m4, m5)
        mix(&s.v3, &s.v7, &s.v11, &s.v15, m6, m7)
        mix(&s.v0, &s.v5, &s.v10, &s.v15, m8, m9)
        mix(&s.v1, &s.v6, &s.v11, &s.v12, m10, m11)
        mix(&s.v2, &s.v7, &s.v8, &s.v13, m12, m13)
        mix(&s.v3, &s.v4, &s.v9, &s.v14, m14, m15)
    }

    /// The G function on one column or diagonal of the state.
    @inlinable @inline(__always)
    static func mix<V: Blake3Lanes>(_ a: inout V, _ b: inout V, _ c: inout V, _ d: inout V, _ x: V, _ y: V) {
        a = V.add3(a, b, x)
        d = V.rotateRight(V.xor(d, a), 16)
        c = V.add(c, d)
        b = V.rotateRight(V.xor(b, c), 12)
        a = V.add3(a, b, y)
        d = V.rotateRight(V.xor(d, a), 8)
        c = V.add(c, d)
        b = V.rotateRight(V.xor(b, c), 7)
    }
}

/// Eight words per lane: a chaining value.
public struct Blake3Words<V: Blake3Lanes> {
    public var w0, w1, w2, w3, w4, w5, w6, w7: V

    @inlinable @inline(__always)
    init(_ w0: V, _ w1: V, _ w2: V, _ w3: V, _ w4: V, _ w5: V, _ w6: V, _ w7: V) {
        (self.w0, self.w1, self.w2, self.w3, self.w4, self.w5, self.w6, self.w7) = (w0, w1, w2, w3, w4, w5, w6, w7)
    }

    @inlinable @inline(__always)
    init(iv: V.Type) {
        let v = Blake3Kernel.iv
        self.init(V(repeating: v.0), V(repeating: v.1), V(repeating: v.2), V(repeating: v.3),
                  V(repeating: v.4), V(repeating: v.5), V(repeating: v.6), V(repeating: v.7))
    }

    @inlinable @inline(__always)
    subscript(_ i: Int) -> V {
        switch i {
        case 0: w0
        case 1: w1
        case 2: w2
        case 3: w3
        case 4: w4
        case 5: w5
        case 6: w6
        default: w7
        }
    }
}

/// The sixteen-word compression state, one compression per lane.
public struct Blake3State<V: Blake3Lanes> {
    public var v0, v1, v2, v3, v4, v5, v6, v7, v8, v9, v10, v11, v12, v13, v14, v15: V

    @inlinable @inline(__always)
    init(_ v0: V, _ v1: V, _ v2: V, _ v3: V, _ v4: V, _ v5: V, _ v6: V, _ v7: V,
         _ v8: V, _ v9: V, _ v10: V, _ v11: V, _ v12: V, _ v13: V, _ v14: V, _ v15: V) {
        (self.v0, self.v1, self.v2, self.v3, self.v4, self.v5, self.v6, self.v7) = (v0, v1, v2, v3, v4, v5, v6, v7)
        (self.v8, self.v9, self.v10, self.v11, self.v12, self.v13, self.v14, self.v15) = (v8, v9, v10, v11, v12, v13, v14, v15)
    }
}
