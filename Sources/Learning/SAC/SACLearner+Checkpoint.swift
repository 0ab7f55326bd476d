import Policies

// Full learner checkpoints: every parameter, target, optimiser moment, the temperature, the
// normaliser, the step counters and the generator state, in one safetensors file, so a resumed
// learner continues bit for bit (given the same replay contents and configuration).
//
// Format `sac-learner/1`. Tensors (F32, PyTorch shapes): `actor.*`, `critic.q1.*`,
// `critic.q2.*`, `target.critic.q{1,2}.*`, `temperature.log_alpha` [1], their Adam moments as
// `adam_m.<name>` / `adam_v.<name>`, and `obs_mean`, `obs_std`. Metadata (strings):
// `learner.format`, `learner.input_dim`, `learner.action_dim`, `learner.hidden` (JSON array),
// `learner.layer_norm`, `learner.activation`, the counters `learner.update_count`,
// `learner.warm_start_steps`, `learner.critic_steps`, `learner.actor_steps`,
// `learner.adam_steps.{actor,critic,temperature}`, and `learner.random_state` (four decimal
// 64-bit words). Replay buffers are not part of it: `ReplayBuffer.write(toFile:)` and
// `load(fromFile:)` save and restore them (format `replay-buffer/1`).
extension SACLearner {
    public static let checkpointFormat = "sac-learner/1"

    /// The buffers a checkpoint holds, with the name prefix of each and its optimiser.
    private var checkpointBuffers: [(prefix: String, buffer: ParameterBuffer, optimizer: AdamOptimizer?, key: String)] {
        [("", actorParameters, actorOptimizer, "actor"), ("", criticParameters, criticOptimizer, "critic"),
         ("target.", targetParameters, nil, "target"), ("", temperatureParameters, temperatureOptimizer, "temperature")]
    }

    private var structureMetadata: [String: String] {
        let c = configuration
        return [
            "learner.format": Self.checkpointFormat,
            "learner.input_dim": String(c.inputDimensions),
            "learner.action_dim": String(c.actionDimensions),
            "learner.hidden": "[" + c.hidden.map(String.init).joined(separator: ",") + "]",
            "learner.layer_norm": c.layerNorm ? "true" : "false",
            "learner.activation": c.activation.rawValue,
        ]
    }

    /// Writes the checkpoint to `path` atomically.
    public func saveCheckpoint(toFile path: String) throws(SafetensorsError) {
        var metadata = structureMetadata
        metadata["learner.update_count"] = String(updateCount)
        metadata["learner.warm_start_steps"] = String(warmStartStepCount)
        metadata["learner.critic_steps"] = String(criticStepCount)
        metadata["learner.actor_steps"] = String(actorStepCount)
        metadata["learner.adam_steps.actor"] = String(actorOptimizer.stepCount)
        metadata["learner.adam_steps.critic"] = String(criticOptimizer.stepCount)
        metadata["learner.adam_steps.temperature"] = String(temperatureOptimizer.stepCount)
        let s = random.state
        metadata["learner.random_state"] = "\(s.0),\(s.1),\(s.2),\(s.3)"
        var writer = SafetensorsWriter(metadata: metadata)
        func add(_ name: String, _ shape: [Int], _ start: UnsafePointer<Float>) {
            let count = shape.reduce(1, *)
            writer.add(name, dtype: .f32, shape: shape, values: (0..<count).map { Double(start[$0]) })
        }
        for (prefix, buffer, optimizer, _) in checkpointBuffers {
            for t in buffer.tensors {
                add(prefix + t.name, t.shape, buffer.values + t.offset)
                if let optimizer {
                    add("adam_m." + t.name, t.shape, optimizer.firstMoment + t.offset)
                    add("adam_v." + t.name, t.shape, optimizer.secondMoment + t.offset)
                }
            }
        }
        writer.add("obs_mean", dtype: .f32, shape: [inputDimensions], values: normalizer.mean.map(Double.init))
        writer.add("obs_std", dtype: .f32, shape: [inputDimensions], values: normalizer.std.map(Double.init))
        try writer.write(toFile: path)
    }

    /// A learner resumed from a checkpoint: the normaliser comes from the file, everything
    /// else is checked against `configuration` (widths, hidden layers, LayerNorm, activation).
    /// Replay buffers start empty.
    public convenience init(resumingFrom path: String, configuration: SACConfiguration) throws(SafetensorsError) {
        let file = try SafetensorsFile(contentsOfFile: path)
        let normalizer = try Self.readNormalizer(file, width: configuration.inputDimensions)
        do throws(LearningError) {
            try self.init(configuration: configuration, normalizer: normalizer)
        } catch {
            throw SafetensorsError(file: path, reason: error.description)
        }
        try loadCheckpoint(file)
    }

    /// Replaces this learner's state with a checkpoint's. Nothing changes unless the whole file
    /// is valid: the format and structure match this learner, every tensor is present with its
    /// shape and finite, second moments are ≥ 0, and its normaliser equals this learner's.
    /// Errors are one line naming the file (and tensor or key).
    public func loadCheckpoint(fromFile path: String) throws(SafetensorsError) {
        try loadCheckpoint(SafetensorsFile(contentsOfFile: path))
    }

