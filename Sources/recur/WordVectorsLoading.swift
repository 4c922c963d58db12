import Recur
import RecurCore
import RecurText

/// `--vectors FILE` of `train` and `pretrain`: reads the vectors of the vocabulary's words, reports the
/// coverage and starts the embedding from them.
func loadVectors(_ path: String, into embedding: Embedding, vocabulary: Vocabulary, on backend: Backend) throws {
    let vectors = try WordVectors.load(path: path, for: vocabulary)
    try vectors.check(dimension: embedding.dimension)
    log(vectors.summary)
    try embedding.initialize(from: vectors, on: backend)
}
