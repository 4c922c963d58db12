import Foundation

/// A PyTorch golden-value file from `fixtures/torch` (schema in its README): JSON whose tensors are
/// `{"shape": [...], "data": [...]}` with float32 values printed exactly.
struct TorchFixture {
    let url: URL
    let json: [String: Any]

    var name: String { url.lastPathComponent }
    var schema: String { json["schema"] as? String ?? "" }

    init(url: URL) throws {
        self.url = url
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url))
        guard let dictionary = object as? [String: Any] else { throw FixtureError.malformed(url.path, "top level is not an object") }
        self.json = dictionary
    }

    /// The fixture folder: `$RECUR_TORCH_FIXTURES`, else `../shared/fixtures/torch` beside the project, else the
    /// copy of PyTorch's values kept in this test target (a fresh clone has no `../shared`).
    static var directory: URL {
        if let path = ProcessInfo.processInfo.environment["RECUR_TORCH_FIXTURES"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let projectRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let shared = projectRoot.deletingLastPathComponent().appending(path: "shared/fixtures/torch")
        if FileManager.default.fileExists(atPath: shared.path) { return shared }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().appending(path: "Fixtures/torch")
    }

    /// The schemas the tests understand.
    static let knownSchemas = ["rnn-fixture/1", "rnn-packed-fixture/1", "rnn-classifier-fixture/1", "rnn-classifier-pooling-fixture/1"]

    /// Every `*.json` fixture in `directory` with one of `schemas`.
    static func all(schemas: Set<String>) -> [TorchFixture] {
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .compactMap { try? TorchFixture(url: $0) }
            .filter { schemas.contains($0.schema) }
    }
}

enum FixtureError: Error, CustomStringConvertible {
    case malformed(String, String)
    var description: String {
        switch self { case let .malformed(file, what): "\(file): \(what)" }
    }
}

/// A tensor read from a fixture.
struct FixtureTensor {
    let shape: [Int]
    let values: [Float]
    var ints: [Int32] { values.map { Int32($0) } }

    init(shape: [Int], values: [Float]) {
        self.shape = shape
        self.values = values
    }

    init(_ object: Any?, _ what: String) throws {
        guard let dictionary = object as? [String: Any],
              let shape = dictionary["shape"] as? [Int],
              let data = dictionary["data"] as? [Any]
        else { throw FixtureError.malformed(what, "not a {shape, data} tensor") }
        self.shape = shape
        // Values are exact float32 decimals: Double -> Float recovers the bits.
        self.values = try data.map {
            guard let number = $0 as? NSNumber else { throw FixtureError.malformed(what, "non-numeric data") }
            return Float(number.doubleValue)
        }
        guard values.count == shape.reduce(1, *) else { throw FixtureError.malformed(what, "data does not fill shape \(shape)") }
    }
}

extension Dictionary where Key == String, Value == Any {
    func tensor(_ key: String) throws -> FixtureTensor { try FixtureTensor(self[key], key) }
    func object(_ key: String) throws -> [String: Any] {
        guard let value = self[key] as? [String: Any] else { throw FixtureError.malformed(key, "missing object") }
        return value
    }
    func number(_ key: String) throws -> Double {
        guard let value = self[key] as? NSNumber else { throw FixtureError.malformed(key, "missing number") }
        return value.doubleValue
    }
}

/// Batch-first `[B, T, F]` to time-major `[T, B, F]` (and back: the same permutation swaps the roles).
func swapBatchAndTime(_ values: [Float], first: Int, second: Int, features: Int) -> [Float] {
    var result = [Float](repeating: 0, count: values.count)
    for i in 0..<first {
        for j in 0..<second {
            for f in 0..<features {
                result[(j * first + i) * features + f] = values[(i * second + j) * features + f]
            }
        }
    }
    return result
}
