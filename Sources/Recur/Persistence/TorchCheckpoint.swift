import Foundation

/// Reads the state dicts that PyTorch's `torch.save` writes (`pytorch_model.bin`, as many Hugging Face model
/// packages still ship them instead of, or beside, `model.safetensors`), without Python.
///
/// The format (PyTorch >= 1.6) is a ZIP archive of uncompressed entries under one folder `<prefix>/`:
/// `data.pkl`, a pickle (protocol 2) of the state dict whose tensors refer to their storages by persistent id
/// `('storage', torch.FloatStorage, key, location, numel)`; `data/<key>`, each storage's raw little-endian
/// bytes; `version` and, in recent releases, `byteorder`. This reader implements the pickle opcodes and the
/// few globals (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`, `_rebuild_parameter`, the
/// storage classes) such files use, so it executes nothing from the file: any other global becomes an inert
/// value, and only a tensor that cannot be built from what the file holds is an error. Tensors keep their
/// storage offsets and strides (views, such as a transposed weight saved as-is, are read as torch reads
/// them); F16, BF16, F64, I64, I32, I16, I8, U8 and bool elements are widened to `Float`.
public enum TorchCheckpoint {
    /// name -> (shape, values widened to Float). Every problem throws TorchCheckpointError naming `url.path` and what is wrong.
    public static func read(_ url: URL) throws -> [String: (shape: [Int], values: [Float])] {
        let data: Data
        do {
            // Mapped, so a large model costs page cache rather than a copy.
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw TorchCheckpointError(file: url.path, problem: "cannot be read: \(error.localizedDescription)")
        }
        do {
            return try data.withUnsafeBytes { bytes in
                let archive = try TorchArchive(bytes: bytes)
                return try archive.stateDict()
            }
        } catch let problem as TorchCheckpointProblem {
            throw TorchCheckpointError(file: url.path, problem: problem.message)
        }
    }
}

public struct TorchCheckpointError: Error, CustomStringConvertible {
    public let file: String
    public let problem: String
    public var description: String { "\(file): \(problem)" }
}

/// A problem found while parsing; `read` adds the file's path.
private struct TorchCheckpointProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

// MARK: - Bounds-checked little-endian access

extension UnsafeRawBufferPointer {
    /// The little-endian integer at `offset`, or a problem saying which structure (`what`) runs past the end.
    fileprivate func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int, _ what: @autoclosure () -> String) throws -> T {
        guard offset >= 0, offset <= count - MemoryLayout<T>.size else {
            throw TorchCheckpointProblem("\(what()) at byte \(offset) runs past the end of the file (\(count) bytes): the file is cut short or damaged")
        }
        return T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// `length` bytes from `offset`, checked against the buffer's end.
    fileprivate func slice(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            throw TorchCheckpointProblem("\(what()) (\(length) bytes at byte \(offset)) runs past the end of the data (\(count) bytes): the file is cut short or damaged")
        }
        return UnsafeRawBufferPointer(rebasing: self[offset..<(offset + length)])
    }
}

// MARK: - ZIP container

/// The archive's entries (from the central directory) and the state dict's folder inside it.
private struct TorchArchive {
    struct Entry {
        let name: String
        let method: UInt16
        let flags: UInt16
        let crc: UInt32
        let compressedSize: Int
        let size: Int
        let localHeaderOffset: Int
    }

    let bytes: UnsafeRawBufferPointer
    let entries: [String: Entry]
    /// The folder every entry lives in (torch names it after the file, e.g. `archive` or `pytorch_model`).
    let prefix: String

    init(bytes: UnsafeRawBufferPointer) throws {
        self.bytes = bytes
        try Self.rejectOtherFormats(bytes)
        entries = try Self.centralDirectory(bytes)
        // torch writes `<prefix>/data.pkl`; a prefix-less `data.pkl` is accepted too.
        let pickles = entries.keys.filter { $0 == "data.pkl" || ($0.hasSuffix("/data.pkl") && $0.split(separator: "/", omittingEmptySubsequences: false).count == 2) }
        guard let pickle = pickles.min() else {
            throw TorchCheckpointProblem("is a ZIP archive without a data.pkl entry: not a file written by torch.save")
        }
        prefix = String(pickle.dropLast("data.pkl".count))
        if entries["\(prefix)constants.pkl"] != nil || entries.keys.contains(where: { $0.hasPrefix("\(prefix)code/") }) {
            throw TorchCheckpointProblem("is a TorchScript archive (torch.jit.save), not a state dict: save `model.state_dict()` with torch.save, or convert it to safetensors")
        }
    }

