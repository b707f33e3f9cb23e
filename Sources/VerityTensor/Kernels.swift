import VerityKernels
import VerityKernelsHaswell

/// Dispatches each kernel to the build for this CPU (`KernelLevel.current`).
enum Kernels {
    static let level = KernelLevel.current

    static func gemmPanels(
        m: Int, n: Int, k: Int, packedA: UnsafePointer<Float>, packedB: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int, panels: Range<Int>
    ) {
        switch level {
        case .haswell: HaswellKernels.gemmPanels(m: m, n: n, k: k, packedA: packedA, packedB: packedB, bias: bias, c: c, ldc: ldc, panelRange: panels)
        case .portable: PortableKernels.gemmPanels(m: m, n: n, k: k, packedA: packedA, packedB: packedB, bias: bias, c: c, ldc: ldc, panelRange: panels)
        }
    }

    static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch level {
        case .haswell: HaswellKernels.gelu(x, count: count)
        case .portable: PortableKernels.gelu(x, count: count)
        }
    }

    static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, valid: Int) {
        switch level {
        case .haswell: HaswellKernels.softmax(x, rows: rows, width: width, valid: valid)
        case .portable: PortableKernels.softmax(x, rows: rows, width: width, valid: valid)
        }
    }

    static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float) {
        switch level {
        case .haswell: HaswellKernels.layerNorm(x, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: epsilon)
        case .portable: PortableKernels.layerNorm(x, rows: rows, width: width, gamma: gamma, beta: beta, epsilon: epsilon)
        }
    }

    static func exp(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch level {
        case .haswell: HaswellKernels.exp(x, count: count)
        case .portable: PortableKernels.exp(x, count: count)
        }
    }
}
