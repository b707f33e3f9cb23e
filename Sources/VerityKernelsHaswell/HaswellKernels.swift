import VerityKernels

/// The kernels compiled for AVX2+FMA (`-target-cpu haswell`). Call only after
/// `verity_cpu_has_avx2_fma()` said yes: on an older CPU these raise SIGILL.
public enum HaswellKernels {
    public static func gemmPanels(
        m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int, panelRange: Range<Int>
    ) {
        VerityKernels.gemmPanels(m: m, n: n, k: k, packedA: packedA, packedB: packedB, bias: bias, c: c, ldc: ldc, panelRange: panelRange, fused: true)
    }

    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        RowKernels.gelu(x, count: count, fused: true)
    }

    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, valid: Int) {
        RowKernels.softmax(x, rows: rows, width: width, valid: valid, fused: true)
    }

    public static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        RowKernels.layerNorm(x, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: epsilon, fused: true)
    }

    public static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) {
        VerityKernels.expInPlace(x, count: count, fused: true)
    }
}
