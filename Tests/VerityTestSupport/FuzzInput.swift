/// Inputs for the seeded fuzz runs: mutations of valid encodings and integers that sit on the
/// edges of their ranges, drawn from a `SeededGenerator` so every run replays.
extension SeededGenerator {
    /// `input` with one to four edits: a flipped bit, an overwritten byte, a truncation, an
    /// inserted byte, a duplicated run, or a small value in one of the first eight bytes (where
    /// headers and lengths sit).
    public mutating func mutate(_ input: [UInt8]) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...4, using: &self) {
            switch Int.random(in: 0..<6, using: &self) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &self)] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &self)
            case 1 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &self)] = UInt8.random(in: 0...255, using: &self)
            case 2:
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &self)))
            case 3:
                bytes.insert(UInt8.random(in: 0...255, using: &self), at: Int.random(in: 0...bytes.count, using: &self))
            case 4 where !bytes.isEmpty:
                let start = Int.random(in: 0..<bytes.count, using: &self)
                let end = min(bytes.count, start + Int.random(in: 1...40, using: &self))
                bytes.insert(contentsOf: bytes[start..<end], at: Int.random(in: 0...bytes.count, using: &self))
            default:
                if !bytes.isEmpty { bytes[Int.random(in: 0..<min(bytes.count, 8), using: &self)] = UInt8.random(in: 0...4, using: &self) }
            }
        }
        return bytes
    }

    /// A UInt64 that is usually on an edge: 0, 1, powers of two and their neighbours, the
    /// largest values; otherwise small or uniformly random.
    public mutating func edgyUInt64() -> UInt64 {
        switch Int.random(in: 0..<8, using: &self) {
        case 0: return [0, 1, 2, 999, 1000, 1001][Int.random(in: 0..<6, using: &self)]
        case 1: return UInt64.max - UInt64.random(in: 0...2, using: &self)
        case 2: return (UInt64(1) << UInt64.random(in: 0...63, using: &self)) &+ UInt64.random(in: 0...2, using: &self) &- 1
        case 3: return UInt64(Int64.max) &+ UInt64.random(in: 0...2, using: &self)
        case 4: return UInt64.random(in: 0...1_000_000, using: &self)
        case 5: return UInt64.random(in: 0...1_000_000_000_000, using: &self)
        default: return UInt64.random(in: 0...UInt64.max, using: &self)
        }
    }

    /// An Int64 on an edge (see `edgyUInt64`), either sign.
    public mutating func edgyInt64() -> Int64 {
        let magnitude = Int64(truncatingIfNeeded: edgyUInt64())
        return Bool.random(using: &self) ? magnitude : magnitude == .min ? .min : -magnitude
    }

    /// One of `items`.
    public mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }

    /// True with probability `p`.
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
}
