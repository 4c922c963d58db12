import ArgumentParser
import Foundation
import Recur
import RecurCore
import RecurText

/// `recur explain`: which words made the model decide, by integrated gradients or occlusion.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Show which words raised or lowered a prediction (integrated gradients or occlusion).",
        discussion: """
        Each word gets a score: its share of the probability of the predicted class (or of --label). Integrated \
        gradients (the default) integrate the gradient from a baseline of padding to the text; their scores \
        add up to the probability minus the baseline's, which is printed as a check. Occlusion scores how much \
        the probability drops when a word is replaced by padding.
        """)

    @Option(help: "Run folder written by `recur train`.") var model: String
    @Argument(help: "Texts to explain.") var texts: [String] = []
    @Option(help: "A file with one text per line, or - for standard input.") var input: String?
    @Option(help: "ig (integrated gradients) or occlusion.") var method: AttributionMethod = .integratedGradients
    @Option(help: "Integration points for integrated gradients (default: 50, doubled up to 800 until the scores add up to within 1%).")
    var steps: Int?
    @Option(help: "Integration rule: \(IntegrationRule.allCases.map(\.rawValue).joined(separator: ", ")).")
    var integration: IntegrationRule = .gaussLegendre
    @Option(help: "Explain this class instead of the predicted one.") var label: String?
    @Option(help: "Also write an HTML page with the coloured words here.") var html: String?
    @Flag(help: "One JSON object per line instead of coloured text.") var json = false
    @OptionGroup var device: DeviceOption

    func validate() throws {
        if texts.isEmpty && input == nil { throw ValidationError("give texts as arguments, or --input FILE (or - for standard input)") }
        if let steps, steps < 1 { throw ValidationError("--steps must be at least 1") }
    }

    func run() throws {
        let (backend, reason) = try device.makeBackend()
        log("device: \(backend.name) — \(reason)")
        let loaded = try RunFolder(model).loadClassifier(on: backend)
        var explainer = try Explainer(loaded, on: backend)
        explainer.attributor.steps = steps
        explainer.attributor.rule = integration
        let allTexts = try commandTexts(texts, input: input, toDo: "explain")
        let colour = !json && isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
        var explained: [ExplainedText] = []
        for text in allTexts {
            let result: ExplainedText
            do {
                result = try explainer.explain(text, label: label, method: method)
            } catch let error as ExplainError {
                throw CLIError(error.description)
            }
            if json {
                print(try result.jsonLine())
            } else {
                print(result.summary)
                print(AttributionRendering.terminal(result, colour: colour))
            }
            explained.append(result)
        }
        if let html {
            let page = AttributionRendering.html(explained, title: "recur explain: \(RunFolder(model).url.lastPathComponent)")
            do {
                try page.write(toFile: html, atomically: true, encoding: .utf8)
            } catch {
                throw CLIError("cannot write \(html): \(error.localizedDescription)")
            }
            log("wrote \(html)")
        }
    }
}

extension AttributionMethod: ExpressibleByArgument {}
extension IntegrationRule: ExpressibleByArgument {}
