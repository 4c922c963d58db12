import Foundation
import Recur
import RecurCore
import RecurText
import Testing

/// Integrated gradients and occlusion (`TokenAttributor`): completeness on a classifier trained on real
/// reviews, occlusion against brute force, CPU against OpenCL, Transformers, and the pieces around them
/// (integration rules against numpy, word grouping, HTML escaping). Captum's own numbers are compared in
/// scripts/check_explain.py.
struct TokenAttributionTests {
    // MARK: - Trained on real data

    /// An LSTM trained briefly on 2,000 SST-2 sentences, and 30 dev sentences to explain.
    private static func trainedOnSST2(on backend: Backend) throws -> (RunFolder.LoadedClassifier, [String]) {
        let train = Array(try DelimitedReader().read(path: SharedDataSets.path("sst2/train.tsv")).examples.prefix(2000))
        let dev = Array(try DelimitedReader().read(path: SharedDataSets.path("sst2/dev.tsv")).examples.prefix(30)).map(\.text)
        let pipeline = try TextPipeline(TextPipelineConfig(maxLength: 60))
        let labels = LabelSet(inferringFrom: train)
        let tokenized = try pipeline.tokenize(train)
        let vocabulary = Vocabulary.build(from: tokenized.tokens, minCount: 1, maxSize: 6000)
        var options = TrainingOptions()
        options.epochs = 2
        options.batchSize = 32
        let config = RunConfig(
            model: ClassifierConfig(vocabularySize: vocabulary.count, embeddingDimension: 32, hiddenSize: 32, layers: 1,
                                    bidirectional: true, cell: .lstm, pooling: .concat, classCount: labels.count),
            text: pipeline.config, labels: labels, training: options, trainingLabelCounts: try labels.validateForTraining(train))
        let session = try makeSession(config: config, vocabulary: vocabulary, seed: 5,
                                      train: try pipeline.encode(tokenized, vocabulary: vocabulary, labels: labels),
                                      valid: nil, on: backend)
        try session.run()
        let loaded = RunFolder.LoadedClassifier(config: config, encoder: .pipeline(pipeline, vocabulary),
                                                model: session.trainer.model)
        return (loaded, dev)
    }

