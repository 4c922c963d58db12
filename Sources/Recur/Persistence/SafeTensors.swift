import Foundation

/// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
/// length, a JSON header mapping names to dtype, shape and byte range, then the raw little-endian data.
/// PyTorch reads it with `safetensors.torch.load_file`. Recur writes and reads F32 and I32 tensors.
public enum SafeTensors {
    public struct Entry: Equatable {
        public var shape: [Int]
        public var values: [Float]
        public init(shape: [Int], values: [Float]) {
            self.shape = shape
            self.values = values
        }
    }

    /// Serializes `tensors` (written in name order) with string `metadata`.
    public static func encode(_ tensors: [String: Entry], metadata: [String: String] = [:]) throws -> Data {
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        let names = tensors.keys.sorted()
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
        data.append(json)
        for name in names {
            tensors[name]!.values.withUnsafeBufferPointer { buffer in
                // x86-64 and arm64 are little-endian, as the format is.
                data.append(UnsafeBufferPointer(start: UnsafeRawPointer(buffer.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                count: buffer.count * 4))
            }
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
        var metadata: [String: String] = [:]
        for (name, value) in header {
            if name == "__metadata__" {
                metadata = value as? [String: String] ?? [:]
                continue
            }
            guard let info = value as? [String: Any], let dtype = info["dtype"] as? String,
                  let shape = info["shape"] as? [Int], let offsets = info["data_offsets"] as? [Int], offsets.count == 2
            else { throw fail("tensor '\(name)' has a malformed header entry") }
            let count = shape.reduce(1, *)
            guard shape.allSatisfy({ $0 >= 0 }), offsets[0] >= 0, offsets[1] - offsets[0] == count * 4,
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
            default:
                throw fail("tensor '\(name)' has dtype \(dtype); Recur reads F32 and I32")
            }
            tensors[name] = Entry(shape: shape, values: values)
        }
        return (tensors, metadata)
    }

    public static func write(_ tensors: [String: Entry], metadata: [String: String] = [:], to url: URL) throws {
        try encode(tensors, metadata: metadata).write(to: url, options: .atomic)
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
