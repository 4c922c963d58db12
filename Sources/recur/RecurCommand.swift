import ArgumentParser

@main
struct RecurCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Train recurrent sentiment classifiers on OpenCL devices or the CPU.",
        subcommands: [DevicesCommand.self, BenchCommand.self]
    )
}
