import ArgumentParser

@main
struct RecurCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recur",
        abstract: "Train recurrent sentiment classifiers on OpenCL devices or the CPU.",
        subcommands: [TrainCommand.self, PretrainCommand.self, NeighborsCommand.self, GenerateCommand.self, EvalCommand.self, PredictCommand.self, ExplainCommand.self, ExportCommand.self, ServeCommand.self, DevicesCommand.self, BenchCommand.self]
    )
}