    /// Clear messages for files that are not torch's zip format, before the ZIP parser says something vaguer.
    static func rejectOtherFormats(_ bytes: UnsafeRawBufferPointer) throws {
        // PyTorch < 1.6 (or `_use_new_zipfile_serialization=False`): a bare pickle that starts with the
        // magic number 0x1950a86a20f9469cfc6c as a LONG1 (PROTO 2, LONG1, 10 bytes, little-endian).
        let legacyMagic: [UInt8] = [0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19]
        if bytes.count >= legacyMagic.count, zip(bytes.prefix(legacyMagic.count), legacyMagic).allSatisfy({ $0 == $1 }) {
            throw TorchCheckpointProblem("is in PyTorch's legacy (pre-1.6) torch.save format, which this reader does not support: re-save it with a current PyTorch (torch.save(torch.load(path), path)) or convert it to safetensors")
        }
        // safetensors: an 8-byte header length, then the JSON header.
        if bytes.count > 9, bytes[8] == UInt8(ascii: "{"), bytes[0] != 0x50 {
            throw TorchCheckpointProblem("looks like a safetensors file, not a torch.save checkpoint: read it with SafeTensors")
        }
    }

    /// Every entry of the central directory, found through the end-of-central-directory record (ZIP64 aware).
    static func centralDirectory(_ bytes: UnsafeRawBufferPointer) throws -> [String: Entry] {
        let eocdSize = 22
        guard bytes.count >= eocdSize else {
            throw TorchCheckpointProblem("is \(bytes.count) bytes, too short to be a torch.save checkpoint (a ZIP archive)")
        }
        // The record sits at the end, followed only by a comment of at most 65,535 bytes.
        var eocd: Int?
        var candidate = bytes.count - eocdSize
        let lowest = max(0, bytes.count - eocdSize - 0xFFFF)
        while candidate >= lowest {
            if bytes.loadUnaligned(fromByteOffset: candidate, as: UInt32.self) == UInt32(0x0605_4B50).littleEndian {
                let commentLength = Int(try bytes.littleEndian(UInt16.self, at: candidate + 20, "end-of-central-directory record"))
                if candidate + eocdSize + commentLength <= bytes.count { eocd = candidate; break }
            }
            candidate -= 1
        }
        guard let eocd else {
            let startsLikeZip = bytes.count >= 4 && bytes.loadUnaligned(as: UInt32.self) == UInt32(0x0403_4B50).littleEndian
            throw TorchCheckpointProblem(startsLikeZip
                ? "is a ZIP archive without its end-of-central-directory record: the file is cut short (an interrupted download or copy?)"
                : "is not a torch.save checkpoint: it is neither a ZIP archive (PyTorch >= 1.6) nor a legacy torch pickle")
        }
        let diskNumber = try bytes.littleEndian(UInt16.self, at: eocd + 4, "end-of-central-directory record")
        let directoryDisk = try bytes.littleEndian(UInt16.self, at: eocd + 6, "end-of-central-directory record")
        var entryCount = Int(try bytes.littleEndian(UInt16.self, at: eocd + 10, "end-of-central-directory record"))
        var directorySize = Int(try bytes.littleEndian(UInt32.self, at: eocd + 12, "end-of-central-directory record"))
        var directoryOffset = Int(try bytes.littleEndian(UInt32.self, at: eocd + 16, "end-of-central-directory record"))
        var directoryEnd = eocd
        // ZIP64: the record's fields saturate and a locator just before it points at the 64-bit record.
        let locator = eocd - 20
        if locator >= 0, bytes.loadUnaligned(fromByteOffset: locator, as: UInt32.self) == UInt32(0x0706_4B50).littleEndian {
            let record64 = Int(clamping: try bytes.littleEndian(UInt64.self, at: locator + 8, "ZIP64 end-of-central-directory locator"))
            guard try bytes.littleEndian(UInt32.self, at: record64, "ZIP64 end-of-central-directory record") == 0x0606_4B50 else {
                throw TorchCheckpointProblem("the ZIP64 end-of-central-directory locator points at byte \(record64), where there is no ZIP64 record: the file is damaged")
            }
            entryCount = Int(clamping: try bytes.littleEndian(UInt64.self, at: record64 + 32, "ZIP64 end-of-central-directory record"))
            directorySize = Int(clamping: try bytes.littleEndian(UInt64.self, at: record64 + 40, "ZIP64 end-of-central-directory record"))
            directoryOffset = Int(clamping: try bytes.littleEndian(UInt64.self, at: record64 + 48, "ZIP64 end-of-central-directory record"))
            directoryEnd = record64
        } else if diskNumber != 0 || directoryDisk != 0 {
            throw TorchCheckpointProblem("is one part of a split (multi-disk) ZIP archive, which torch.save never writes")
        }
        guard directoryOffset <= directoryEnd, directorySize <= directoryEnd - directoryOffset else {
            throw TorchCheckpointProblem("its ZIP central directory (\(directorySize) bytes at byte \(directoryOffset)) lies outside the file: the file is cut short or damaged")
        }

        var entries: [String: Entry] = [:]
        var position = directoryOffset
        let directoryLimit = directoryOffset + directorySize
        for index in 0..<entryCount {
            let what = "ZIP central directory entry \(index + 1) of \(entryCount)"
            guard position + 46 <= directoryLimit,
                  try bytes.littleEndian(UInt32.self, at: position, what) == 0x0201_4B50 else {
                throw TorchCheckpointProblem("\(what) at byte \(position) is malformed: the file is damaged")
            }
            let flags = try bytes.littleEndian(UInt16.self, at: position + 8, what)
            let method = try bytes.littleEndian(UInt16.self, at: position + 10, what)
            let crc = try bytes.littleEndian(UInt32.self, at: position + 16, what)
            var compressedSize = UInt64(try bytes.littleEndian(UInt32.self, at: position + 20, what))
            var size = UInt64(try bytes.littleEndian(UInt32.self, at: position + 24, what))
            let nameLength = Int(try bytes.littleEndian(UInt16.self, at: position + 28, what))
            let extraLength = Int(try bytes.littleEndian(UInt16.self, at: position + 30, what))
            let commentLength = Int(try bytes.littleEndian(UInt16.self, at: position + 32, what))
            var localHeaderOffset = UInt64(try bytes.littleEndian(UInt32.self, at: position + 42, what))
            let name = String(decoding: try bytes.slice(position + 46, nameLength, "\(what)'s name"), as: UTF8.self)
            let extra = try bytes.slice(position + 46 + nameLength, extraLength, "ZIP entry '\(name)'s extra field")

            // The ZIP64 extra field (id 1) holds, in this order, only the fields that saturated above.
            var field = 0
            while field + 4 <= extra.count {
                let id = try extra.littleEndian(UInt16.self, at: field, "ZIP entry '\(name)'s extra field")
                let length = Int(try extra.littleEndian(UInt16.self, at: field + 2, "ZIP entry '\(name)'s extra field"))
                if id == 1 {
                    let values = try extra.slice(field + 4, length, "ZIP entry '\(name)'s ZIP64 field")
                    var next = 0
                    func take() throws -> UInt64 {
                        defer { next += 8 }
                        return try values.littleEndian(UInt64.self, at: next, "ZIP entry '\(name)'s ZIP64 field")
                    }
                    if size == 0xFFFF_FFFF { size = try take() }
                    if compressedSize == 0xFFFF_FFFF { compressedSize = try take() }
                    if localHeaderOffset == 0xFFFF_FFFF { localHeaderOffset = try take() }
                }
                field += 4 + length
            }
            guard size <= UInt64(bytes.count), compressedSize <= UInt64(bytes.count), localHeaderOffset < UInt64(bytes.count) else {
                throw TorchCheckpointProblem("ZIP entry '\(name)' claims \(compressedSize) bytes at byte \(localHeaderOffset), beyond the end of the file (\(bytes.count) bytes): the file is cut short or damaged")
            }
            entries[name] = Entry(name: name, method: method, flags: flags, crc: crc, compressedSize: Int(compressedSize),
                                  size: Int(size), localHeaderOffset: Int(localHeaderOffset))
            position += 46 + nameLength + extraLength + commentLength
        }
        return entries
    }

