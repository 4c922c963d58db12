import Foundation
import Recur
import Testing

/// `TorchCheckpoint` against PyTorch itself: `Fixtures/torch_state.bin` is a state dict written by torch.save and
/// `Fixtures/torch_state.json` what torch.load reads back from it (scripts/make_torch_bin_fixture.py): float32,
/// float16 (with a subnormal), bfloat16, float64, int64 and int32 tensors, a transposed (non-contiguous) view, two
/// views of one storage at different offsets, a 0-d tensor, an empty one, an nn.Parameter and a non-tensor entry.
struct TorchCheckpointTests {
    private struct Expected: Decodable {
        struct Tensor: Decodable {
            let shape: [Int]
            let values: [Float]
        }

        let tensors: [String: Tensor]
        let skipped: [String]
    }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures")
    static let checkpoint = fixtures.appending(path: "torch_state.bin")

    /// Writes `data` to a fresh temporary file, runs `body` on it and removes the file.
    private func withTemporaryFile(_ data: Data, _ body: (URL) throws -> Void) throws {
        let url = FileManager.default.temporaryDirectory.appending(path: "recur-torch-\(UUID().uuidString).bin")
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        try body(url)
    }

    /// Reading `url` throws a TorchCheckpointError that names the file; returns its problem.
    @discardableResult
    private func problem(reading url: URL) -> String? {
        let error = #expect(throws: TorchCheckpointError.self) { try TorchCheckpoint.read(url) }
        #expect(error?.file == url.path)
        #expect(error?.description.contains(url.path) == true)
        return error?.problem
    }

    @Test func readsTheFixtureExactlyAsTorchDoes() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: Self.fixtures.appending(path: "torch_state.json")))
        let tensors = try TorchCheckpoint.read(Self.checkpoint)
        #expect(tensors.keys.sorted() == expected.tensors.keys.sorted())
        for skipped in expected.skipped { #expect(tensors[skipped] == nil) }
        for (name, reference) in expected.tensors {
            let tensor = try #require(tensors[name], "\(name) is missing")
            #expect(tensor.shape == reference.shape, "\(name)")
            #expect(tensor.values == reference.values, "\(name)")
        }
        // The cases the fixture exists for, spelled out.
        #expect(tensors["transposed"]?.values == [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11])
        #expect(tensors["half.weight"]?.values.contains(0x1p-24) == true)
        #expect(tensors["scalar"]?.shape == [])
        #expect(tensors["embeddings.position_ids"]?.shape == [1, 5])
    }

    @Test func truncatedFileThrows() throws {
        let data = try Data(contentsOf: Self.checkpoint)
        for length in [0, 10, data.count / 2, data.count - 1] {
            try withTemporaryFile(data.prefix(length)) { problem(reading: $0) }
        }
    }

    @Test func randomBytesThrow() throws {
        var generator = SystemRandomNumberGenerator()
        let noise = Data((0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        try withTemporaryFile(noise) { problem(reading: $0) }
    }

    @Test func damagedStorageFailsItsChecksum() throws {
        var data = try Data(contentsOf: Self.checkpoint)
        // dense.weight's first element, 0.5 as little-endian float32.
        let range = try #require(data.range(of: Data([0x00, 0x00, 0x00, 0x3F])))
        data[range.lowerBound] ^= 1
        try withTemporaryFile(data) { #expect(problem(reading: $0)?.contains("CRC-32") == true) }
    }

    @Test func compressedEntriesAreRefused() throws {
        var data = try Data(contentsOf: Self.checkpoint)
        // Mark every central directory entry as deflated (method 8 at byte 10 of each), as a re-zipping tool would.
        let signature = Data([0x50, 0x4B, 0x01, 0x02])
        var searchFrom = data.startIndex
        while let found = data.range(of: signature, in: searchFrom..<data.endIndex) {
            data[found.lowerBound + 10] = 8
            searchFrom = found.upperBound
        }
        try withTemporaryFile(data) { #expect(problem(reading: $0)?.contains("compressed") == true) }
    }

    @Test func legacyFormatIsNamed() throws {
        // torch.save's pre-1.6 format: a pickle that opens with its magic number as a 10-byte LONG1.
        let legacy = Data([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8, 0x50, 0x19, 0x2E])
        try withTemporaryFile(legacy) { #expect(problem(reading: $0)?.contains("legacy") == true) }
    }

    @Test func missingFileThrows() {
        problem(reading: FileManager.default.temporaryDirectory.appending(path: "recur-torch-missing-\(UUID().uuidString).bin"))
    }
}
