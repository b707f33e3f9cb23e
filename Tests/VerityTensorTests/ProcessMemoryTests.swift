import Testing
@testable import VerityTensor

/// The malloc settings the long-running commands apply are taken by this libc (glibc on the
/// project's Linux machines), and memory allocated after them still works.
@Suite struct ProcessMemoryTests {
    @Test func glibcTakesTheSettings() {
        #if canImport(Glibc)
        #expect(ProcessMemory.reuseFreedMemory())
        var block = [Float](repeating: 1, count: 4 << 20)
        block[block.count - 1] = 2
        #expect(block.reduce(0, +) == Float(block.count + 1))
        #endif
    }
}
