import Foundation
import Testing
import VerityCore
@testable import VerityTensor

/// Verity's BLAKE3 against the BLAKE3 team's implementation (`Fixtures/blake3_vectors.json`,
/// made by `gen_blake3_vectors.py` with the `blake3` package), on every kernel level this CPU
/// runs.
@Suite struct Blake3Tests {
    struct Vector: Decodable {
        let length: Int
        let hash: String
    }

    struct File: Decodable {
        let vectors: [Vector]
    }

    static let vectors: [Vector] = {
        guard let url = Bundle.module.url(forResource: "blake3_vectors", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url), let file = try? JSONDecoder().decode(File.self, from: data) else { return [] }
        return file.vectors
    }()

    static var levels: [KernelLevel] { KernelLevel.runnable }

    /// Byte i = i mod 251, built from whole periods (copies, quick in a debug build even at 5 MB).
    static func input(_ count: Int) -> [UInt8] {
        let period = (0..<251).map { UInt8($0) }
        var bytes = [UInt8]()
        bytes.reserveCapacity(count)
        while bytes.count < count { bytes += period.prefix(count - bytes.count) }
        return bytes
    }

    @Test(arguments: levels)
    func knownAnswers(level: KernelLevel) throws {
        #expect(Self.vectors.count >= 50, "fixture loaded")
        for vector in Self.vectors {
            let input = Self.input(vector.length)
            // On the calling thread, and as callers get it (large inputs split on the pool when
            // there is more than one thread).
            #expect(Blake3.hash(input, level: level, parallel: false).hex == vector.hash, "length \(vector.length) on \(level.rawValue), one thread")
            #expect(Blake3.hash(input, level: level).hex == vector.hash, "length \(vector.length) on \(level.rawValue)")
        }
    }

    @Test(arguments: levels)
    func unalignedInputsHashTheSame(level: KernelLevel) {
        // The kernels load words unaligned: the same bytes at every offset within a word.
        let count = 9 * 1024 + 37
        let expected = Blake3.hash(Self.input(count), level: level)
        for offset in 1..<4 {
            let padded = [UInt8](repeating: 0xEE, count: offset) + Self.input(count)
            let digest = padded.withUnsafeBytes { Blake3.hash(UnsafeRawBufferPointer(rebasing: $0[offset...]), level: level) }
            #expect(digest == expected, "offset \(offset)")
        }
    }

    /// Every level may be asked for on any CPU: one above the CPU's is served by the CPU's own
    /// (a newer level's code would trap), with the same digest.
    @Test func aLevelAboveTheCPUsIsServedByItsOwn() {
        let input = Self.input(70 * 1024 + 5)
        let expected = Blake3.hash(input, level: .portable, parallel: false)
        for level in KernelLevel.allCases {
            #expect(Blake3.hash(input, level: level) == expected, "\(level.rawValue)")
            #expect(Blake3.hash(input, level: level, parallel: false) == expected, "\(level.rawValue), one thread")
        }
    }

    @Test func aTensorHashesAsItsLittleEndianBytes() throws {
        let tensor = try Tensor(shape: [3, 700], storage: (0..<2100).map { Float($0) * 0.25 - 7 })
        #expect(Blake3.hash(tensor) == Blake3.hash(tensor.bytes))
        var changed = tensor
        changed.storage[1999] = changed.storage[1999].nextUp
        #expect(Blake3.hash(changed) != Blake3.hash(tensor))
    }
}