    /// An entry's bytes: stored (uncompressed), within the file, and matching their CRC-32.
    func contents(_ entry: Entry) throws -> UnsafeRawBufferPointer {
        guard entry.flags & 1 == 0 else {
            throw TorchCheckpointProblem("ZIP entry '\(entry.name)' is encrypted")
        }
        guard entry.method == 0 else {
            let method = entry.method == 8 ? "deflate" : "method \(entry.method)"
            throw TorchCheckpointProblem("ZIP entry '\(entry.name)' is compressed (\(method)); torch.save stores entries uncompressed and this reader reads only those: the archive was re-zipped by another tool. Re-save it with torch.save (or unzip and re-zip with `zip -0`), or convert it to safetensors")
        }
        guard entry.compressedSize == entry.size else {
            throw TorchCheckpointProblem("ZIP entry '\(entry.name)' is stored but its sizes disagree (\(entry.compressedSize) vs \(entry.size) bytes): the file is damaged")
        }
        // The local header's own name and extra lengths (torch pads the extra field to align the data) give
        // where the data starts; its sizes may be zero (they follow the data when flag bit 3 is set).
        let header = entry.localHeaderOffset
        let what = "ZIP local header of '\(entry.name)'"
        guard try bytes.littleEndian(UInt32.self, at: header, what) == 0x0403_4B50 else {
            throw TorchCheckpointProblem("\(what) at byte \(header) is missing: the file is damaged")
        }
        let nameLength = Int(try bytes.littleEndian(UInt16.self, at: header + 26, what))
        let extraLength = Int(try bytes.littleEndian(UInt16.self, at: header + 28, what))
        let contents = try bytes.slice(header + 30 + nameLength + extraLength, entry.size, "ZIP entry '\(entry.name)'")
        let actual = CRC32.checksum(contents)
        guard actual == entry.crc else {
            throw TorchCheckpointProblem("ZIP entry '\(entry.name)' does not match its CRC-32 (\(hex(actual)) instead of \(hex(entry.crc))): the file is damaged")
        }
        return contents
    }

