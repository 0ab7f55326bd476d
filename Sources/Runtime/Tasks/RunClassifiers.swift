import Drivers
import PLDCore
import Policies
import Tasks
import ZeroMQ

extension RobotRun {
    /// The run's reward classifiers in config order: rules as they are, learned heads loaded
    /// from their files (sizes checked against the configured inputs), remote ones behind a
    /// worker thread. Throws one line naming the classifier at fault.
    static func makeClassifiers(
        config: RobotConfig, source: ConfigSource, context: Context, timeScale: Double, sensors: SensorHub,
        log: @escaping @Sendable (String) -> Void
    ) throws(RuntimeError) -> (classifiers: RewardClassifiers, worker: RemoteClassifierWorker?) {
        var kinds: [RewardClassifiers.Kind] = []
        var inputs: [[RewardClassifiers.Input]] = []
        var channels: [RemoteClassifierChannel] = []
        for classifier in config.classifiers {
            let numeric = classifier.inputs.filter { !$0.isCamera }.map { source in
                RewardClassifiers.Input(source: source, width: config.dimension(of: source) ?? 0)
            }
            inputs.append(classifier.kind == .rules ? [] : numeric)
            switch classifier.kind {
            case .rules:
                kinds.append(.rules(RulesClassifier(config: classifier)))
            case .mlp:
                guard let weights = classifier.weightsPath.map({ source.resolve($0) }) else {
                    throw RuntimeError("classifier \(classifier.name): no weights_path")
                }
                let network: MLPClassifier
                do {
                    network = try MLPClassifier(contentsOfFile: weights)
                } catch {
                    throw RuntimeError("classifier \(classifier.name): \(error)")
                }
                let width = numeric.reduce(0) { $0 + $1.width }
                guard network.inputDimensions == width else {
                    throw RuntimeError(
                        "classifier \(classifier.name): \(weights) takes \(network.inputDimensions) inputs but its configured inputs (\(classifier.inputs.map(\.description).joined(separator: ", "))) give \(width)")
                }
                kinds.append(.mlp(network))
            case .remote:
                let channel = RemoteClassifierChannel(config: classifier, numericSources: numeric, timeScale: timeScale)
                channels.append(channel)
                kinds.append(.remote(channel))
            }
        }
        let classifiers = RewardClassifiers(names: config.classifiers.map(\.name), kinds: kinds, inputs: inputs)
        guard !channels.isEmpty else { return (classifiers, nil) }
        let images = SensorImages(sensors)
        let worker = RemoteClassifierWorker(channels: channels, context: context, log: log) { camera in
            images.latestImage(camera: camera).map { ($0.rgb, $0.width, $0.height, $0.sequence) }
        }
        return (classifiers, worker)
    }
}
