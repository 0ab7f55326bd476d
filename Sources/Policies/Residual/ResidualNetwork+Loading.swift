import PLDCore

// Reading format `residual-mlp/1` (documented on `ResidualNetwork`): every metadata value and
// tensor shape is checked, and each failure is one line naming the file and the key or tensor.

extension ResidualNetwork {
    /// Loads and checks a residual from a safetensors file.
    public init(contentsOfFile path: String) throws(SafetensorsError) {
        try self.init(safetensors: SafetensorsFile(contentsOfFile: path))
        sourcePath = path
    }

    /// Builds a residual from a parsed safetensors file.
    public init(safetensors file: SafetensorsFile) throws(SafetensorsError) {
        let name = file.name
        func fail(_ reason: String, tensor: String? = nil) -> SafetensorsError {
            SafetensorsError(file: name, tensor: tensor, reason: reason)
        }
        let meta = file.metadata
        let known: Set<String> = [
            "pld.format", "pld.input_dim", "pld.action_dim", "pld.hidden", "pld.activation", "pld.layer_norm",
            "pld.layer_norm_eps", "pld.log_std", "pld.log_std_min", "pld.log_std_max", "pld.obs_clip",
        ]
        if let unknown = meta.keys.sorted().first(where: { $0.hasPrefix("pld.") && !known.contains($0) }) {
            throw fail("unknown metadata key `\(unknown)` (known: \(known.sorted().joined(separator: ", ")))")
        }
        guard let format = meta["pld.format"] else {
            throw fail("metadata has no `pld.format`; expected \"\(Self.formatName)\" (see ResidualNetwork for the format)")
        }
        guard format == Self.formatName else { throw fail("metadata `pld.format` is \"\(format)\", expected \"\(Self.formatName)\"") }

        func integer(_ key: String, in range: ClosedRange<Int>) throws(SafetensorsError) -> Int {
            guard let text = meta[key] else { throw fail("metadata has no `\(key)`") }
            guard let value = Int(text), range.contains(value) else {
                throw fail("metadata `\(key)` is \"\(text)\", expected an integer in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        }
        func number(_ key: String, default value: Double) throws(SafetensorsError) -> Double {
            guard let text = meta[key] else { return value }
            guard let parsed = Double(text), parsed.isFinite else { throw fail("metadata `\(key)` is \"\(text)\", expected a finite number") }
            return parsed
        }
        func choice<T: RawRepresentable & CaseIterable>(_ key: String, default value: T) throws(SafetensorsError) -> T where T.RawValue == String {
            guard let text = meta[key] else { return value }
            guard let parsed = T(rawValue: text) else {
                throw fail("metadata `\(key)` is \"\(text)\", expected one of \(T.allCases.map { $0.rawValue }.joined(separator: ", "))")
            }
            return parsed
        }

        let inputDim = try integer("pld.input_dim", in: 1...ResidualArchitecture.maxInputDimensions)
        let actionDim = try integer("pld.action_dim", in: 1...actionMaxDimensions)
        guard actionDim <= inputDim else {
            throw fail("metadata `pld.action_dim` \(actionDim) exceeds `pld.input_dim` \(inputDim) (the input is [state features, base action])")
        }
        guard let hiddenText = meta["pld.hidden"] else { throw fail("metadata has no `pld.hidden`") }
        let hiddenError = fail("metadata `pld.hidden` is \"\(hiddenText)\", expected a JSON array of 1 to \(ResidualArchitecture.maxHiddenLayers) layer widths in 1...\(ResidualArchitecture.maxHiddenUnits), e.g. [256,256,256]")
        guard let hiddenJSON = try? HeaderJSON.parse(ArraySlice(hiddenText.utf8), maxDepth: 2),
            case .array(let widths) = hiddenJSON, (1...ResidualArchitecture.maxHiddenLayers).contains(widths.count)
        else { throw hiddenError }
        var hidden: [Int] = []
        for width in widths {
            guard let units = width.unsignedInteger, (1...UInt64(ResidualArchitecture.maxHiddenUnits)).contains(units) else { throw hiddenError }
            hidden.append(Int(units))
        }
        let activation: ResidualActivation = try choice("pld.activation", default: .tanh)
        let layerNormText = meta["pld.layer_norm"] ?? "true"
        guard layerNormText == "true" || layerNormText == "false" else {
            throw fail("metadata `pld.layer_norm` is \"\(layerNormText)\", expected true or false")
        }
        let epsilon = try number("pld.layer_norm_eps", default: 1e-5)
        guard epsilon > 0 else { throw fail("metadata `pld.layer_norm_eps` must be positive, found \(epsilon)") }
        let logStdKind: ResidualLogStdKind = try choice("pld.log_std", default: .none)
        let logStdMin = try number("pld.log_std_min", default: -20)
        let logStdMax = try number("pld.log_std_max", default: 2)
        guard logStdMin <= logStdMax else { throw fail("metadata `pld.log_std_min` \(logStdMin) exceeds `pld.log_std_max` \(logStdMax)") }
        var clip: Double?
        if meta["pld.obs_clip"] != nil {
            let value = try number("pld.obs_clip", default: 0)
            guard value > 0 else { throw fail("metadata `pld.obs_clip` must be positive, found \(value)") }
            clip = value
        }
        let arch = ResidualArchitecture(
            stateDimensions: inputDim - actionDim, actionDimensions: actionDim, hidden: hidden, activation: activation,
            layerNorm: layerNormText == "true", layerNormEpsilon: epsilon, logStd: logStdKind,
            logStdRange: logStdMin...logStdMax, observationClip: clip)

        // Tensors: each expected one read once; anything left over is an error.
        var unused = Set(file.tensorNames)
        func tensor(_ tensorName: String, _ shape: [Int], default fill: Double? = nil) throws(SafetensorsError) -> [Double] {
            guard let info = file.tensors[tensorName] else {
                if let fill { return [Double](repeating: fill, count: shape.reduce(1, *)) }
                throw fail("missing (the architecture in the metadata needs it, shape \(shape))", tensor: tensorName)
            }
            unused.remove(tensorName)
            guard info.shape == shape else {
                throw fail("shape \(info.shape), expected \(shape) from the metadata (Linear weights are [out, in])", tensor: tensorName)
            }
            let values = try file.doubles(tensorName)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw fail("element \(bad) is \(values[bad]) (weights must be finite)", tensor: tensorName)
            }
            return values
        }

        var mean = [Double](repeating: 0, count: inputDim)
        var std = [Double](repeating: 1, count: inputDim)
        switch (file.tensors["obs_mean"] != nil, file.tensors["obs_std"] != nil) {
        case (true, true):
            mean = try tensor("obs_mean", [inputDim])
            std = try tensor("obs_std", [inputDim])
            if let bad = std.firstIndex(where: { !($0 > 0) }) {
                throw fail("element \(bad) is \(std[bad]); standard deviations must be positive", tensor: "obs_std")
            }
        case (false, false): break
        case (true, false): throw fail("present without `obs_std`", tensor: "obs_mean")
        case (false, true): throw fail("present without `obs_mean`", tensor: "obs_std")
        }

        var layers: [Layer] = []
        var inputs = inputDim
        for (i, units) in hidden.enumerated() {
            let weight = try tensor("layers.\(i).weight", [units, inputs])
            let bias = try tensor("layers.\(i).bias", [units], default: 0)
            var normWeight = [Double](repeating: 1, count: units), normBias = [Double](repeating: 0, count: units)
            if arch.layerNorm {
                normWeight = try tensor("layers.\(i).ln.weight", [units], default: 1)
                normBias = try tensor("layers.\(i).ln.bias", [units], default: 0)
            }
            layers.append(Layer(weight: weight, bias: bias, normWeight: normWeight, normBias: normBias))
            inputs = units
        }
        let muWeight = try tensor("mu.weight", [actionDim, inputs])
        let muBias = try tensor("mu.bias", [actionDim], default: 0)
        var logStd: [Double] = [], headWeight: [Double] = [], headBias: [Double] = []
        switch logStdKind {
        case .none: break
        case .parameter: logStd = try tensor("log_std", [actionDim])
        case .head:
            headWeight = try tensor("log_std_head.weight", [actionDim, inputs])
            headBias = try tensor("log_std_head.bias", [actionDim], default: 0)
        }
        if let extra = file.tensorNames.first(where: { unused.contains($0) }) {
            let hint = (extra.hasPrefix("log_std") ? " (does `pld.log_std` say how σ is given?)" : "")
                + (extra.contains(".ln.") ? " (is `pld.layer_norm` \"true\"?)" : "")
            throw fail("not part of the architecture the metadata describes\(hint)", tensor: extra)
        }

        self.init(
            architecture: arch, observationMean: mean, observationStd: std, layers: layers,
            muWeight: muWeight, muBias: muBias, logStd: logStd, logStdHeadWeight: headWeight, logStdHeadBias: headBias,
            metadata: meta, sourcePath: nil)
    }
}
