import Foundation
import Recur
import Testing

@Suite struct EvaluationTests {
    /// Values computed by hand (and matching scikit-learn's classification_report) for a 3-class case.
    @Test func classificationReportMatchesHandComputedScores() {
        let targets = [0, 0, 0, 1, 1, 2, 2, 2, 2, 1]
        let predictions = [0, 1, 0, 1, 2, 2, 2, 0, 2, 1]
        let report = ClassificationReport(labels: ["neg", "neu", "pos"], targets: targets, predictions: predictions)
        #expect(report.confusion == [[2, 1, 0], [0, 2, 1], [1, 0, 3]])
        #expect(report.accuracy == 0.7)
        // neg: P 2/3 R 2/3; neu: P 2/3 R 2/3; pos: P 3/4 R 3/4.
        #expect(abs(report.perClass[0].precision - 2.0 / 3) < 1e-12)
        #expect(abs(report.perClass[2].f1 - 0.75) < 1e-12)
        #expect(abs(report.macroF1 - (2.0 / 3 + 2.0 / 3 + 0.75) / 3) < 1e-12)
        #expect(abs(report.weightedRecall - 0.7) < 1e-12)
        #expect(report.perClass.map(\.support) == [3, 3, 4])
        #expect(report.text.contains("confusion matrix"))
    }

    @Test func neverPredictedClassScoresZeroPrecision() {
        let report = ClassificationReport(labels: ["a", "b"], targets: [0, 1, 1], predictions: [0, 0, 0])
        #expect(report.perClass[1].precision == 0)
        #expect(report.perClass[1].f1 == 0)
    }

    @Test func schedulesFollowTheirDefinitions() {
        let total = 100, perEpoch = 10
        let linear = LearningRateSchedule(kind: .linear, warmupSteps: 10)
        #expect(linear.factor(step: 0, totalSteps: total, stepsPerEpoch: perEpoch) == 0.1)
        #expect(linear.factor(step: 9, totalSteps: total, stepsPerEpoch: perEpoch) == 1)
        #expect(abs(linear.factor(step: 55, totalSteps: total, stepsPerEpoch: perEpoch) - 0.5) < 1e-6)
        let cosine = LearningRateSchedule(kind: .cosine)
        #expect(abs(cosine.factor(step: 50, totalSteps: total, stepsPerEpoch: perEpoch) - 0.5) < 1e-6)
        let exponential = LearningRateSchedule(kind: .exponential, gamma: 0.5)
        #expect(exponential.factor(step: 25, totalSteps: total, stepsPerEpoch: perEpoch) == 0.25)
        let step = LearningRateSchedule(kind: .step, gamma: 0.1, stepEpochs: 3)
        #expect(abs(step.factor(step: 35, totalSteps: total, stepsPerEpoch: perEpoch) - 0.1) < 1e-7)
        // ULMFiT: peak at cut·T, lowest 1/ratio at both ends.
        let stlr = LearningRateSchedule(kind: .slantedTriangular, cut: 0.1, ratio: 32)
        #expect(abs(stlr.factor(step: 0, totalSteps: total, stepsPerEpoch: perEpoch) - 1.0 / 32) < 1e-6)
        #expect(stlr.factor(step: 10, totalSteps: total, stepsPerEpoch: perEpoch) == 1)
        #expect(abs(stlr.factor(step: 100, totalSteps: total, stepsPerEpoch: perEpoch) - 1.0 / 32) < 1e-6)
        // A run whose step count is not a multiple of 1/cut (15 steps: peak at step 1) never goes below 1/ratio.
        let factors = (0..<15).map { stlr.factor(step: $0, totalSteps: 15, stepsPerEpoch: 5) }
        #expect(factors.allSatisfy { $0 >= 1.0 / 32 && $0 <= 1 }, "\(factors)")
        #expect(factors[1] == 1)
    }

    @Test func curvesDrawOnePointPerEpochAndSeries() {
        let history = (1...4).map {
            EpochMetrics(epoch: $0, trainLoss: 1 / Double($0), trainAccuracy: 0.5 + 0.1 * Double($0), validLoss: 0.8,
                         validAccuracy: 0.6 + 0.01 * Double($0), learningRate: 1e-3, seconds: 1, tokensPerSecond: 1000)
        }
        let svg = TrainingCurves.svg(history)
        #expect(svg.hasPrefix("<svg"))
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 4)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 16)
    }
}
