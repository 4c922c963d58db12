import Recur
import Testing

/// What `recur train` picks when no flag says otherwise, by the data it sees.
struct TrainingRecipeTests {
    func settings(_ n: Int, length: Double = 20, start: DataProfile.Start = .scratch, recipe: TrainingRecipe = .auto) -> TrainingSettings {
        recipe.settings(for: DataProfile(trainExamples: n, meanLength: length, start: start)).settings
    }

    @Test func fineTuningFollowsULMFiTWithBatchesForFiftySteps() {
        let small = settings(900, length: 271, start: .languageModel)
        #expect(small.encoder == .recurrent)
        #expect(small.gradualUnfreeze && small.discriminativeFactor == 2.6 && small.schedule == .slantedTriangular)
        #expect(small.weightDropout == 0.25 && small.patience == 0 && small.head == .linear)
        #expect(small.batchSize == 16 && small.epochs == 12 && small.truncation == .headTail)
        let large = settings(22_500, length: 50, start: .classifier)
        #expect(large.batchSize == 64 && large.epochs == 5 && large.truncation == .head)
        #expect(settings(4_000, start: .languageModel).batchSize == 64)
        #expect(settings(3_000, start: .languageModel).batchSize == 32)
    }

    @Test func smallDataFromScratchGetsABag() {
        let bag = settings(1_800)
        #expect(bag.encoder == .bag && bag.pooling == .mean && bag.wordNgrams == 2 && bag.maxLength == nil)
        #expect(bag.monitor == .validLoss && bag.batchSize == 32 && bag.head == .linear)
        let lstm = settings(TrainingRecipe.bagLimit, length: 390)
        #expect(lstm.encoder == .recurrent && lstm.truncation == .headTail && lstm.monitor == .validLoss)
        #expect(settings(50_000).monitor == .validAccuracy)
        // Word vectors start an embedding for a recurrent model or a bag alike.
        #expect(settings(1_000, start: .vectors).encoder == .bag)
    }

    @Test func recipeNoneKeepsTheFixedDefaults() {
        #expect(settings(900, length: 271, start: .languageModel, recipe: .none) == TrainingSettings())
        #expect(settings(100, recipe: .none) == TrainingSettings())
    }

    /// `--model` by hand brings that model's own settings, whichever the recipe picked.
    @Test func switchingTheEncoderBringsItsSettings() {
        var s = settings(100)
        s.switchEncoder(to: .recurrent)
        #expect(s.encoder == .recurrent && s.pooling == TrainingSettings().pooling && s.maxLength == 400 && s.wordNgrams == 1)
        s.switchEncoder(to: .bag)
        #expect(s.wordNgrams == 2 && s.learningRate == TrainingSettings.bag.learningRate)
    }
}
