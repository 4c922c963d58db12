import Foundation

/// A single self-rewriting status line on a terminal; silent when stderr is not a terminal (logs, CI),
/// where only the per-epoch summaries are printed.
final class ProgressLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDraw: UInt64 = 0
    private var visible = false

    /// Redraws at most ten times a second (and always when `force`).
    func update(_ text: String, force: Bool = false) {
        guard isTerminal else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard force || now - lastDraw > 100_000_000 else { return }
        lastDraw = now
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
        visible = true
    }

    /// Clears the line so that ordinary output can follow.
    func clear() {
        guard isTerminal, visible else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        visible = false
    }
}

/// `1h02m`, `3m07s`, `12s`.
func formatDuration(_ seconds: Double) -> String {
    guard seconds.isFinite, seconds >= 0 else { return "?" }
    let total = Int(seconds.rounded())
    if total >= 3600 { return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60) }
    if total >= 60 { return String(format: "%dm%02ds", total / 60, total % 60) }
    return "\(total)s"
}
