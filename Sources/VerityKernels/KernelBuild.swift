/// One compiled build of the kernels. Each build is a caseless enum in the module compiled for
/// its CPU level, whose one entry point `run` is where the `@_transparent`/`@inlinable` bodies
/// of this module are compiled for that level. Call a build only on a CPU that runs its level:
/// a newer level's code raises SIGILL on an older CPU.
public protocol KernelBuild: Sendable {
    /// The k block of this build's GEMM; A must be packed with the same value.
    static var gemmKC: Int { get }

    /// Runs one kernel call with this build's code.
    static func run(_ call: KernelCall)
}

/// One kernel invocation, with its operands.
public enum KernelCall {
    /// `C (+)= A·B` over `tiles` × `panels` (see `gemmBlock`).
    case gemm(m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
              c: UnsafeMutablePointer<Float>, ldc: Int, tiles: Range<Int>, panels: Range<Int>)
    /// GELU, erf form, from `src` into `dst` (the same buffer for in place).
    case gelu(from: UnsafePointer<Float>, to: UnsafeMutablePointer<Float>, count: Int)
    /// In place, per row: softmax over the first `valid` entries, 0 beyond.
    case softmax(UnsafeMutablePointer<Float>, rows: Int, width: Int, valid: Int)
    /// In place, per row: (x − mean) / √(var + ε) · γ + β.
    case layerNorm(UnsafeMutablePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float)
    /// In place: eˣ.
    case exp(UnsafeMutablePointer<Float>, count: Int)
    /// One head of one short sequence without packing (see `attendDirect`).
    case attend(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, stride: Int, d: Int, length: Int, scale: Float,
                scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, outStride: Int)
}

/// The body of every build's `run`: `fused` selects FMA, `wide` the 16-lane GEMM kernels.
@_transparent
public func runKernel(_ call: KernelCall, kc: Int, fused: Bool, wide: Bool) {
    switch call {
    case .gemm: runGemm(call, kc: kc, fused: fused, wide: wide)
    case .gelu, .softmax, .layerNorm, .exp: runRowKernel(call, fused: fused)
    case .attend: runAttend(call, fused: fused)
    }
}

/// The GEMM case of `runKernel`; other calls do nothing.
@_transparent
public func runGemm(_ call: KernelCall, kc: Int, fused: Bool, wide: Bool) {
    guard case let .gemm(m, n, k, packedA, packedB, bias, c, ldc, tiles, panels) = call else { return }
    gemmBlock(m: m, n: n, k: k, packedA: packedA, packedB: packedB, bias: bias, c: c, ldc: ldc, tiles: tiles, panels: panels,
              kc: kc, fused: fused, wide: wide)
}

/// The row-kernel cases of `runKernel`; other calls do nothing.
@_transparent
public func runRowKernel(_ call: KernelCall, fused: Bool) {
    switch call {
    case let .gelu(src, dst, count): RowKernels.gelu(from: src, to: dst, count: count, fused: fused)
    case let .softmax(x, rows, width, valid): RowKernels.softmax(x, rows: rows, width: width, valid: valid, fused: fused)
    case let .layerNorm(x, rows, width, gamma, beta, epsilon):
        RowKernels.layerNorm(x, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: epsilon)
    case let .exp(x, count): expInPlace(x, count: count, fused: fused)
    case .gemm, .attend: return
    }
}

/// The attention case of `runKernel`; other calls do nothing.
@_transparent
public func runAttend(_ call: KernelCall, fused: Bool) {
    guard case let .attend(q, k, v, stride, d, length, scale, scores, out, outStride) = call else { return }
    attendDirect(q: q, k: k, v: v, stride: stride, d: d, length: length, scale: scale, scores: scores, out: out, outStride: outStride, fused: fused)
}

extension KernelBuild {
    /// `C (+)= A·B` over `tiles` × `panels` (see `gemmBlock`).
    public static func gemmBlock(
        m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int, tiles: Range<Int>, panels: Range<Int>
    ) {
        run(.gemm(m: m, n: n, k: k, packedA: packedA, packedB: packedB, bias: bias, c: c, ldc: ldc, tiles: tiles, panels: panels))
    }

    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) { run(.gelu(from: x, to: x, count: count)) }

    public static func gelu(from src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        run(.gelu(from: src, to: dst, count: count))
    }

    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, valid: Int) {
        run(.softmax(x, rows: rows, width: width, valid: valid))
    }

    public static func layerNorm(
        _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float
    ) {
        run(.layerNorm(x, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: epsilon))
    }

    public static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) { run(.exp(x, count: count)) }

    public static func attend(
        q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, stride: Int, d: Int, length: Int, scale: Float,
        scores: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, outStride: Int
    ) {
        run(.attend(q: q, k: k, v: v, stride: stride, d: d, length: length, scale: scale, scores: scores, out: out, outStride: outStride))
    }
}

/// The kernels compiled at the portable baseline (SSE2 on x86-64), for CPUs without AVX2+FMA:
/// multiply and add apart (without FMA hardware, `addProduct` is a libm call per lane).
public enum PortableKernels: KernelBuild {
    public static let gemmKC = 256

    /// Each kind of kernel in its own function: compiled at the baseline, one function holding
    /// them all (as `runKernel` makes for the other levels) leaves the standard library's
    /// unaligned vector loads as calls, which costs a portable inference 30% more CPU time.
    public static func run(_ call: KernelCall) {
        switch call {
        case .gemm: gemm(call)
        case .attend: attend(call)
        case let .gelu(src, dst, count): geluBody(src, dst, count)
        case let .softmax(x, rows, width, valid): softmaxBody(x, rows, width, valid)
        case let .layerNorm(x, rows, width, gamma, beta, epsilon): layerNormBody(x, rows, width, gamma, beta, epsilon)
        case let .exp(x, count): expBody(x, count)
        }
    }

    @inline(never) static func gemm(_ call: KernelCall) { runGemm(call, kc: gemmKC, fused: false, wide: false) }

    @inline(never) static func attend(_ call: KernelCall) { runAttend(call, fused: false) }

    @inline(never) static func geluBody(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>, _ count: Int) {
        RowKernels.gelu(from: src, to: dst, count: count, fused: false)
    }

    @inline(never) static func softmaxBody(_ x: UnsafeMutablePointer<Float>, _ rows: Int, _ width: Int, _ valid: Int) {
        RowKernels.softmax(x, rows: rows, width: width, valid: valid, fused: false)
    }

    @inline(never) static func layerNormBody(
        _ x: UnsafeMutablePointer<Float>, _ rows: Int, _ width: Int, _ gamma: UnsafePointer<Float>, _ beta: UnsafePointer<Float>, _ epsilon: Float
    ) {
        RowKernels.layerNorm(x, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: epsilon)
    }

    @inline(never) static func expBody(_ x: UnsafeMutablePointer<Float>, _ count: Int) { expInPlace(x, count: count, fused: false) }
}
