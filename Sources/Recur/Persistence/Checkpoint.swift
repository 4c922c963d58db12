import Foundation
import RecurCore
import RecurText

/// A resumable checkpoint in one safetensors file: the latest weights, the optimizer's state tensors
/// (`optimizer.<key>.<parameter>`), any `extra` tensors of the loop's (a language model's carried recurrent
/// state), and the loop's own counters as JSON under the `recur_state` metadata key.
enum Checkpoint {
    static func save<State: Encodable>(_ parameters: [Parameter], optimizer: Optimizer, state: State,
                                       extra loopTensors: [String: Tensor] = [:], to url: URL, on backend: Backend) throws {
        var extra = loopTensors
        for (name, buffers) in optimizer.state {
            for (key, tensor) in buffers { extra["optimizer.\(key).\(name)"] = tensor }
        }
        let stateJSON = String(decoding: try JSONEncoder().encode(state), as: UTF8.self)
        try ModelWeights.save(parameters, extra: extra, metadata: ["recur_state": stateJSON], to: url, on: backend)
    }

    /// Loads weights and optimizer state back and returns the loop's counters and its extra tensors. In a
    /// process group rank 0 reads the file and sends it to the others (their hosts need not see it).
    static func load<State: Decodable>(_ type: State.Type, into parameters: [Parameter], optimizer: Optimizer,
                                       stepCount: (State) -> Int, from url: URL, in group: (any ProcessGroup)? = nil,
                                       on backend: Backend) throws -> (state: State, extra: [String: SafeTensors.Entry]) {
        let missing = RunFolderError(path: url.deletingLastPathComponent().path, problem: "has no checkpoint.safetensors to resume from")
        let decoded: (tensors: [String: SafeTensors.Entry], metadata: [String: String])
        if let group, group.size > 1 {
            var bytes: [UInt8] = []
            var readError: Error?
            if group.isRoot {
                do {
                    guard FileManager.default.fileExists(atPath: url.path) else { throw missing }
                    bytes = [UInt8](try Data(contentsOf: url))
                } catch { readError = error }
            }
            try group.broadcast(&bytes, from: 0)  // empty: rank 0 could not read it
            if let readError { throw readError }
            guard !bytes.isEmpty else {
                throw RunFolderError(path: url.path, problem: "could not be read by rank 0 (its own message says why)")
            }
            decoded = try SafeTensors.decode(Data(bytes), source: url.path)
        } else {
            guard FileManager.default.fileExists(atPath: url.path) else { throw missing }
            decoded = try SafeTensors.read(url)
        }
        let (metadata, rest) = try ModelWeights.load(into: parameters, from: decoded, file: url, on: backend)
        guard let json = metadata["recur_state"], let state = try? JSONDecoder().decode(State.self, from: Data(json.utf8)) else {
            throw RunFolderError(path: url.path, problem: "has no readable training state")
        }
        var optimizerState: [String: [String: Tensor]] = [:]
        var extra: [String: SafeTensors.Entry] = [:]
        for (name, entry) in rest {
            guard name.hasPrefix("optimizer.") else {
                extra[name] = entry
                continue
            }
            let parts = name.dropFirst("optimizer.".count).split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { continue }
            optimizerState[parts[1], default: [:]][parts[0]] = try backend.upload(entry.values, shape: entry.shape)
        }
        optimizer.restore(state: optimizerState, stepCount: stepCount(state))
        return (state, extra)
    }
}

/// `metrics.jsonl`: one JSON object per epoch, the whole history rewritten durably each epoch. Appending
/// would leave a torn last line after a kill, and a resumed run would repeat the epochs after its checkpoint;
/// the history comes from the checkpoint, so the file always matches it.
enum MetricsLog {
    static func write<Metrics: Encodable>(_ history: [Metrics], to url: URL) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var data = Data()
        for metrics in history {
            data.append(try encoder.encode(metrics))
            data.append(0x0A)
        }
        try DurableFile.write(data, to: url)
    }
}