    /// Parses `data.pkl` and builds every tensor of the top-level dict.
    func stateDict() throws -> [String: (shape: [Int], values: [Float])] {
        if let order = entries["\(prefix)byteorder"] {
            let text = String(decoding: try contents(order), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard text == "little" else {
                throw TorchCheckpointProblem("its storages are \(text)-endian (byteorder entry); this reader reads little-endian ones, as torch writes on x86 and ARM")
            }
        }
        guard let pickleEntry = entries["\(prefix)data.pkl"] else {
            throw TorchCheckpointProblem("has no \(prefix)data.pkl entry")
        }
        var unpickler = Unpickler(bytes: try contents(pickleEntry))
        let root = try unpickler.load()
        guard case .dict(let dictionary) = root else {
            throw TorchCheckpointProblem("holds \(root.summary), not a state dict (a dict of tensors)")
        }

        var tensors: [String: (shape: [Int], values: [Float])] = [:]
        var storages: [String: UnsafeRawBufferPointer] = [:]  // shared storages are located and checked once
        var nestedDicts: [String] = []
        for (key, value) in dictionary.pairs {
            let tensor: TorchTensor
            switch value {
            case .tensor(let found): tensor = found
            case .unreadableTensor(let why):
                let name = if case .string(let name) = key { name } else { key.summary }
                throw TorchCheckpointProblem("tensor '\(name)' cannot be read: \(why)")
            case .dict(let inner):
                if inner.pairs.contains(where: { if case .tensor = $0.value { true } else { false } }), case .string(let name) = key {
                    nestedDicts.append(name)
                }
                continue
            default:
                continue  // not a tensor (e.g. a version number or `_extra_state`)
            }
            guard case .string(let name) = key else {
                throw TorchCheckpointProblem("a tensor's key is \(key.summary), not a string")
            }
            let storage: UnsafeRawBufferPointer
            if let located = storages[tensor.storage.key] {
                storage = located
            } else {
                let entryName = "\(prefix)data/\(tensor.storage.key)"
                guard let entry = entries[entryName] else {
                    throw TorchCheckpointProblem("tensor '\(name)': its storage \(entryName) is missing from the archive")
                }
                storage = try contents(entry)
                storages[tensor.storage.key] = storage
            }
            tensors[name] = (tensor.shape, try tensor.values(in: storage, name: name))
        }
        if tensors.isEmpty, !nestedDicts.isEmpty {
            throw TorchCheckpointProblem("holds no tensors at its top level, only dicts of tensors under \(nestedDicts.sorted().map { "'\($0)'" }.joined(separator: ", ")): it looks like a training checkpoint; save the model's state_dict() itself with torch.save, or convert it to safetensors")
        }
        return tensors
    }
}

private func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

/// CRC-32 (ZIP's polynomial), eight bytes per step so that checking a large model costs little.
private enum CRC32 {
    static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
            table[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = table[(slice - 1) * 256 + byte]
                table[slice * 256 + byte] = (previous >> 8) ^ table[Int(previous & 0xFF)]
            }
        }
        return table
    }()

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { t in
            var index = 0
            while index + 8 <= bytes.count {
                let low = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index, as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: index + 4, as: UInt32.self))
                crc = t[7 * 256 + Int(low & 0xFF)] ^ t[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((low >> 16) & 0xFF)] ^ t[4 * 256 + Int(low >> 24)]
                    ^ t[3 * 256 + Int(high & 0xFF)] ^ t[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ t[256 + Int((high >> 16) & 0xFF)] ^ t[Int(high >> 24)]
                index += 8
            }
            while index < bytes.count {
                crc = t[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
        }
        return ~crc
    }
}

