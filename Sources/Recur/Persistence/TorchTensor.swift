import Foundation

// MARK: - Tensors

/// The element types of torch's typed storages (`torch.FloatStorage` ...), by storage class name.
enum TorchDType: String {
    case float32 = "FloatStorage", float16 = "HalfStorage", bfloat16 = "BFloat16Storage", float64 = "DoubleStorage"
    case int64 = "LongStorage", int32 = "IntStorage", int16 = "ShortStorage", int8 = "CharStorage"
    case uint8 = "ByteStorage", bool = "BoolStorage"

    var width: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }
}

struct TorchStorage {
    let dtype: TorchDType
    let key: String
    let count: Int  // in elements
}

struct TorchTensor {
    let storage: TorchStorage
    let offset: Int  // in elements
    let shape: [Int]
    let strides: [Int]

    /// The elements in row-major order, widened to Float, after checking that the view lies inside its storage.
    func values(in bytes: UnsafeRawBufferPointer, name: String) throws -> [Float] {
        func fail(_ what: String) -> TorchCheckpointProblem { TorchCheckpointProblem("tensor '\(name)' \(what)") }
        guard shape.count == strides.count else { throw fail("has \(shape.count) sizes but \(strides.count) strides") }
        guard shape.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }), offset >= 0 else {
            throw fail("has a negative size, stride or storage offset (shape \(shape), strides \(strides), offset \(offset))")
        }
        let (byteCount, byteOverflow) = storage.count.multipliedReportingOverflow(by: storage.dtype.width)
        guard !byteOverflow, byteCount <= bytes.count else {
            throw fail("needs a storage of \(storage.count) \(storage.dtype.rawValue) elements, but data/\(storage.key) has \(bytes.count) bytes")
        }
        var count = 1
        var lastIndex = offset
        for (size, stride) in zip(shape, strides) {
            let (product, overflow) = count.multipliedReportingOverflow(by: size)
            guard !overflow else { throw fail("has shape \(shape), too many elements") }
            count = product
            if size > 0 {
                let (reach, reachOverflow) = (size - 1).multipliedReportingOverflow(by: stride)
                let (sum, sumOverflow) = lastIndex.addingReportingOverflow(reach)
                guard !reachOverflow, !sumOverflow else { throw fail("has strides \(strides) that overflow") }
                lastIndex = sum
            }
        }
        if count == 0 { return [] }
        // A view has at most its storage's elements, except a broadcast (zero strides, as `expand` makes);
        // those in real state dicts are small, so a huge one is a damaged size, not a reason to allocate.
        guard count <= max(storage.count, 1 << 26) else {
            throw fail("has shape \(shape), \(count) elements over a storage of \(storage.count); a broadcast this large is refused as damaged sizes")
        }
        guard lastIndex < storage.count else {
            throw fail("(shape \(shape), strides \(strides), offset \(offset)) reaches element \(lastIndex) of a storage of \(storage.count)")
        }

        switch storage.dtype {
        case .float32:
            return gather(count) { Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 &* 4, as: UInt32.self))) }
        case .float16:
            return gather(count) { halfToFloat(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 &* 2, as: UInt16.self))) }
        case .bfloat16:
            // bfloat16 is the upper half of a float32.
            return gather(count) { Float(bitPattern: UInt32(UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 &* 2, as: UInt16.self))) << 16) }
        case .float64:
            return gather(count) { Float(Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 &* 8, as: UInt64.self)))) }
        case .int64:
            return gather(count) { Float(Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 &* 8, as: Int64.self))) }
        case .int32:
            return gather(count) { Float(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 &* 4, as: Int32.self))) }
        case .int16:
            return gather(count) { Float(Int16(littleEndian: bytes.loadUnaligned(fromByteOffset: $0 &* 2, as: Int16.self))) }
        case .int8:
            return gather(count) { Float(bytes.load(fromByteOffset: $0, as: Int8.self)) }
        case .uint8:
            return gather(count) { Float(bytes[$0]) }
        case .bool:
            return gather(count) { bytes[$0] != 0 ? 1 : 0 }
        }
    }

    /// Visits the view's storage indices in row-major order (bounds were checked by the caller).
    @inline(__always)
    private func gather(_ count: Int, _ element: (Int) -> Float) -> [Float] {
        [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            var contiguousStride = 1
            var contiguous = true
            for (size, stride) in zip(shape, strides).reversed() where size != 1 {
                if stride != contiguousStride { contiguous = false; break }
                contiguousStride *= size
            }
            if contiguous {
                for index in 0..<count { buffer[index] = element(offset &+ index) }
            } else {
                // Innermost dimension in a tight loop, the outer ones as an odometer.
                let rank = shape.count
                let innerSize = shape[rank - 1], innerStride = strides[rank - 1]
                var odometer = [Int](repeating: 0, count: rank)
                var rowStart = offset
                var written = 0
                while written < count {
                    var position = rowStart
                    for _ in 0..<innerSize {
                        buffer[written] = element(position)
                        written += 1
                        position &+= innerStride
                    }
                    var dimension = rank - 2
                    while dimension >= 0 {
                        odometer[dimension] += 1
                        rowStart &+= strides[dimension]
                        if odometer[dimension] < shape[dimension] { break }
                        rowStart &-= strides[dimension] &* shape[dimension]
                        odometer[dimension] = 0
                        dimension -= 1
                    }
                }
            }
            initialized = count
        }
    }
}

/// IEEE binary16 to binary32, exactly (subnormals and infinities included), bit for bit as torch converts:
/// a NaN keeps its payload and comes out quiet, as the F16C/NEON conversion instructions make it.
@inline(__always)
func halfToFloat(_ half: UInt16) -> Float {
    let sign = UInt32(half & 0x8000) << 16
    let exponent = UInt32(half >> 10) & 0x1F
    let mantissa = UInt32(half & 0x3FF)
    if exponent == 0 {
        // Zero or subnormal: mantissa * 2^-24, exact in float32.
        let magnitude = Float(mantissa) * 0x1p-24
        return sign == 0 ? magnitude : -magnitude
    }
    if exponent == 0x1F { return Float(bitPattern: sign | (mantissa == 0 ? 0x7F80_0000 : 0x7FC0_0000) | (mantissa << 13)) }
    return Float(bitPattern: sign | ((exponent + 112) << 23) | (mantissa << 13))
}
