@_spi(CustomByteBufferAllocator) import NIOCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#else
import Darwin
#endif

/// `ByteBuffer`s that read a `[Float]`'s memory where it lies, so that a worker uploads the
/// tensors of an audit bundle (12.6 MB at 134 tokens) without first copying them into request
/// buffers (about 4% of the inference it published, `verity bench verify`).
///
/// A lent array is kept alive here, counted per buffer storage made over it, until SwiftNIO
/// frees the last such storage through `allocator`; so the memory outlives every buffer and
/// slice of it, wherever the HTTP client keeps them. The buffers are for reading only: the
/// one path by which NIO writes into a buffer in place (a `setBytes` on a uniquely held
/// storage) is never taken for a request body. Any growth goes through `allocator.reallocate`,
/// which moves the bytes to fresh memory and leaves the array as it was.
enum LentArrays {
    /// Each lent array by its base address, with the number of buffer storages over it.
    private static let lent = Mutex<[UInt: (values: [Float], storages: Int)]>([:])

    static let allocator = ByteBufferAllocator(
        allocate: { size in malloc(size == 0 ? 1 : size) },
        reallocate: { pointer, oldSize, newSize in
            guard let pointer, LentArrays.isLent(pointer) else { return realloc(pointer, newSize == 0 ? 1 : newSize) }
            guard let fresh = malloc(newSize == 0 ? 1 : newSize) else { return nil }
            memcpy(fresh, pointer, min(oldSize, newSize))
            LentArrays.release(pointer)
            return fresh
        },
        deallocate: { pointer in
            if !LentArrays.release(pointer) { free(pointer) }
        },
        copy: { destination, source, count in _ = memcpy(destination, source, count) })

    /// A buffer whose readable bytes are `values`' memory: their little-endian bytes on a
    /// little-endian host (the caller copies on a big-endian one).
    static func buffer(_ values: [Float]) -> ByteBuffer {
        values.withUnsafeBytes { raw -> ByteBuffer in
            guard let base = raw.baseAddress, raw.count > 0 else { return ByteBuffer() }
            lent.withLock { $0[UInt(bitPattern: base), default: (values, 0)].storages += 1 }
            return ByteBuffer(takingOwnershipOf: UnsafeMutableRawBufferPointer(mutating: raw), allocator: allocator)
        }
    }

    /// Whether the array whose elements start at `address` is lent now.
    static func isLent(address: UInt) -> Bool { lent.withLock { $0[address] != nil } }

    private static func isLent(_ pointer: UnsafeMutableRawPointer) -> Bool { isLent(address: UInt(bitPattern: pointer)) }

    /// One storage over the array at `pointer` is gone, and the last one lets the array go;
    /// false, changing nothing, when no array is lent there (the memory is the allocator's own).
    /// One lock for both the lookup and the count, as every storage NIO frees comes here.
    @discardableResult
    private static func release(_ pointer: UnsafeMutableRawPointer) -> Bool {
        let key = UInt(bitPattern: pointer)
        let (wasLent, freed): (Bool, [Float]?) = lent.withLock { lent in
            guard let entry = lent[key] else { return (false, nil) }
            if entry.storages > 1 {
                lent[key]?.storages = entry.storages - 1
                return (true, nil)
            }
            return (true, lent.removeValue(forKey: key)?.values)
        }
        // The array is released here, outside the lock.
        _ = freed
        return wasLent
    }
}
