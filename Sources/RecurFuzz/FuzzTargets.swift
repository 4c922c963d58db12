import CLibFuzzer
import Foundation
import Recur
import RecurText

// libFuzzer entry points for the readers of files users hand to Recur (scripts/fuzz.sh builds and runs them:
// `swift build -Xswiftc -sanitize=fuzzer`). One binary, the reader chosen by RECUR_FUZZ_TARGET. A reader may
// throw, which is how it must refuse bad input; any trap or crash is a finding.

/// The readers under test, each given one input's bytes.
enum FuzzTarget: String, CaseIterable {
    case csv, tsv, jsonl, vocabulary, vectors, safetensors, config

    func run(_ bytes: Data) {
        switch self {
        case .csv, .tsv:
            let file = Scratch.file("input.\(rawValue)", bytes)
            _ = try? DelimitedReader().read(path: file.path)
            _ = try? DelimitedReader(options: ReadOptions(skipBadRows: true)).read(path: file.path)
        case .jsonl:
            let file = Scratch.file("input.jsonl", bytes)
            _ = try? JSONLinesReader().read(path: file.path)
            _ = try? JSONLinesReader(options: ReadOptions(skipBadRows: true)).read(path: file.path)
        case .vocabulary:
            _ = try? Vocabulary.load(from: Scratch.file("vocab.txt", bytes).path)
        case .vectors:
            let file = Scratch.file("vectors.vec", bytes)
            _ = try? WordVectors.load(path: file.path, for: Scratch.vocabulary)
            _ = try? WordVectors.load(path: file.path, for: Scratch.vocabulary, encoding: .latin1)
        case .safetensors:
            _ = try? SafeTensors.decode(bytes, source: "input.safetensors")
        case .config:
            _ = Scratch.file("run/config.json", bytes)
            let folder = RunFolder(Scratch.folder.appending(path: "run").path)
            _ = try? folder.readConfig()
            _ = try? folder.readLanguageModelConfig()
            _ = try? BertConfig.read(Scratch.folder.appending(path: "run/config.json"))
        }
    }
}

/// Inputs go through the real file-reading paths, from a per-process folder in memory (/dev/shm) when there is one.
enum Scratch {
    static let folder: URL = {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? URL(fileURLWithPath: "/dev/shm") : FileManager.default.temporaryDirectory
        let url = base.appending(path: "recur-fuzz-\(getpid())")
        try? FileManager.default.createDirectory(at: url.appending(path: "run"), withIntermediateDirectories: true)
        return url
    }()

    static let vocabulary = try! Vocabulary(tokens: ["<pad>", "<unk>", "good", "bad", "film", "的", "好"])

    static func file(_ name: String, _ bytes: Data) -> URL {
        let url = folder.appending(path: name)
        try? bytes.write(to: url)
        return url
    }
}

let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["RECUR_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        FileHandle.standardError.write(Data("set RECUR_FUZZ_TARGET to one of: \(FuzzTarget.allCases.map(\.rawValue).joined(separator: ", "))\n".utf8))
        exit(2)
    }
    return target
}()

/// The process's main (SwiftPM names it so): libFuzzer's driver, fed by `target`.
@_cdecl("RecurFuzz_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    var count = argc
    var arguments: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { data, size in
        target.run(data.map { Data(bytes: $0, count: size) } ?? Data())
        return 0
    }
}
