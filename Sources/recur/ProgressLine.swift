import Foundation
import Recur

/// A single self-rewriting status line on a terminal. When stderr is not a terminal (a log file, CI) the
/// status is written as an ordinary line once a minute, so a long run's log still shows it moving.
final class ProgressLine {
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private var lastDraw: UInt64 = DispatchTime.now().uptimeNanoseconds
    private var visible = false

    /// Redraws at most ten times a second on a terminal, once a minute in a log (always when `force`).
    func update(_ text: String, force: Bool = false) {
        let now = DispatchTime.now().uptimeNanoseconds
        guard force || now - lastDraw > (isTerminal ? 100_000_000 : 60_000_000_000) else { return }
        lastDraw = now
        if isTerminal {
            FileHandle.standardError.write(Data(("\r\u{1B}[2K" + text).utf8))
            visible = true
        } else {
            FileHandle.standardError.write(Data((text + "\n").utf8))
        }
    }

    /// Clears the line so that ordinary output can follow.
    func clear() {
        guard isTerminal, visible else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8))
        visible = false
    }
}

extension ProgressLine {
    /// "test  3200/25000 texts  14021 tok/s  ETA 1m40s"
    func update(_ phase: String, _ p: PredictionProgress) {
        update(String(format: "%@  %d/%d texts  %.0f tok/s", phase, p.texts, p.totalTexts, p.tokensPerSecond)
               + "  ETA " + formatDuration(p.secondsLeft))
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
