import Logging
import ServiceLifecycle
import UnixSignals

/// Reloads every model when the process gets SIGHUP, the usual "reread your files" signal of a daemon.
struct HangupReloadService: Service {
    let queue: PredictionQueue
    let logger: Logger

    func run() async throws {
        for await _ in await UnixSignalsSequence(trapping: .sighup).cancelOnGracefulShutdown() {
            do {
                let reloaded = try await queue.reload()
                logger.notice("SIGHUP: reloaded \(reloaded.map { "\($0.name) (generation \($0.generation))" }.joined(separator: ", "))")
            } catch {
                logger.error("SIGHUP: \(error)")
            }
        }
    }
}
