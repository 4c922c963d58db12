import COpenCL
import Foundation
import RecurCore

/// Builds OpenCL programs, keeping their binaries on disk so that a second start does not compile again.
///
/// Entries live in `$XDG_CACHE_HOME/recur/kernels` (default `~/.cache/recur/kernels`), one file per program,
/// named by a hash of everything that makes a binary valid: format version, platform, device, driver version,
/// build options, program name and source. An entry that is truncated, fails its checksum or that the driver
/// will not load is deleted and rebuilt from source, never trusted. `RECUR_KERNEL_CACHE=0` disables the cache.
final class OpenCLProgramCache {
    /// Bump when the file layout or the key changes, so old entries are simply never found again.
    static let formatVersion = "recur-program-cache-1"
    private static let magic = Array("RECURCL\u{1}".utf8)

    /// Where entries go; nil when caching is disabled.
    let directory: URL?

    /// What happened so far, for tests and diagnostics.
    struct Statistics: Equatable {
        var loadedFromDisk = 0
        var builtFromSource = 0
        var discardedEntries = 0
    }
    private(set) var statistics = Statistics()

    init(directory: URL?) {
        self.directory = directory
    }

    /// The directory the environment asks for, or nil when `RECUR_KERNEL_CACHE=0`.
    static func directoryFromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if environment["RECUR_KERNEL_CACHE"] == "0" { return nil }
        let base: URL
        if let xdg = environment["XDG_CACHE_HOME"], !xdg.isEmpty {
            base = URL(fileURLWithPath: xdg, isDirectory: true)
        } else {
            base = FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache", isDirectory: true)
        }
        return base.appendingPathComponent("recur/kernels", isDirectory: true)
    }

    /// The cache file for one program build, or nil when caching is disabled.
    func entryURL(program: String, source: String, options: String, device: OpenCLDeviceInfo) -> URL? {
        guard let directory else { return nil }
        var hasher = FNV1a64()
        for part in [Self.formatVersion, device.platformName, device.name, device.driverVersion, options, program, source] {
            hasher.combine(part)
        }
        return directory.appendingPathComponent("\(program)-\(hasher.hex).bin")
    }

    /// A built program: from the cache when a valid entry exists, otherwise compiled from `source` and stored.
    func program(
        named program: String, source: String, options: String, context: OpenCLContext, device: OpenCLDeviceInfo
    ) throws -> cl_program {
        let entry = entryURL(program: program, source: source, options: options, device: device)
        if let entry, FileManager.default.fileExists(atPath: entry.path) {
            if let built = loadEntry(entry, options: options, context: context) {
                statistics.loadedFromDisk += 1
                return built
            }
            statistics.discardedEntries += 1
            try? FileManager.default.removeItem(at: entry)
        }
        let built = try buildFromSource(program: program, source: source, options: options, context: context, device: device)
        statistics.builtFromSource += 1
        if let entry, let binary = try? Self.binary(of: built) {
            store(binary, at: entry)
        }
        return built
    }

    // MARK: Building

    private func buildFromSource(
        program name: String, source: String, options: String, context: OpenCLContext, device: OpenCLDeviceInfo
    ) throws -> cl_program {
        var status: cl_int = CL_SUCCESS
        let created: cl_program? = source.withCString { text in
            var sources: [UnsafePointer<CChar>?] = [text]
            var lengths = [strlen(text)]
            return clCreateProgramWithSource(context.context, 1, &sources, &lengths, &status)
        }
        guard let program = created, status == CL_SUCCESS else {
            throw BackendError.openCL("clCreateProgramWithSource(\(name).cl)", status)
        }
        var deviceList: cl_device_id? = context.device
        let buildStatus = clBuildProgram(program, 1, &deviceList, options, nil, nil)
        if buildStatus != CL_SUCCESS {
            let log = Self.buildLog(of: program, device: context.device)
            clReleaseProgram(program)
            if buildStatus == CL_BUILD_PROGRAM_FAILURE || buildStatus == CL_INVALID_BUILD_OPTIONS || !log.isEmpty {
                throw BackendError.buildFailed(
                    program: "\(name).cl", device: device.name,
                    log: log.isEmpty ? "(\(openCLErrorName(buildStatus)), no build log; options: \(options))" : log)
            }
            throw BackendError.openCL("clBuildProgram(\(name).cl)", buildStatus)
        }
        return program
    }

    static func buildLog(of program: cl_program, device: cl_device_id) -> String {
        var size = 0
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size) == CL_SUCCESS,
              size > 0
        else { return "" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil) == CL_SUCCESS
        else { return "" }
        let log = String(decoding: bytes.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return log.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func binary(of program: cl_program) throws -> [UInt8] {
        var size = 0
        try checkCL(clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARY_SIZES), MemoryLayout<Int>.size, &size, nil),
                    "clGetProgramInfo(CL_PROGRAM_BINARY_SIZES)")
        guard size > 0 else { throw BackendError.invalidArgument("the driver returned an empty program binary") }
        var binary = [UInt8](repeating: 0, count: size)
        try binary.withUnsafeMutableBufferPointer { buffer in
            var pointers: [UnsafeMutablePointer<UInt8>?] = [buffer.baseAddress]
            try checkCL(
                clGetProgramInfo(program, cl_program_info(CL_PROGRAM_BINARIES),
                                 MemoryLayout<UnsafeMutablePointer<UInt8>?>.size, &pointers, nil),
                "clGetProgramInfo(CL_PROGRAM_BINARIES)")
        }
        return binary
    }

    // MARK: Entries on disk

    /// A program from a cache entry, or nil when the entry is damaged or the driver refuses it.
    private func loadEntry(_ url: URL, options: String, context: OpenCLContext) -> cl_program? {
        guard let data = try? Data(contentsOf: url), let binary = Self.decodeEntry([UInt8](data)) else { return nil }
        var status: cl_int = CL_SUCCESS
        var binaryStatus: cl_int = CL_SUCCESS
        var deviceList: cl_device_id? = context.device
        let created: cl_program? = binary.withUnsafeBufferPointer { buffer in
            var pointers: [UnsafePointer<UInt8>?] = [buffer.baseAddress]
            var lengths = [buffer.count]
            return clCreateProgramWithBinary(context.context, 1, &deviceList, &lengths, &pointers, &binaryStatus, &status)
        }
        guard let program = created else { return nil }
        guard status == CL_SUCCESS, binaryStatus == CL_SUCCESS,
              clBuildProgram(program, 1, &deviceList, options, nil, nil) == CL_SUCCESS
        else {
            clReleaseProgram(program)
            return nil
        }
        return program
    }

    /// Entry layout: magic, payload length (UInt64 LE), FNV-1a of the payload (UInt64 LE), payload.
    static func encodeEntry(_ binary: [UInt8]) -> [UInt8] {
        var bytes = magic
        withUnsafeBytes(of: UInt64(binary.count).littleEndian) { bytes += $0 }
        withUnsafeBytes(of: FNV1a64.hash(binary).littleEndian) { bytes += $0 }
        return bytes + binary
    }

    static func decodeEntry(_ bytes: [UInt8]) -> [UInt8]? {
        let headerSize = magic.count + 16
        guard bytes.count > headerSize, Array(bytes[0..<magic.count]) == magic else { return nil }
        func word(at offset: Int) -> UInt64 {
            bytes[offset..<offset + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }
        let length = word(at: magic.count)
        let checksum = word(at: magic.count + 8)
        guard length == UInt64(bytes.count - headerSize) else { return nil }
        let binary = Array(bytes[headerSize...])
        return FNV1a64.hash(binary) == checksum ? binary : nil
    }

    /// Writes through a temporary file and a rename, so a concurrent reader never sees half an entry.
    /// A failure to write only costs a rebuild next time.
    private func store(_ binary: [UInt8], at url: URL) {
        let fileManager = FileManager.default
        do {
            try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            let temporary = url.deletingLastPathComponent()
                .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).\(UInt32.random(in: 0...UInt32.max)).tmp")
            try Data(Self.encodeEntry(binary)).write(to: temporary)
            if rename(temporary.path, url.path) != 0 {
                try? fileManager.removeItem(at: temporary)
            }
        } catch {
            return
        }
    }
}
