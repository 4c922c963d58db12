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
struct TorchCheckpointProblem: Error {
    let message: String
    init(_ message: String) { self.message = message }
}

// MARK: - Bounds-checked little-endian access

extension UnsafeRawBufferPointer {
    /// The little-endian integer at `offset`, or a problem saying which structure (`what`) runs past the end.
    func littleEndian<T: FixedWidthInteger>(_: T.Type, at offset: Int, _ what: @autoclosure () -> String) throws -> T {
        guard offset >= 0, offset <= count - MemoryLayout<T>.size else {
            throw TorchCheckpointProblem("\(what()) at byte \(offset) runs past the end of the file (\(count) bytes): the file is cut short or damaged")
        }
        return T(littleEndian: loadUnaligned(fromByteOffset: offset, as: T.self))
    }

    /// `length` bytes from `offset`, checked against the buffer's end.
    func slice(_ offset: Int, _ length: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        guard offset >= 0, length >= 0, offset <= count, length <= count - offset else {
            throw TorchCheckpointProblem("\(what()) (\(length) bytes at byte \(offset)) runs past the end of the data (\(count) bytes): the file is cut short or damaged")
        }
        return UnsafeRawBufferPointer(rebasing: self[offset..<(offset + length)])
    }
}
