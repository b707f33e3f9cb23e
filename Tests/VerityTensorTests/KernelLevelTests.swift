import CVerityCPU
import Testing
import VerityKernels
import VerityKernelsAVX512
import VerityKernelsHaswell
@testable import VerityTensor

@Suite struct KernelLevelTests {
    @Test func requestsResolveAgainstTheCPU() {
        #expect(KernelLevel.choose(requested: nil, detected: .avx512) == .best(.avx512))
        #expect(KernelLevel.choose(requested: "", detected: .haswell) == .best(.haswell))
        #expect(KernelLevel.choose(requested: "avx2", detected: .avx512) == .forced(.haswell))
        #expect(KernelLevel.choose(requested: "avx2+fma", detected: .haswell) == .forced(.haswell))
        #expect(KernelLevel.choose(requested: "portable", detected: .avx512) == .forced(.portable))
        #expect(KernelLevel.choose(requested: "x86-64-v4", detected: .avx512) == .forced(.avx512))
        // A level the CPU cannot execute never runs: its best does.
        #expect(KernelLevel.choose(requested: "avx512", detected: .haswell) == .unsupported(requested: .avx512, running: .haswell))
        #expect(KernelLevel.choose(requested: "avx2", detected: .portable) == .unsupported(requested: .haswell, running: .portable))
        #expect(KernelLevel.choose(requested: "avx1024", detected: .haswell) == .unknown("avx1024", running: .haswell))
        #expect(KernelLevel.choose(requested: "avx512", detected: .haswell).level == .haswell)
    }

    @Test func levelsAreOrderedAndNamed() {
        #expect(KernelLevel.portable < .haswell && KernelLevel.haswell < .avx512)
        #expect(KernelLevel.allCases.map(\.rawValue) == ["portable", "avx2+fma", "avx512"])
        #expect(KernelLevel.allCases.map(\.hardwareClass) == ["cpu-portable", "cpu-avx2", "cpu-avx512"])
        #expect(KernelLevel.runnable.last == KernelLevel.detected)
        #expect(KernelLevel.current <= KernelLevel.detected)
        for level in KernelLevel.allCases { #expect(KernelLevel(name: level.rawValue) == level) }
    }

    /// The CPU check and the dispatcher agree: AVX-512 implies AVX2+FMA, and a build above the
    /// CPU's level is never handed out.
    @Test func dispatchNeverExceedsTheCPU() {
        if verity_cpu_has_avx512() != 0 { #expect(verity_cpu_has_avx2_fma() != 0) }
        #expect(Self.same(Kernels.build(for: .avx512, detected: .haswell), HaswellKernels.self))
        #expect(Self.same(Kernels.build(for: .avx512, detected: .portable), PortableKernels.self))
        #expect(Self.same(Kernels.build(for: .haswell, detected: .portable), PortableKernels.self))
        #expect(Self.same(Kernels.build(for: .avx512, detected: .avx512), AVX512Kernels.self))
        #expect(Self.same(Kernels.build(for: .portable, detected: .avx512), PortableKernels.self))
    }

    /// A receipt's level is rebuilt by itself, or on a CPU without it by a level that computes
    /// the same bits (AVX2 for AVX-512), never by one that rounds differently.
    @Test func reproducingLevels() {
        #expect(KernelLevel.reproducing(.avx512, detected: .avx512) == .avx512)
        #expect(KernelLevel.reproducing(.avx512, detected: .haswell) == .haswell)
        #expect(KernelLevel.reproducing(.haswell, detected: .avx512) == .haswell)
        #expect(KernelLevel.reproducing(.portable, detected: .avx512) == .portable)
        #expect(KernelLevel.reproducing(.avx512, detected: .portable) == nil)
        #expect(KernelLevel.reproducing(.haswell, detected: .portable) == nil)
        #expect(KernelLevel.haswell.computesSameBits(as: .avx512) && !KernelLevel.portable.computesSameBits(as: .haswell))
    }

    static func same(_ a: any KernelBuild.Type, _ b: any KernelBuild.Type) -> Bool { ObjectIdentifier(a) == ObjectIdentifier(b) }

    /// AMX is used only when the OS grants tile state; a refusal (or a CPU without AMX) leaves
    /// it unused, and the OS is not asked when CPUID does not list AMX.
    @Test func amxNeedsTheOSGrant() {
        #expect(AMXState.resolve(listed: false, request: { Issue.record("asked the OS without AMX listed"); return 0 }) == .absent)
        #expect(AMXState.resolve(listed: true, request: { 1 }) == .refused(errno: 1))
        #expect(AMXState.resolve(listed: true, request: { 22 }) == .refused(errno: 22))
        #expect(AMXState.resolve(listed: true, request: { 0 }) == .granted)
        let listed = verity_cpu_lists_amx() != 0
        let probed = AMXState.probe()
        if listed {
            #expect(probed != .absent)
        } else {
            #expect(probed == .absent)
            // The real refusal path: Linux refuses tile state on a CPU without AMX.
            #expect(AMXState.requestFromOS() != 0, "the OS granted AMX tile state on a CPU whose CPUID does not list AMX")
        }
    }
}

extension KernelLevelTests {
    /// Where the CPU has AVX-512 the level is detected and used by default.
    @Test(.enabled(if: verity_cpu_has_avx512() != 0, "this CPU lacks AVX-512 (or the OS does not save zmm state)"))
    func avx512IsDetectedWhereTheCPUHasIt() {
        #expect(KernelLevel.detected == .avx512)
        if KernelLevel.requestedName == nil { #expect(KernelLevel.current == .avx512) }
    }
}
