import Policies

// Saving and restoring a replay buffer (a run that resumes from a learner checkpoint needs its
// data too). Format `replay-buffer/1`: a safetensors file with F32 tensors `inputs` [n, D],
// `actions` [n, A], `rewards` [n], `next_inputs` [n, D], `dones` [n], `mc_returns` [n] (−∞
// allowed) in the buffer's storage order, and metadata `replay.format`, `replay.input_dim`,
// `replay.action_dim`, `replay.capacity`, `replay.appended`. Load/save time only (allocates).
extension ReplayBuffer {
    public static let fileFormat = "replay-buffer/1"

    /// Writes the held transitions to `path` atomically.
    public func write(toFile path: String) throws(SafetensorsError) {
        let n = count, d = inputDimensions, a = actionDimensions
        var writer = SafetensorsWriter(metadata: [
            "replay.format": Self.fileFormat, "replay.input_dim": String(d), "replay.action_dim": String(a),
            "replay.capacity": String(capacity), "replay.appended": String(appended),
        ])
        func add(_ name: String, _ shape: [Int], _ p: UnsafeMutablePointer<Float>) {
            writer.add(name, dtype: .f32, shape: shape, values: (0..<shape.reduce(1, *)).map { Double(p[$0]) })
        }
        add("inputs", [n, d], inputs)
        add("actions", [n, a], actions)
        add("rewards", [n], rewards)
        add("next_inputs", [n, d], nextInputs)
        add("dones", [n], dones)
        add("mc_returns", [n], monteCarloReturns)
        try writer.write(toFile: path)
    }

    /// Replaces the contents with a file's. With the same capacity the storage order and write
    /// position are restored exactly (sampling then continues as it would have); otherwise the
    /// transitions are appended oldest first (the newest `capacity` kept). Nothing changes
    /// unless the whole file is valid (widths, shapes, finite values, u in [−1, 1], done 0 or 1).
    public func load(fromFile path: String) throws(SafetensorsError) {
        let file = try SafetensorsFile(contentsOfFile: path)
        func fail(_ reason: String, tensor: String? = nil) -> SafetensorsError {
            SafetensorsError(file: path, tensor: tensor, reason: reason)
        }
        let meta = file.metadata
        guard meta["replay.format"] == Self.fileFormat else {
            throw fail("metadata `replay.format` is \(meta["replay.format"].map { "\"\($0)\"" } ?? "missing"), expected \"\(Self.fileFormat)\"")
        }
        func integer(_ key: String) throws(SafetensorsError) -> Int {
            guard let text = meta[key], let value = Int(text), value >= 0 else {
                throw fail("metadata `\(key)` is \(meta[key].map { "\"\($0)\"" } ?? "missing"), expected a non-negative integer")
            }
            return value
        }
        let d = try integer("replay.input_dim"), a = try integer("replay.action_dim")
        guard d == inputDimensions, a == actionDimensions else {
            throw fail("holds input width \(d) and action width \(a); this buffer has \(inputDimensions) and \(actionDimensions)")
        }
        let savedCapacity = try integer("replay.capacity"), savedAppended = try integer("replay.appended")
        guard let info = file.tensors["rewards"], info.shape.count == 1 else { throw fail("missing or not a vector", tensor: "rewards") }
        let n = info.shape[0]
        guard n <= savedCapacity, n == min(savedAppended, savedCapacity) else {
            throw fail("\(n) transitions do not fit `replay.capacity` \(savedCapacity) and `replay.appended` \(savedAppended)")
        }
        func read(_ name: String, _ shape: [Int]) throws(SafetensorsError) -> [Float] {
            guard let t = file.tensors[name] else { throw fail("missing", tensor: name) }
            guard t.shape == shape else { throw fail("shape \(t.shape), expected \(shape)", tensor: name) }
            return try file.doubles(name).map { Float($0) }
        }
        let xs = try read("inputs", [n, d]), us = try read("actions", [n, a]), rs = try read("rewards", [n])
        let nexts = try read("next_inputs", [n, d]), ds = try read("dones", [n]), mcs = try read("mc_returns", [n])
        for row in 0..<n {
            let finite = (0..<d).allSatisfy { xs[row * d + $0].isFinite && nexts[row * d + $0].isFinite } && rs[row].isFinite
            let bounded = (0..<a).allSatisfy { us[row * a + $0] >= -1 && us[row * a + $0] <= 1 }
            guard finite, bounded, ds[row] == 0 || ds[row] == 1, !mcs[row].isNaN, mcs[row] != .infinity else {
                throw fail("transition \(row) has a non-finite value, an action outside [−1, 1] or a done flag other than 0 or 1")
            }
        }
        removeAll()
        let exact = savedCapacity == capacity
        // Oldest first unless restoring the storage order as is.
        let oldest = exact || n < savedCapacity ? 0 : savedAppended % savedCapacity
        for k in 0..<n {
            let row = (oldest + k) % max(n, 1)
            xs.withUnsafeBufferPointer { x in
                us.withUnsafeBufferPointer { u in
                    nexts.withUnsafeBufferPointer { next in
                        _ = append(input: UnsafeBufferPointer(rebasing: x[(row * d)..<((row + 1) * d)]),
                                   action: UnsafeBufferPointer(rebasing: u[(row * a)..<((row + 1) * a)]), reward: rs[row],
                                   nextInput: UnsafeBufferPointer(rebasing: next[(row * d)..<((row + 1) * d)]), done: ds[row] != 0,
                                   monteCarloReturn: mcs[row])
                    }
                }
            }
        }
        if exact { restoreWritePosition(appended: savedAppended) }
    }
}