// MARK: - Tensors

/// The element types of torch's typed storages (`torch.FloatStorage` ...), by storage class name.
private enum TorchDType: String {
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

private struct TorchStorage {
    let dtype: TorchDType
    let key: String
    let count: Int  // in elements
}

private struct TorchTensor {
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
private func halfToFloat(_ half: UInt16) -> Float {
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

// MARK: - Pickle

/// Containers are shared references because pickle fills them after memoizing them (EMPTY_DICT, BINPUT, SETITEMS).
private final class PickleDict { var pairs: [(key: PickleValue, value: PickleValue)] = [] }
private final class PickleList { var items: [PickleValue] = [] }

private enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Int)
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    case global(module: String, name: String)
    case storage(TorchStorage)
    case tensor(TorchTensor)
    /// A tensor this reader cannot build, and why (reported only if it is one of the state dict's values).
    case unreadableTensor(String)
    /// Anything else (an unknown global's result, a big integer): kept only to be skipped.
    case opaque(String)

    var summary: String {
        switch self {
        case .none: "None"
        case .bool(let value): "\(value)"
        case .int(let value): "the integer \(value)"
        case .float(let value): "the float \(value)"
        case .string(let value): "'\(value)'"
        case .bytes(let count): "\(count) bytes"
        case .tuple(let items): "a tuple of \(items.count)"
        case .list(let list): "a list of \(list.items.count)"
        case .dict(let dict): "a dict of \(dict.pairs.count)"
        case .global(let module, let name): "\(module).\(name)"
        case .storage(let storage): "a torch.\(storage.dtype.rawValue)"
        case .tensor: "a tensor"
        case .unreadableTensor: "an unreadable tensor"
        case .opaque(let what): what
        }
    }
}

/// A pickle virtual machine for the opcodes torch state dicts use; globals are interpreted, never imported.
private struct Unpickler {
    let bytes: UnsafeRawBufferPointer
    private var position = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    private func fail(_ what: String, at offset: Int) -> TorchCheckpointProblem {
        TorchCheckpointProblem("data.pkl is malformed: \(what) (at byte \(offset) of the pickle)")
    }

