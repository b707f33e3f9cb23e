import Foundation

/// The element types a safetensors file may declare, and their sizes.
public enum DType: String, Sendable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteCount: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }
}

/// One tensor's entry in a safetensors header.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range within the data section (after the header).
    public let range: Range<Int>
}

/// A parsed safetensors file: an 8-byte little-endian header length, a JSON header naming
/// each tensor's dtype, shape and byte range, then the data.
///
/// Parsing checks everything a hostile file could get wrong: header length past the end,
/// non-JSON or non-object headers, unknown dtypes, negative or overflowing shapes, byte
/// ranges that don't match the shape, fall outside the data, overlap, or leave holes.
public struct Safetensors: Sendable {
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    /// The bytes the ranges index into.
    let data: ByteSource
    let dataOffset: Int

    /// The largest header accepted (the format's own limit is 100 MB).
    public static let maxHeaderSize = 100_000_000

    /// Parses a file held in `source` (memory-mapped or in memory).
    public init(source: ByteSource) throws(TensorError) {
        let size = source.count
        guard size >= 8 else { throw .safetensors("file is \(size) bytes, too short for the header length") }
        let headerLength = source.withBytes { raw in raw.loadUnaligned(as: UInt64.self) }.littleEndian
        guard headerLength <= UInt64(Self.maxHeaderSize) else { throw .safetensors("header length \(headerLength) exceeds \(Self.maxHeaderSize)") }
        guard Int(headerLength) <= size - 8 else { throw .safetensors("header length \(headerLength) runs past the end of the \(size)-byte file") }
        let headerData = source.withBytes { raw in Data(raw[8..<(8 + Int(headerLength))]) }
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerData) } catch { throw .safetensors("header is not valid JSON") }
        guard let object = json as? [String: Any] else { throw .safetensors("header is not a JSON object") }
        let dataSize = size - 8 - Int(headerLength)
        var tensors = [String: TensorInfo]()
        var metadata = [String: String]()
        for (name, value) in object {
            if name == "__metadata__" {
                guard let entries = value as? [String: Any] else { throw .safetensors("__metadata__ is not an object") }
                for (key, entry) in entries {
                    guard let text = entry as? String else { throw .safetensors("__metadata__.\(key) is not a string") }
                    metadata[key] = text
                }
                continue
            }
            tensors[name] = try Self.parseEntry(name: name, value: value, dataSize: dataSize)
        }
        // The ranges must tile the data section exactly: no overlap, no holes.
        var cursor = 0
        for info in tensors.values.sorted(by: { ($0.range.lowerBound, $0.range.upperBound) < ($1.range.lowerBound, $1.range.upperBound) }) {
            guard info.range.lowerBound == cursor else {
                throw .safetensors(info.range.lowerBound < cursor ? "tensor \(info.name) overlaps another" : "gap in the data before tensor \(info.name)")
            }
            cursor = info.range.upperBound
        }
        guard cursor == dataSize else { throw .safetensors("data section has \(dataSize - cursor) bytes no tensor claims") }
        self.tensors = tensors
        self.metadata = metadata
        data = source
        dataOffset = 8 + Int(headerLength)
    }

    private static func parseEntry(name: String, value: Any, dataSize: Int) throws(TensorError) -> TensorInfo {
        guard let entry = value as? [String: Any] else { throw .safetensors("entry \(name) is not an object") }
        guard let dtypeName = entry["dtype"] as? String else { throw .safetensors("entry \(name) has no dtype") }
        guard let dtype = DType(rawValue: dtypeName) else { throw .unsupportedDType("\(dtypeName) (tensor \(name))") }
        guard let shapeValues = entry["shape"] as? [Any], let offsets = entry["data_offsets"] as? [Any], offsets.count == 2 else {
            throw .safetensors("entry \(name) needs shape and two data_offsets")
        }
        var shape = [Int]()
        var elements = 1
        for dimension in shapeValues {
            guard let number = dimension as? NSNumber, let n = Int(exactly: number.doubleValue), n >= 0 else {
                throw .safetensors("entry \(name) has a bad dimension \(dimension)")
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: n)
            guard !overflow, product <= dataSize else { throw .safetensors("entry \(name) shape \(shapeValues) is larger than the file") }
            shape.append(n)
            elements = product
        }
        guard let lowerNumber = offsets[0] as? NSNumber, let upperNumber = offsets[1] as? NSNumber,
              let lower = Int(exactly: lowerNumber.doubleValue), let upper = Int(exactly: upperNumber.doubleValue),
              lower >= 0, lower <= upper, upper <= dataSize else {
            throw .safetensors("entry \(name) data_offsets \(offsets) fall outside the \(dataSize)-byte data section")
        }
        guard upper - lower == elements * dtype.byteCount else {
            throw .safetensors("entry \(name): \(upper - lower) bytes for shape \(shape) of \(dtype.rawValue)")
        }
        return TensorInfo(name: name, dtype: dtype, shape: shape, range: lower..<upper)
    }

    /// The tensor `name` converted to Float32 (from F32, F16 or BF16), optionally releasing
    /// the file's pages it came from (`discardingSource`) — loading a model that way never
    /// holds the file and its converted copy in memory at once.
    public func tensor(_ name: String, discardingSource: Bool = false) throws(TensorError) -> Tensor {
        defer {
            if discardingSource, let info = tensors[name] {
                data.discard((dataOffset + info.range.lowerBound)..<(dataOffset + info.range.upperBound))
            }
        }
        guard let info = tensors[name] else { throw .missingTensor(name) }
        let count = info.shape.reduce(1, *)
        let start = dataOffset + info.range.lowerBound
        let values: [Float]
        switch info.dtype {
        case .f32:
            values = data.withBytes { raw in
                [Float](unsafeUninitializedCapacity: count) { out, initialized in
                    // The file is little-endian, as is every platform Swift runs this on.
                    UnsafeMutableRawBufferPointer(out).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[start..<(start + 4 * count)]))
                    initialized = count
                }
            }
        case .f16:
            values = data.withBytes { raw in
                (0..<count).map { Float(Float16(bitPattern: UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * $0, as: UInt16.self)))) }
            }
        case .bf16:
            values = data.withBytes { raw in
                (0..<count).map { Float(bitPattern: UInt32(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: start + 2 * $0, as: UInt16.self))) << 16) }
            }
        default:
            throw .unsupportedDType("\(info.dtype.rawValue) (tensor \(name)) cannot be read as floats")
        }
        return try Tensor(shape: info.shape, storage: values)
    }
}
