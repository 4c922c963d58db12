import Foundation

// MARK: - ZIP container

/// The archive's entries (from the central directory) and the state dict's folder inside it.
struct TorchArchive {
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

func hex(_ value: UInt32) -> String { "0x" + String(value, radix: 16) }

/// CRC-32 (ZIP's polynomial), eight bytes per step so that checking a large model costs little.
enum CRC32 {
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