    private static func readNormalizer(_ file: SafetensorsFile, width: Int) throws(SafetensorsError) -> ObservationNormalizer {
        func vector(_ name: String) throws(SafetensorsError) -> [Float] {
            guard let info = file.tensors[name] else { throw SafetensorsError(file: file.name, tensor: name, reason: "missing") }
            guard info.shape == [width] else {
                throw SafetensorsError(file: file.name, tensor: name, reason: "shape \(info.shape), expected [\(width)] (the learner's input width)")
            }
            return try file.doubles(name).map { Float($0) }
        }
        let mean = try vector("obs_mean"), std = try vector("obs_std")
        do throws(LearningError) {
            return try ObservationNormalizer(mean: mean, std: std)
        } catch {
            throw SafetensorsError(file: file.name, reason: error.description)
        }
    }

    func loadCheckpoint(_ file: SafetensorsFile) throws(SafetensorsError) {
        func fail(_ reason: String, tensor: String? = nil) -> SafetensorsError {
            SafetensorsError(file: file.name, tensor: tensor, reason: reason)
        }
        let meta = file.metadata
        guard let format = meta["learner.format"] else {
            let hint = meta["pld.format"].map { " (it is a `\($0)` file, not a learner checkpoint)" } ?? ""
            throw fail("metadata has no `learner.format`; expected \"\(Self.checkpointFormat)\"\(hint)")
        }
        guard format == Self.checkpointFormat else { throw fail("metadata `learner.format` is \"\(format)\", expected \"\(Self.checkpointFormat)\"") }
        for (key, expected) in structureMetadata.sorted(by: { $0.key < $1.key }) where key != "learner.format" {
            guard let found = meta[key] else { throw fail("metadata has no `\(key)`") }
            guard found == expected else { throw fail("metadata `\(key)` is \"\(found)\" but this learner has \"\(expected)\"") }
        }
        func counter(_ key: String) throws(SafetensorsError) -> Int {
            guard let text = meta[key] else { throw fail("metadata has no `\(key)`") }
            guard let value = Int(text), value >= 0 else { throw fail("metadata `\(key)` is \"\(text)\", expected a non-negative integer") }
            return value
        }
        let counters = (
            updates: try counter("learner.update_count"), warm: try counter("learner.warm_start_steps"),
            critic: try counter("learner.critic_steps"), actor: try counter("learner.actor_steps"),
            adamActor: try counter("learner.adam_steps.actor"), adamCritic: try counter("learner.adam_steps.critic"),
            adamTemperature: try counter("learner.adam_steps.temperature"))
        guard let stateText = meta["learner.random_state"] else { throw fail("metadata has no `learner.random_state`") }
        let words = stateText.split(separator: ",").compactMap { UInt64($0) }
        guard words.count == 4, stateText.split(separator: ",", omittingEmptySubsequences: false).count == 4,
            let restored = LearnerRandom(state: (words[0], words[1], words[2], words[3]))
        else { throw fail("metadata `learner.random_state` is \"\(stateText)\", expected four comma-separated 64-bit words, not all zero") }

        let loaded = try Self.readNormalizer(file, width: inputDimensions)
        guard loaded == normalizer else {
            throw fail("obs_mean / obs_std differ from this learner's normaliser (resume with SACLearner(resumingFrom:configuration:))")
        }

        // Read every tensor before changing anything.
        var expected: Set<String> = ["obs_mean", "obs_std"]
        var staged: [(destination: UnsafeMutablePointer<Float>, values: [Float])] = []
        func stage(_ name: String, _ shape: [Int], into destination: UnsafeMutablePointer<Float>, nonNegative: Bool = false) throws(SafetensorsError) {
            expected.insert(name)
            guard let info = file.tensors[name] else { throw fail("missing (shape \(shape))", tensor: name) }
            guard info.shape == shape else { throw fail("shape \(info.shape), expected \(shape)", tensor: name) }
            let values = try file.doubles(name).map { Float($0) }
            if let bad = values.firstIndex(where: { !$0.isFinite || (nonNegative && $0 < 0) }) {
                throw fail("element \(bad) is \(values[bad]) (must be finite\(nonNegative ? " and ≥ 0" : ""))", tensor: name)
            }
            staged.append((destination, values))
        }
        for (prefix, buffer, optimizer, _) in checkpointBuffers {
            for t in buffer.tensors {
                try stage(prefix + t.name, t.shape, into: buffer.values + t.offset)
                if let optimizer {
                    try stage("adam_m." + t.name, t.shape, into: optimizer.firstMoment + t.offset)
                    try stage("adam_v." + t.name, t.shape, into: optimizer.secondMoment + t.offset, nonNegative: true)
                }
            }
        }
        if let extra = file.tensorNames.first(where: { !expected.contains($0) }) {
            throw fail("not part of a checkpoint of this learner", tensor: extra)
        }

        for (destination, values) in staged {
            values.withUnsafeBufferPointer { destination.update(from: $0.baseAddress!, count: values.count) }
        }
        updateCount = counters.updates
        warmStartStepCount = counters.warm
        criticStepCount = counters.critic
        actorStepCount = counters.actor
        actorOptimizer.stepCount = counters.adamActor
        criticOptimizer.stepCount = counters.adamCritic
        temperatureOptimizer.stepCount = counters.adamTemperature
        random = restored
    }
}
