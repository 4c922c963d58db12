import Foundation
import RecurCore

/// Moving a model's parameters between the device and safetensors files, by PyTorch name.
public enum ModelWeights {
    /// Downloads every parameter (plus `extra` tensors, e.g. optimizer state) and writes one safetensors file.
    public static func save(_ parameters: [Parameter], extra: [String: Tensor] = [:], metadata: [String: String],
                            to url: URL, on backend: Backend) throws {
        var entries: [String: SafeTensors.Entry] = [:]
        for parameter in parameters {
            entries[parameter.name] = SafeTensors.Entry(shape: parameter.shape, values: try backend.download(parameter.value))
        }
        for (name, tensor) in extra {
            entries[name] = SafeTensors.Entry(shape: tensor.shape, values: try backend.download(tensor))
        }
        try SafeTensors.write(entries, metadata: metadata, to: url)
    }

    /// Uploads the file's tensors into `parameters`; every parameter must be present with its exact shape.
    /// Returns the file's metadata and the tensors that are not parameters (optimizer state).
    @discardableResult
    public static func load(into parameters: [Parameter], from url: URL,
                            on backend: Backend) throws -> (metadata: [String: String], rest: [String: SafeTensors.Entry]) {
        try load(into: parameters, from: try SafeTensors.read(url), file: url, on: backend)
    }

    /// As `load(into:from:on:)`, from a file already decoded (`file` names it in errors).
    public static func load(into parameters: [Parameter], from decoded: (tensors: [String: SafeTensors.Entry], metadata: [String: String]),
                            file url: URL, on backend: Backend) throws -> (metadata: [String: String], rest: [String: SafeTensors.Entry]) {
        var (tensors, metadata) = decoded
        for parameter in parameters {
            let entry = try finiteEntry(parameter.name, in: tensors, file: url)
            guard entry.shape == parameter.shape else {
                throw SafeTensorsError(file: url.path, problem: "tensor '\(parameter.name)' has shape \(entry.shape), the model expects \(parameter.shape)")
            }
            try backend.write(entry.values, to: parameter.value)
            tensors[parameter.name] = nil
        }
        return (metadata, tensors)
    }

    /// The file's tensor `name`, present and free of NaN and infinities (the caller checks its shape).
    static func finiteEntry(_ name: String, in tensors: [String: SafeTensors.Entry], file url: URL) throws -> SafeTensors.Entry {
        guard let entry = tensors[name] else {
            throw SafeTensorsError(file: url.path, problem: "tensor '\(name)' is missing")
        }
        guard entry.values.allSatisfy(\.isFinite) else {
            throw SafeTensorsError(file: url.path, problem: "tensor '\(name)' holds NaN or infinite values")
        }
        return entry
    }
}