    private mutating func take(_ length: Int, for opcode: Int) throws -> UnsafeRawBufferPointer {
        guard length >= 0, length <= bytes.count - position else {
            throw fail("opcode 0x\(String(bytes[opcode], radix: 16)) needs \(length) bytes past the end of the pickle", at: opcode)
        }
        defer { position += length }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)])
    }

    private mutating func integer<T: FixedWidthInteger>(_: T.Type, for opcode: Int) throws -> T {
        T(littleEndian: try take(MemoryLayout<T>.size, for: opcode).loadUnaligned(as: T.self))
    }

    private mutating func length<T: FixedWidthInteger>(_: T.Type, for opcode: Int) throws -> Int {
        let value = try integer(T.self, for: opcode)
        guard let length = Int(exactly: value), length >= 0 else { throw fail("length \(value) is out of range", at: opcode) }
        return length
    }

    private mutating func line(for opcode: Int) throws -> String {
        let start = position
        while position < bytes.count, bytes[position] != UInt8(ascii: "\n") { position += 1 }
        guard position < bytes.count else { throw fail("GLOBAL's name is not terminated", at: opcode) }
        defer { position += 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    private mutating func pop(at opcode: Int) throws -> PickleValue {
        guard let value = stack.popLast(), stack.count >= (marks.last ?? 0) else {
            throw fail("opcode 0x\(String(bytes[opcode], radix: 16)) finds the stack empty", at: opcode)
        }
        return value
    }

    /// The values pushed since the last MARK, which is removed.
    private mutating func popToMark(at opcode: Int) throws -> [PickleValue] {
        guard let mark = marks.popLast(), mark <= stack.count else { throw fail("no MARK before opcode 0x\(String(bytes[opcode], radix: 16))", at: opcode) }
        defer { stack.removeSubrange(mark...) }
        return Array(stack[mark...])
    }

    private func top(at opcode: Int) throws -> PickleValue {
        guard let value = stack.last, stack.count > (marks.last ?? 0) else {
            throw fail("opcode 0x\(String(bytes[opcode], radix: 16)) finds the stack empty", at: opcode)
        }
        return value
    }

    private func string(_ buffer: UnsafeRawBufferPointer) -> PickleValue { .string(String(decoding: buffer, as: UTF8.self)) }

    mutating func load() throws -> PickleValue {
        while position < bytes.count {
            let start = position
            let opcode = bytes[position]
            position += 1
            switch opcode {
            case 0x80:  // PROTO
                let version = try integer(UInt8.self, for: start)
                guard version <= 5 else { throw fail("pickle protocol \(version) is newer than 5", at: start) }
            case 0x95:  // FRAME: a length hint only
                _ = try integer(UInt64.self, for: start)
            case UInt8(ascii: "."):  // STOP
                return try pop(at: start)
            case UInt8(ascii: "}"): stack.append(.dict(PickleDict()))  // EMPTY_DICT
            case UInt8(ascii: "]"): stack.append(.list(PickleList()))  // EMPTY_LIST
            case UInt8(ascii: ")"): stack.append(.tuple([]))  // EMPTY_TUPLE
            case UInt8(ascii: "("): marks.append(stack.count)  // MARK
            case UInt8(ascii: "0"): _ = try pop(at: start)  // POP
            case UInt8(ascii: "1"): _ = try popToMark(at: start)  // POP_MARK
            case UInt8(ascii: "2"): stack.append(try top(at: start))  // DUP
            case UInt8(ascii: "X"): stack.append(string(try take(try length(UInt32.self, for: start), for: start)))  // BINUNICODE
            case 0x8C: stack.append(string(try take(try length(UInt8.self, for: start), for: start)))  // SHORT_BINUNICODE
            case 0x8D: stack.append(string(try take(try length(UInt64.self, for: start), for: start)))  // BINUNICODE8
            case UInt8(ascii: "U"): stack.append(string(try take(try length(UInt8.self, for: start), for: start)))  // SHORT_BINSTRING
            case UInt8(ascii: "T"): stack.append(string(try take(try length(Int32.self, for: start), for: start)))  // BINSTRING
            case UInt8(ascii: "C"): stack.append(.bytes(try take(try length(UInt8.self, for: start), for: start).count))  // SHORT_BINBYTES
            case UInt8(ascii: "B"): stack.append(.bytes(try take(try length(UInt32.self, for: start), for: start).count))  // BINBYTES
            case 0x8E: stack.append(.bytes(try take(try length(UInt64.self, for: start), for: start).count))  // BINBYTES8
            case UInt8(ascii: "J"): stack.append(.int(Int(try integer(Int32.self, for: start))))  // BININT
            case UInt8(ascii: "K"): stack.append(.int(Int(try integer(UInt8.self, for: start))))  // BININT1
            case UInt8(ascii: "M"): stack.append(.int(Int(try integer(UInt16.self, for: start))))  // BININT2
            case 0x8A, 0x8B:  // LONG1, LONG4: little-endian two's complement of the given length
                let count = opcode == 0x8A ? try length(UInt8.self, for: start) : try length(Int32.self, for: start)
                let digits = try take(count, for: start)
                if count > 8 {
                    stack.append(.opaque("a \(count)-byte integer"))
                } else {
                    var value: UInt64 = 0
                    for (index, byte) in digits.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
                    if count > 0, count < 8, digits[count - 1] & 0x80 != 0 { value |= ~0 << (8 * UInt64(count)) }  // sign-extend
                    stack.append(.int(Int(Int64(bitPattern: value))))
                }
            case UInt8(ascii: "G"):  // BINFLOAT: big-endian
                stack.append(.float(Double(bitPattern: UInt64(bigEndian: try take(8, for: start).loadUnaligned(as: UInt64.self)))))
            case 0x88: stack.append(.bool(true))  // NEWTRUE
            case 0x89: stack.append(.bool(false))  // NEWFALSE
            case UInt8(ascii: "N"): stack.append(.none)  // NONE
            case UInt8(ascii: "t"): stack.append(.tuple(try popToMark(at: start)))  // TUPLE
            case 0x85, 0x86, 0x87:  // TUPLE1, TUPLE2, TUPLE3
                var items: [PickleValue] = []
                for _ in 0..<Int(opcode - 0x84) { items.insert(try pop(at: start), at: 0) }
                stack.append(.tuple(items))
            case UInt8(ascii: "l"):  // LIST
                let list = PickleList()
                list.items = try popToMark(at: start)
                stack.append(.list(list))
            case UInt8(ascii: "d"):  // DICT
                let dict = PickleDict()
                dict.pairs = try pairs(try popToMark(at: start), at: start)
                stack.append(.dict(dict))
            case UInt8(ascii: "q"): memo[Int(try integer(UInt8.self, for: start))] = try top(at: start)  // BINPUT
            case UInt8(ascii: "r"): memo[Int(try integer(UInt32.self, for: start))] = try top(at: start)  // LONG_BINPUT
            case 0x94: memo[memo.count] = try top(at: start)  // MEMOIZE
            case UInt8(ascii: "h"), UInt8(ascii: "j"):  // BINGET, LONG_BINGET
                let index = opcode == UInt8(ascii: "h") ? Int(try integer(UInt8.self, for: start)) : Int(try integer(UInt32.self, for: start))
                guard let value = memo[index] else { throw fail("memo entry \(index) is fetched before it is stored", at: start) }
                stack.append(value)
            case UInt8(ascii: "c"):  // GLOBAL
                let module = try line(for: start)
                stack.append(.global(module: module, name: try line(for: start)))
            case 0x93:  // STACK_GLOBAL
                let name = try pop(at: start), module = try pop(at: start)
                guard case .string(let moduleName) = module, case .string(let globalName) = name else {
                    throw fail("STACK_GLOBAL needs two strings", at: start)
                }
                stack.append(.global(module: moduleName, name: globalName))
            case UInt8(ascii: "R"):  // REDUCE
                let arguments = try pop(at: start), callable = try pop(at: start)
                guard case .tuple(let items) = arguments else { throw fail("REDUCE's arguments are \(arguments.summary), not a tuple", at: start) }
                stack.append(Self.call(callable, items))
            case 0x81, 0x92:  // NEWOBJ, NEWOBJ_EX: cls.__new__(cls, *args)
                if opcode == 0x92 { _ = try pop(at: start) }  // kwargs
                _ = try pop(at: start)
                let cls = try pop(at: start)
                if case .global("collections", "OrderedDict") = cls { stack.append(.dict(PickleDict())) } else { stack.append(.opaque("an instance of \(cls.summary)")) }
            case UInt8(ascii: "b"):  // BUILD: object state (an OrderedDict's `_metadata`): not needed
                _ = try pop(at: start)
                _ = try top(at: start)
            case UInt8(ascii: "s"):  // SETITEM
                let value = try pop(at: start), key = try pop(at: start)
                if case .dict(let dict) = try top(at: start) { dict.pairs.append((key, value)) }
            case UInt8(ascii: "u"):  // SETITEMS
                let items = try popToMark(at: start)
                if case .dict(let dict) = try top(at: start) { dict.pairs.append(contentsOf: try pairs(items, at: start)) }
            case UInt8(ascii: "a"):  // APPEND
                let value = try pop(at: start)
                if case .list(let list) = try top(at: start) { list.items.append(value) }
            case UInt8(ascii: "e"):  // APPENDS
                let items = try popToMark(at: start)
                if case .list(let list) = try top(at: start) { list.items.append(contentsOf: items) }
            case UInt8(ascii: "Q"):  // BINPERSID: torch's storage references
                stack.append(Self.persistentLoad(try pop(at: start)))
            default:
                throw fail("opcode 0x\(String(opcode, radix: 16)) is not one torch state dicts use", at: start)
            }
        }
        throw fail("the pickle ends without STOP", at: position)
    }

    private func pairs(_ items: [PickleValue], at opcode: Int) throws -> [(key: PickleValue, value: PickleValue)] {
        guard items.count.isMultiple(of: 2) else { throw fail("SETITEMS has an odd number of values", at: opcode) }
        return stride(from: 0, to: items.count, by: 2).map { (items[$0], items[$0 + 1]) }
    }

    /// `('storage', torch.FloatStorage, key, location, numel)`, as torch.save's persistent_id writes.
    private static func persistentLoad(_ id: PickleValue) -> PickleValue {
        guard case .tuple(let fields) = id, fields.count >= 5, case .string("storage") = fields[0] else {
            return .opaque("the persistent object \(id.summary)")
        }
        guard case .global(let module, let name) = fields[1], module == "torch", let dtype = TorchDType(rawValue: name) else {
            return .opaque(fields[1].summary)
        }
        guard case .string(let key) = fields[2], case .int(let count) = fields[4], count >= 0 else {
            return .opaque("a malformed storage reference")
        }
        return .storage(TorchStorage(dtype: dtype, key: key, count: count))
    }

    /// The globals a state dict calls, evaluated without Python; all others give an opaque value.
    private static func call(_ callable: PickleValue, _ arguments: [PickleValue]) -> PickleValue {
        guard case .global(let module, let name) = callable else { return .opaque("the result of calling \(callable.summary)") }
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"):
            let dict = PickleDict()
            // OrderedDict([(key, value), ...]) is possible; torch passes () and fills it with SETITEMS.
            if case .list(let list)? = arguments.first {
                for item in list.items { if case .tuple(let pair) = item, pair.count == 2 { dict.pairs.append((pair[0], pair[1])) } }
            }
            return .dict(dict)
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            return rebuildTensor(arguments)
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            guard let data = arguments.first else { return .unreadableTensor("_rebuild_parameter has no arguments") }
            switch data {
            case .tensor, .unreadableTensor: return data
            default: return .unreadableTensor("the parameter wraps \(data.summary), not a tensor")
            }
        case ("torch._tensor", "_rebuild_from_type_v2"), ("torch._tensor", "_rebuild_from_type"):
            // A tensor subclass: (func, type, args, state); the data is what func builds from args.
            guard arguments.count >= 3, case .tuple(let inner) = arguments[2] else { return .unreadableTensor("\(name) has malformed arguments") }
            return call(arguments[0], inner)
        case ("torch", "Size"):
            return arguments.first ?? .tuple([])
        case ("torch._utils", "_rebuild_tensor_v3"):
            let dtype = arguments.count > 6 ? arguments[6].summary : "an unknown dtype"
            return .unreadableTensor("its dtype \(dtype) is stored as an untyped storage (torch._utils._rebuild_tensor_v3), which this reader does not support; it reads float32/16/64, bfloat16, int64/32/16/8, uint8 and bool")
        default:
            if module.hasPrefix("torch"), name.hasPrefix("_rebuild") {
                return .unreadableTensor("it is rebuilt by \(module).\(name) (a quantized, sparse, nested, meta or device-specific tensor), which this reader does not support")
            }
            return .opaque("the result of \(module).\(name)")
        }
    }

    /// `_rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])`.
    private static func rebuildTensor(_ arguments: [PickleValue]) -> PickleValue {
        guard arguments.count >= 4 else { return .unreadableTensor("_rebuild_tensor_v2 has \(arguments.count) arguments instead of at least 4") }
        guard case .storage(let storage) = arguments[0] else {
            return .unreadableTensor("its storage is \(arguments[0].summary); this reader reads torch's Float, Half, BFloat16, Double, Long, Int, Short, Char, Byte and Bool storages")
        }
        guard case .int(let offset) = arguments[1], let shape = integers(arguments[2]), let strides = integers(arguments[3]) else {
            return .unreadableTensor("its storage offset, size or stride is malformed")
        }
        return .tensor(TorchTensor(storage: storage, offset: offset, shape: shape, strides: strides))
    }

    private static func integers(_ value: PickleValue) -> [Int]? {
        guard case .tuple(let items) = value else { return nil }
        var result: [Int] = []
        for item in items {
            guard case .int(let number) = item else { return nil }
            result.append(number)
        }
        return result
    }
}
