import Foundation
import RecurCore

/// Where kernel sources come from: the `Kernels/*.cl` files embedded at build time, or, when
/// `RECUR_KERNELS_DIR` names a folder, the `.cl` files in it (to iterate on kernels without rebuilding).
struct OpenCLKernelSource {
    /// A folder that overrides the embedded sources, or nil.
    let directory: URL?

    static let environmentVariable = "RECUR_KERNELS_DIR"

    static func fromEnvironment() -> OpenCLKernelSource {
        let path = ProcessInfo.processInfo.environment[environmentVariable].flatMap { $0.isEmpty ? nil : $0 }
        return OpenCLKernelSource(directory: path.map { URL(fileURLWithPath: $0, isDirectory: true) })
    }

    /// The source of `program` (a file name without `.cl`, e.g. "gemm").
    func source(of program: String) throws -> String {
        if let directory {
            let file = directory.appendingPathComponent(program + ".cl")
            do {
                return try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw BackendError.invalidArgument(
                    "cannot read kernel source \(file.path) (\(Self.environmentVariable) is set): \(error.localizedDescription)")
            }
        }
        guard let source = EmbeddedKernels.sources[program] else {
            throw BackendError.invalidArgument("no embedded kernel source named '\(program).cl'")
        }
        return source
    }
}
