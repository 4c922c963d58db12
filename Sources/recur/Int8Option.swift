import ArgumentParser

/// `--int8` of predict, eval and serve.
struct Int8Option: ParsableArguments {
    @Flag(help: """
        Int8 weights for the recurrent and linear layers, activations quantized per row as they arrive (as \
        PyTorch's quantize_dynamic); CPU backend; recurrent and bag models.
        """)
    var int8 = false
}
