import Foundation
import RecurText

/// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
/// length, a JSON header mapping names to dtype, shape and byte range, then the raw little-endian data.
/// PyTorch reads it with `safetensors.torch.load_file`. Recur writes F32 tensors and reads F32, F16, BF16,
/// I32 and I64 ones (as floats).
public enum SafeTensors {
    public struct Entry: Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// Serializes `tensors` (written in name order) with string `metadata`, to which the checksum of the
    /// tensor data is added (`ContentChecksum`; `read` checks it).
    public static func encode(_ tensors: [String: Entry], metadata: [String: String] = [:]) throws -> Data {
        let names = tensors.keys.sorted()
        var checksum = ContentChecksum()
        for name in names { tensors[name]!.values.withUnsafeBytes { checksum.update($0) } }
        var metadata = metadata
        metadata[ContentChecksum.metadataKey] = checksum.tag
        var header: [String: Any] = ["__metadata__": metadata]
        var offset = 0
        for name in names {
            let entry = tensors[name]!
            precondition(entry.values.count == entry.shape.reduce(1, *), "\(name): values do not fill its shape")
            let bytes = entry.values.count * 4
            header[name] = ["dtype": "F32", "shape": entry.shape, "data_offsets": [offset, offset + bytes]]
            offset += bytes
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces so the data starts 8-byte aligned, as the reference writer does.
        while (8 + json.count) % 8 != 0 { json.append(0x20) }
        var data = Data()
        var length = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &length) { data.append(contentsOf: $0) }
        data.reserveCapacity(data.count + json.count + offset)
        data.append(json)
        for name in names {
            // x86-64 and arm64 are little-endian, as the format is.
            tensors[name]!.values.withUnsafeBytes { data.append(contentsOf: $0) }
        }
        return data
    }

    /// Parses a safetensors file's bytes. Every inconsistency is a `SafeTensorsError` naming `source`.
    public static func decode(_ data: Data, source: String) throws -> (tensors: [String: Entry], metadata: [String: String]) {
        func fail(_ what: String) -> SafeTensorsError { SafeTensorsError(file: source, problem: what) }
        guard data.count >= 8 else { throw fail("file is \(data.count) bytes, too short for a safetensors header") }
        let headerLength = data.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard headerLength <= UInt64(data.count - 8) else { throw fail("header length \(headerLength) exceeds the file size") }
        let headerStart = data.startIndex + 8
        let headerData = data[headerStart..<(headerStart + Int(headerLength))]
        guard let header = (try? JSONSerialization.jsonObject(with: headerData)) as? [String: Any] else {
            throw fail("header is not a JSON object")
        }
        let body = data[(headerStart + Int(headerLength))...]
        var tensors: [String: Entry] = [:]
        let metadata = header["__metadata__"] as? [String: String] ?? [:]
        // Files Recur wrote carry a checksum of their data; others (PyTorch's) are read as they are.
        if let recorded = metadata[ContentChecksum.metadataKey] {
            let actual = body.withUnsafeBytes { ContentChecksum.tag(of: $0) }
            guard actual == recorded else {
                throw fail("is damaged: its data does not match the checksum it was written with (cut short or changed on disk)")
            }
        }
        for (name, value) in header {
            if name == "__metadata__" { continue }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("tensor '\(name)' has a malformed header entry") }
            let count = shape.reduce(1, *)
            guard let width = elementBytes[dtype] else {
                throw fail("tensor '\(name)' has dtype \(dtype); Recur reads \(elementBytes.keys.sorted().joined(separator: ", "))")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] - offsets[0] == count * width,
                  offsets[1] <= body.count
            else { throw fail("tensor '\(name)' has byte range \(offsets) inconsistent with shape \(shape) and a \(body.count)-byte body") }
            let bytes = body[(body.startIndex + offsets[0])..<(body.startIndex + offsets[1])]
            var values = [Float](repeating: 0, count: count)
            switch dtype {
            case "F32":
                values.withUnsafeMutableBytes { _ = bytes.copyBytes(to: $0) }
            case "I32":
                var ints = [Int32](repeating: 0, count: count)
                ints.withUnsafeMutableBytes { _ = bytes.copyBytes(to: $0) }
                values = ints.map(Float.init)
            case "I64":  // transformers' position_ids buffer
                var ints = [Int64](repeating: 0, count: count)
                ints.withUnsafeMutableBytes { _ = bytes.copyBytes(to: $0) }
                values = ints.map(Float.init)
            case "F16", "BF16":  // half-precision checkpoints widen exactly to Float
                var halves = [UInt16](repeating: 0, count: count)
                halves.withUnsafeMutableBytes { _ = bytes.copyBytes(to: $0) }
                values = dtype == "BF16" ? halves.map { Float(bitPattern: UInt32($0) << 16) } : halves.map(Self.widen)
            default:
                throw fail("tensor '\(name)' has dtype \(dtype)")
            }
            tensors[name] = Entry(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    /// Bytes per element of the dtypes Recur reads (it writes F32 only).
    static let elementBytes = ["F32": 4, "I32": 4, "I64": 8, "F16": 2, "BF16": 2]

    /// IEEE half to single precision, subnormals and infinities included.
    static func widen(_ half: UInt16) -> Float {
        let sign = UInt32(half & 0x8000) << 16
        let exponent = Int(half >> 10) & 0x1F, mantissa = UInt32(half & 0x3FF)
        if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
        if exponent == 0 {
            let magnitude = Float(mantissa) * 0x1p-24
            return sign == 0 ? magnitude : -magnitude
        }
        return Float(bitPattern: sign | UInt32(exponent + 112) << 23 | (mantissa << 13))
    }

    /// Writes durably (`DurableFile`): a crash leaves the previous file or this one, never a torn one.
    public static func write(_ tensors: [String: Entry], metadata: [String: String] = [:], to url: URL) throws {
        try DurableFile.write(try encode(tensors, metadata: metadata), to: url)
    }

    public static func read(_ url: URL) throws -> (tensors: [String: Entry], metadata: [String: String]) {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw SafeTensorsError(file: url.path, problem: "cannot be read (\(error.localizedDescription))")
        }
        return try decode(data, source: url.path)
    }
}

public struct SafeTensorsError: Error, CustomStringConvertible {
    public let file: String
    public let problem: String
    public var description: String { "\(file): not a valid safetensors file: \(problem)" }
}
