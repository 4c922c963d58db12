import Foundation
import Testing

/// The fixture folder must hold PyTorch fixtures, and every one of them must be of a schema some test reads:
/// a file that no test checks would pass silently.
@Test func fixtureFolderHoldsOnlyCheckedFixtures() throws {
    let all = TorchFixture.all(schemas: Set(TorchFixture.knownSchemas))
    #expect(!all.isEmpty, "no PyTorch fixtures found in \(TorchFixture.directory.path)")
    let files = try FileManager.default.contentsOfDirectory(atPath: TorchFixture.directory.path).filter { $0.hasSuffix(".json") }
    #expect(files.count == all.count, "fixtures of unknown schema in \(TorchFixture.directory.path): \(Set(files).subtracting(all.map(\.name)).sorted())")
}