    @Test(.enabled(if: SharedDataSets.shouldRun, "../shared/data not found (RECUR_REQUIRE_DATA=1 makes this a failure)"))
    func integratedGradientsAreCompleteOnATrainedModelAndBackendsAgree() throws {
        #expect(SharedDataSets.present, "RECUR_REQUIRE_DATA=1 but \(SharedDataSets.directory.path) does not exist")
        let cpu = CPUBackend()
        let (loaded, texts) = try Self.trainedOnSST2(on: cpu)
        var explainer = try Explainer(loaded, on: cpu)
        var reference: [[Double]] = []
        var longest = 0
        var checked = 0
        for text in texts {
            let explained = try explainer.explain(text, method: .integratedGradients)
            let change = explained.probability - explained.baselineProbability
            // Completeness within 1% of what there is to explain (or 1e-4 absolute when that is tiny).
            #expect(abs(explained.completenessGap) <= max(0.01 * abs(change), 1e-4),
                    "\(text): gap \(explained.completenessGap) for f(x) - f(b) = \(change)")
            if abs(change) > 0.05 { checked += 1 }
            longest = max(longest, explained.steps ?? 0)
            reference.append(explained.tokenScores)
        }
        #expect(longest > 50, "some texts need more than 50 points (max pooling's kinks): adaptive integration is tested")
        #expect(checked >= 10, "only \(checked) texts moved the probability by more than 0.05: the model did not learn")
        // The same model on every OpenCL device gives the same attributions (at a fixed number of points).
        explainer.attributor.steps = 50
        reference = try texts.map { try explainer.explain($0, method: .integratedGradients).tokenScores }
        for backend in try TestBackends.all() where !(backend is CPUBackend) {
            let copy = try RunFolder.LoadedClassifier(config: loaded.config, encoder: loaded.encoder,
                                                      model: copyModel(loaded, from: cpu, to: backend))
            var other = try Explainer(copy, on: backend)
            other.attributor.steps = 50
            for (text, expected) in zip(texts, reference) {
                let scores = try other.explain(text, method: .integratedGradients).tokenScores
                expectClose(scores.map(Float.init), expected.map(Float.init), "\(backend.name) IG of \(text)", absolute: 1e-4, relative: 1e-3)
            }
        }
    }

    @Test(.enabled(if: SharedDataSets.shouldRun, "../shared/data not found (RECUR_REQUIRE_DATA=1 makes this a failure)"))
    func occlusionEqualsReplacingEachTokenWithPadding() throws {
        let cpu = CPUBackend()
        let (loaded, texts) = try Self.trainedOnSST2(on: cpu)
        let explainer = try Explainer(loaded, on: cpu)
        let trainer = try Trainer(model: loaded.model, options: loaded.config.training, on: cpu)
        for text in texts.prefix(10) {
            let explained = try explainer.explain(text, method: .occlusion)
            let ids = loaded.encoder.modelTokens(text).ids
            // Brute force: the ordinary prediction path, with token t's id replaced by padding.
            let variants = [ids] + ids.indices.map { t in ids.enumerated().map { $0.offset == t ? Vocabulary.padID : $0.element } }
            let probabilities = try trainer.predict(evaluationBatches(sequences: variants, labels: nil))
                .probabilitiesByExample(count: variants.count)
            let target = loaded.config.labels.names.firstIndex(of: explained.label)!
            let expected = ids.indices.map { Double(probabilities[0][target] - probabilities[$0 + 1][target]) }
            expectClose(explained.tokenScores.map(Float.init), expected.map(Float.init), "occlusion of \(text)", absolute: 1e-5)
        }
    }

    /// The loaded model's weights in a fresh classifier on `backend`.
    private func copyModel(_ loaded: RunFolder.LoadedClassifier, from sourceBackend: Backend, to backend: Backend) throws -> SentimentClassifier {
        let source = loaded.model as! SentimentClassifier
        let model = try SentimentClassifier(config: source.config, seed: 0, on: backend)
        for (to, from) in zip(model.parameters, source.parameters) {
            try backend.write(try sourceBackend.download(from.value), to: to.value)
        }
        return model
    }

    // MARK: - Models built here

    /// A random 2-layer BERT (the golden fixture's shape) explains completely with either pooling, the
    /// same on every backend; [CLS] and [SEP] are kept by the baseline, so they score 0 under occlusion.
    @Test(arguments: [TransformerPooling.cls, .mean])
    func transformerAttributionsAreCompleteOnEveryBackend(pooling: TransformerPooling) throws {
        let bert = BertConfig(vocabularySize: 50, hiddenSize: 16, layers: 2, heads: 2, intermediateSize: 24,
                              maxPositions: 32, hiddenDropout: 0, attentionDropout: 0)
        let input = ModelTokens(ids: [2, 11, 27, 8, 40, 3], tokens: ["[CLS]", "a", "b", "c", "d", "[SEP]"],
                                words: ["a", "b", "c", "d"], joinsPrevious: [false, false, true, false],
                                covers: [[], [0], [1], [2], [3], []])
        var reference: [Double]?
        for backend in try TestBackends.all() {
            let model = try TransformerClassifier(config: TransformerClassifierConfig(bert: bert, pooling: pooling, classCount: 3),
                                                  seed: 9, on: backend)
            // Scale the head up so the probabilities move enough to test.
            let weights = try backend.download(model.classifier.weight.value).map { $0 * 40 }
            try backend.write(weights, to: model.classifier.weight.value)
            let attributor = TokenAttributor(model: model, paddingID: 0, on: backend)
            let ig = try attributor.attribute(input, method: .integratedGradients)
            #expect(abs(ig.completenessGap) <= max(0.01 * abs(ig.probability - ig.baselineProbability), 1e-5),
                    "\(backend.name) \(pooling): gap \(ig.completenessGap)")
            #expect(ig.scores.first == 0 || abs(ig.scores.first!) < 1e-12, "[CLS] is kept by the baseline")
            let occlusion = try attributor.attribute(input, method: .occlusion)
            #expect(occlusion.scores.first == 0 && occlusion.scores.last == 0)
            if let reference {
                expectClose(ig.scores.map(Float.init), reference.map(Float.init), "\(backend.name) \(pooling) IG", absolute: 1e-5, relative: 1e-3)
            } else {
                reference = ig.scores
            }
        }
    }

    /// A bag of words and bigrams: the bigrams' scores are shared by their words, so word scores still add
    /// up to the token scores.
    @Test func bagWithBigramsSharesBigramScoresAmongTheirWords() throws {
        let backend = CPUBackend()
        let pipeline = try TextPipeline(TextPipelineConfig(wordNgrams: 2))
        let vocabulary = try Vocabulary(tokens: [Vocabulary.padToken, Vocabulary.unknownToken, "not", "good", "not good", "film"])
        let config = ClassifierConfig(encoder: .bag, vocabularySize: vocabulary.count, embeddingDimension: 4, hiddenSize: 4,
                                      pooling: .mean, classCount: 2)
        let model = try SentimentClassifier(config: config, seed: 2, on: backend)
        let weights = try backend.download(model.fc.weight.value).map { $0 * 50 }
        try backend.write(weights, to: model.fc.weight.value)
        let input = pipeline.modelTokens(for: "not good film", vocabulary: vocabulary)
        #expect(input.tokens == ["not", "good", "film", "not good", "good film"])
        #expect(input.covers == [[0], [1], [2], [0, 1], [1, 2]])
        let attribution = try TokenAttributor(model: model, paddingID: 0, on: backend).attribute(input, method: .integratedGradients)
        let wordScores = input.wordScores(attribution.scores)
        #expect(abs(wordScores.reduce(0, +) - attribution.scores.reduce(0, +)) < 1e-12)
        #expect(abs(wordScores[0] - (attribution.scores[0] + attribution.scores[3] / 2)) < 1e-12)
        #expect(abs(attribution.completenessGap) <= max(0.01 * abs(attribution.probability - attribution.baselineProbability), 1e-5))
    }

    // MARK: - Pieces

    @Test func gaussLegendreMatchesNumpy() {
        // numpy.polynomial.legendre.leggauss(5)
        let (nodes, weights) = IntegrationRule.legendreNodes(5)
        let expectedNodes = [-0.906_179_845_938_664, -0.538_469_310_105_683_1, 0, 0.538_469_310_105_683_1, 0.906_179_845_938_664]
        let expectedWeights = [0.236_926_885_056_189_1, 0.478_628_670_499_366_5, 0.568_888_888_888_888_9,
                               0.478_628_670_499_366_5, 0.236_926_885_056_189_1]
        for i in 0..<5 {
            #expect(abs(nodes[i] - expectedNodes[i]) < 1e-14)
            #expect(abs(weights[i] - expectedWeights[i]) < 1e-14)
        }
        for rule in IntegrationRule.allCases {
            for steps in [1, 2, 7, 50] {
                let (alphas, weights) = rule.points(steps: steps)
                #expect(alphas.count == steps && weights.count == steps)
                #expect(abs(weights.reduce(0, +) - 1) < 1e-12, "\(rule) \(steps)")
                #expect(alphas.allSatisfy { (0...1).contains($0) })
            }
        }
        // Captum's riemann_trapezoid with 3 steps: alphas 0, 0.5, 1 and step sizes 0.25, 0.5, 0.25.
        let trapezoid = IntegrationRule.riemannTrapezoid.points(steps: 3)
        #expect(trapezoid.alphas == [0, 0.5, 1] && trapezoid.weights == [0.25, 0.5, 0.25])
    }

    @Test func wordPiecesJoinTheirWordAndMarkersCoverNothing() throws {
        let vocabulary = try WordPieceVocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "un", "##like", "##ly", "good"])
        let tokenizer = WordPieceTokenizer(vocabulary: vocabulary)
        let input = tokenizer.modelTokens(for: "Unlikely good", maxLength: 8)
        #expect(input.ids == [2, 4, 5, 6, 7, 3])
        #expect(input.words == ["un", "like", "ly", "good"])
        #expect(input.joinsPrevious == [false, true, true, false])
        #expect(input.isMarker(0) && input.isMarker(5) && !input.isMarker(1))
        let truncated = tokenizer.modelTokens(for: "Unlikely good", maxLength: 4)
        #expect(truncated.ids == [2, 4, 5, 3] && truncated.words == ["un", "like"])
    }

    @Test func startTokenIsAMarkerAndTruncationIsFollowed() throws {
        let pipeline = try TextPipeline(TextPipelineConfig(maxLength: 3, truncation: .tail, startToken: "xxbos"))
        let vocabulary = try Vocabulary(tokens: [Vocabulary.padToken, Vocabulary.unknownToken, "xxbos", "a", "b", "c"])
        let input = pipeline.modelTokens(for: "a b c", vocabulary: vocabulary)
        #expect(input.ids == pipeline.encode("a b c", vocabulary: vocabulary))
        #expect(input.tokens == ["a", "b", "c"] && input.words == ["a", "b", "c"])
        let kept = try TextPipeline(TextPipelineConfig(maxLength: 3, startToken: "xxbos")).modelTokens(for: "a b c", vocabulary: vocabulary)
        #expect(kept.ids == [2, 3, 4] && kept.covers == [[], [0], [1]] && kept.words == ["a", "b"])
    }

    @Test func htmlEscapesTextAndTerminalIsPlainWithoutColour() throws {
        let input = ModelTokens(ids: [5, 6, 7], tokens: ["<script>", "a&b", "\"x'"], words: ["<script>", "a&b", "\"x'"],
                                joinsPrevious: [false, false, false], covers: [[0], [1], [2]])
        let attribution = TokenAttribution(method: .occlusion, target: 0, scores: [0.5, -0.25, 0], probabilities: [0.9, 0.1],
                                           baselineProbability: 0.4)
        let explained = ExplainedText(text: "<script>alert(1)</script>", input: input, attribution: attribution, labels: ["<neg>", "pos"])
        let page = AttributionRendering.html([explained], notes: ["file.tsv:3 <b>"], title: "t<i>")
        #expect(!page.contains("<script>") && !page.contains("<neg>") && !page.contains("<b>") && !page.contains("t<i>"))
        #expect(page.contains("&lt;script&gt;") && page.contains("a&amp;b") && page.contains("&quot;x&#39;"))
        #expect(AttributionRendering.terminal(explained, colour: false) == "<script>(+0.500) a&b(-0.250) \"x'(+0.000)")
        #expect(AttributionRendering.terminal(explained, colour: true).contains("\u{1B}[48;5;40m"))
    }
}
