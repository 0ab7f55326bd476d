extension RobotConfig {
    /// Range and cross-field checks: every reference resolves, vectors fit their arm, rates fit
    /// the links, the policy's layout is complete, no two sockets collide.
    public func validate() -> [ConfigIssue] {
        var v = ConfigValidator()
        let root = ConfigPath.root
        v.name(name, root["name"])
        v.check(!robotType.isEmpty, root["robot_type"], "must not be empty")
        v.check(!task.isEmpty, root["task"], "must not be empty")
        control.validate(at: root["control"], into: &v)
        validateArms(&v)
        validateActionSpace(&v)
        validateSafety(&v)
        validateSensors(&v)
        validatePolicy(&v)
        residual.validate(at: root["residual"], into: &v)
        for (index, source) in residual.inputs.enumerated() {
            checkStateSource(source, root["residual"]["inputs"][index], &v)
        }
        handoff.validate(at: root["handoff"], maxEpisodeSteps: control.maxEpisodeSteps, into: &v)
        learner.validate(at: root["learner"], into: &v)
        if learner.enabled && !residual.enabled {
            v.fail(root["learner"]["enabled"], "the learner trains the residual; enable it too (residual.enabled: true)")
        }
        if learner.enabled && residual.weightsPath != nil {
            v.fail(root["learner"]["enabled"], "the learner starts from a fresh residual; remove residual.weights_path (or learner.enabled: false to run those weights)")
        }
        validateClassifiers(&v)
        validateStages(&v)
        validateReset(&v)
        recording.validate(at: root["recording"], into: &v)
        for (index, camera) in (recording.cameras ?? []).enumerated() {
            checkCamera(camera, root["recording"]["cameras"][index], &v)
        }
        if recording.enabled && recording.video.codec != .raw && recording.video.pixelFormat == .yuv420p {
            // 4:2:0 chroma needs even sizes; refusing here beats an encoder failing mid-episode.
            for (index, camera) in cameras.enumerated() where recordedCameraNames.contains(camera.name) {
                v.check(camera.width % 2 == 0 && camera.height % 2 == 0, root["cameras"][index],
                        "yuv420p video needs an even width and height, found \(camera.width)×\(camera.height)")
            }
        }
        `operator`.validate(at: root["operator"], into: &v)
        validatePorts(&v)
        return v.issues
    }

    /// The cameras episodes record: `recording.cameras`, or every configured camera.
    public var recordedCameraNames: [String] { recording.cameras ?? cameras.map(\.name) }

    // MARK: Arms and links

    private func validateArms(_ v: inout ConfigValidator) {
        let path = ConfigPath.root["arms"]
        v.check(!arms.isEmpty, path, "at least one arm is required")
        for (index, arm) in arms.enumerated() {
            let armPath = path[index]
            arm.validate(at: armPath, into: &v)
            if let franka = arm.franka, arm.kind == .frankaDeoxys, control.rateHz < franka.policyRateHz {
                v.fail(armPath["franka"]["policy_rate_hz"], "the NUC polls at \(formatConfigNumber(franka.policyRateHz)) Hz but control.rate_hz is \(formatConfigNumber(control.rateHz)) Hz: empty polls make motion jerky and 20 in a row stop the NUC; tick at least as fast as the NUC polls")
            }
            if let pldArm = arm.pldArm, arm.kind == .pldArm, control.rateHz > 0, control.periodS >= pldArm.commandTimeoutS {
                v.fail(armPath["pld_arm"]["command_timeout_s"], "must exceed the tick period (\(formatConfigNumber(control.periodS)) s at \(formatConfigNumber(control.rateHz)) Hz), or the driver holds between commands")
            }
        }
        v.unique(arms.map(\.name), path, "arm")
    }

    private func validateActionSpace(_ v: inout ConfigValidator) {
        let path = ConfigPath.root["action_space"]["segments"]
        v.check(!actionSpace.segments.isEmpty, path, "must list one segment per arm")
        var segmentOfArm: [String: Int] = [:]
        var danglingReference = false
        for (index, segment) in actionSpace.segments.enumerated() {
            let segmentPath = path[index]
            segment.validate(at: segmentPath, into: &v)
            guard let arm = checkArm(segment.arm, segmentPath["arm"], &v) else {
                danglingReference = true
                continue
            }
            if let first = segmentOfArm[segment.arm] {
                v.fail(segmentPath["arm"], "arm `\(segment.arm)` already has a segment (segments[\(first)])")
            }
            segmentOfArm[segment.arm] = index
            switch (arm.kind, segment.kind) {
            case (.frankaDeoxys, .eeDelta):
                if let controller = arm.franka?.controller, !controller.isOperationalSpace {
                    v.fail(segmentPath["kind"], "ee_delta actions need an osc_pose or osc_position controller; arm `\(arm.name)` uses \(controller.rawValue)")
                }
            case (.frankaDeoxys, .jointPosition):
                if let controller = arm.franka?.controller, controller.isOperationalSpace {
                    v.fail(segmentPath["kind"], "joint_position actions need a joint_position or joint_impedance controller; arm `\(arm.name)` uses \(controller.rawValue)")
                }
            case (.pldArm, .eeDelta):
                v.fail(segmentPath["kind"], "pld_arm arms take joint_position actions (the PLD arm protocol commands joints)")
            case (.pldArm, .jointPosition):
                break
            }
        }
        // A dangling segment is usually the missing arm misspelt; report only the typo.
        for arm in arms where segmentOfArm[arm.name] == nil && !danglingReference {
            v.fail(path, "arm `\(arm.name)` has no action segment")
        }
        if let scale = residual.dimensionScale, scale.count != actionDimension, !actionSpace.segments.isEmpty, !danglingReference {
            v.fail(ConfigPath.root["residual"]["dimension_scale"], "has \(scale.count) values but the action space is \(actionDimension) wide (one per action dimension)")
        }
        if let actionDim = policy.actionDim, (1...256).contains(actionDim), actionDim != actionDimension, !actionSpace.segments.isEmpty {
            v.fail(ConfigPath.root["policy"]["action_dim"], "is \(actionDim) but the action space is \(actionDimension) wide (\(actionSpace.segments.map { "\($0.arm): \($0.kind.rawValue)" }.joined(separator: ", ")))")
        }
    }

    private func validateSafety(_ v: inout ConfigValidator) {
        let path = ConfigPath.root["safety"]
        safety.validate(at: path, into: &v)
        var boxOfArm: [String: Int] = [:]
        var danglingReference = false
        for (index, box) in safety.workspaces.enumerated() {
            guard checkArm(box.arm, path["workspaces"][index]["arm"], &v) != nil else {
                danglingReference = true
                continue
            }
            if let first = boxOfArm[box.arm] {
                v.fail(path["workspaces"][index]["arm"], "arm `\(box.arm)` already has a workspace (workspaces[\(first)])")
            }
            boxOfArm[box.arm] = index
        }
        for segment in actionSpace.segments where segment.kind == .eeDelta && arm(named: segment.arm) != nil && !danglingReference {
            if boxOfArm[segment.arm] == nil {
                v.fail(path["workspaces"], "arm `\(segment.arm)` moves in ee_delta but has no workspace box")
            }
        }
        if safety.jointLimits.source == .driver, let franka = arms.first(where: { $0.kind == .frankaDeoxys }) {
            v.fail(path["joint_limits"]["source"], "arm `\(franka.name)` (franka_deoxys) reports no limits; use config or tightest")
        }
    }

    private func validateSensors(_ v: inout ConfigValidator) {
        for (index, camera) in cameras.enumerated() {
            camera.validate(at: ConfigPath.root["cameras"][index], into: &v)
        }
        v.unique(cameras.map(\.name), ConfigPath.root["cameras"], "camera")
        for (index, feature) in features.enumerated() {
            feature.validate(at: ConfigPath.root["features"][index], into: &v)
        }
        v.unique(features.map(\.name), ConfigPath.root["features"], "feature")
        if features.count > FeatureLimits.streams {
            v.fail(ConfigPath.root["features"], "\(features.count) feature streams; the runtime carries at most \(FeatureLimits.streams)")
        }
        let featureValues = features.reduce(0) { $0 + $1.dims }
        if featureValues > FeatureLimits.values {
            v.fail(ConfigPath.root["features"], "the feature streams carry \(featureValues) values in total; the runtime carries at most \(FeatureLimits.values) per tick")
        }
    }

    // MARK: Policy

    private struct LayoutKey {
        let key: String
        let isImage: Bool
        let required: Bool
        let dims: Int?
    }

    private static func layoutKeys(_ layout: ObservationLayout) -> [LayoutKey]? {
        switch layout {
        case .droid:
            return [
                LayoutKey(key: "observation/exterior_image_1_left", isImage: true, required: true, dims: nil),
                LayoutKey(key: "observation/wrist_image_left", isImage: true, required: true, dims: nil),
                LayoutKey(key: "observation/joint_position", isImage: false, required: true, dims: 7),
                LayoutKey(key: "observation/gripper_position", isImage: false, required: true, dims: 1),
            ]
        case .libero:
            return [
                LayoutKey(key: "observation/image", isImage: true, required: true, dims: nil),
                LayoutKey(key: "observation/wrist_image", isImage: true, required: true, dims: nil),
                LayoutKey(key: "observation/state", isImage: false, required: true, dims: 8),
            ]
        case .aloha:
            return [
                LayoutKey(key: "state", isImage: false, required: true, dims: 14),
                LayoutKey(key: "images.cam_high", isImage: true, required: true, dims: nil),
                LayoutKey(key: "images.cam_low", isImage: true, required: false, dims: nil),
                LayoutKey(key: "images.cam_left_wrist", isImage: true, required: false, dims: nil),
                LayoutKey(key: "images.cam_right_wrist", isImage: true, required: false, dims: nil),
            ]
        case .custom:
            return nil
        }
    }

    private func validatePolicy(_ v: inout ConfigValidator) {
        let path = ConfigPath.root["policy"]
        policy.validate(at: path, into: &v)
        let observation = policy.observation
        let inputsPath = path["observation"]["inputs"]
        let expected = Self.layoutKeys(observation.layout)
        var foreignKey = false
        for (index, input) in observation.inputs.enumerated() {
            let inputPath = inputsPath[index]
            var width = 0
            var resolved = true
            for (sourceIndex, source) in input.from.enumerated() {
                let sourcePath = inputPath["from"][sourceIndex]
                if case .camera(let name) = source {
                    checkCamera(name, sourcePath, &v)
                } else if let dims = checkStateSource(source, sourcePath, &v) {
                    width += dims
                } else {
                    resolved = false
                }
            }
            guard let expected else { continue }
            guard let spec = expected.first(where: { $0.key == input.key }) else {
                foreignKey = true
                v.fail(inputPath["key"], "`\(input.key)` is not a key of the \(observation.layout.rawValue) layout; expected one of: \(expected.map(\.key).joined(separator: ", ")) (or use layout custom)")
                continue
            }
            if spec.isImage != input.isImage {
                v.fail(inputPath["from"], spec.isImage ? "`\(input.key)` is an image: give one camera source" : "`\(input.key)` is a state vector: give arm or feature sources, not a camera")
            } else if let dims = spec.dims, resolved, width != dims {
                v.fail(inputPath["from"], "`\(input.key)` must be \(dims) values wide in the \(observation.layout.rawValue) layout, these sources give \(width)")
            }
        }
        // A foreign key is usually a required key misspelt; report only the foreign key.
        if let expected, !foreignKey {
            let present = Set(observation.inputs.map(\.key))
            for spec in expected where spec.required && !present.contains(spec.key) {
                v.fail(inputsPath, "the \(observation.layout.rawValue) layout needs an input with key `\(spec.key)`")
            }
        }
    }

    // MARK: Classifiers, stages, reset

    private func validateClassifiers(_ v: inout ConfigValidator) {
        let path = ConfigPath.root["classifiers"]
        for (index, classifier) in classifiers.enumerated() {
            let classifierPath = path[index]
            classifier.validate(at: classifierPath, into: &v)
            for (sourceIndex, source) in classifier.inputs.enumerated() {
                let sourcePath = classifierPath["inputs"][sourceIndex]
                if case .camera(let name) = source { checkCamera(name, sourcePath, &v) } else { checkStateSource(source, sourcePath, &v) }
            }
            validateRules(classifier.rules ?? [], classifierPath["rules"], &v)
        }
        v.unique(classifiers.map(\.name), path, "classifier")
    }

    private func validateRules(_ rules: [ClassifierRule], _ path: ConfigPath, _ v: inout ConfigValidator) {
        for (ruleIndex, rule) in rules.enumerated() {
            let rulePath = path[ruleIndex]
            if rule.source.isCamera {
                v.fail(rulePath["source"], "rules compare numbers; a camera cannot be a rule source")
            } else if let dims = checkStateSource(rule.source, rulePath["source"], &v) {
                v.range(rule.index, .rightOpen(0, Double(dims)), rulePath["index"])
            }
        }
    }

    private func validateStages(_ v: inout ConfigValidator) {
        let path = ConfigPath.root["stages"]
        let stageNames = Set(stages.map(\.name))
        for (index, stage) in stages.enumerated() {
            let stagePath = path[index]
            stage.validate(at: stagePath, into: &v)
            for (key, trigger) in [("success", stage.success), ("failure", stage.failure)] {
                guard let trigger else { continue }
                checkClassifier(trigger.classifier, stagePath[key]["classifier"], &v)
                validateRules(trigger.require, stagePath[key]["require"], &v)
            }
            for (waypointIndex, waypoint) in (stage.retryPose ?? []).enumerated() {
                let waypointPath = stagePath["retry_pose"][waypointIndex]
                if let arm = checkArm(waypoint.arm, waypointPath["arm"], &v) {
                    checkJointTarget(waypoint.jointsRad, of: arm, waypointPath["joints_rad"], &v)
                    checkJointMotionArm(arm, waypointPath["arm"], &v)
                }
            }
            if stage.residualWeightsPath != nil && !residual.enabled {
                v.fail(stagePath["residual_weights_path"], "the run's residual is disabled (residual.enabled: false)")
            }
            for (key, transition) in [("on_success", stage.onSuccess), ("on_failure", stage.onFailure), ("on_timeout", stage.onTimeout)] {
                switch transition {
                case .stage(let target):
                    if !stageNames.contains(target) {
                        v.fail(stagePath[key], "no stage named `\(target)`; stages are: \(stages.map(\.name).joined(separator: ", "))")
                    }
                case .retry:
                    if stage.retries == 0 {
                        v.fail(stagePath[key], "is retry but the stage has retries: 0")
                    }
                case .restart:
                    if reset == nil { v.fail(stagePath[key], "restart needs a reset section") }
                default:
                    break
                }
            }
            for (gateIndex, gate) in stage.gates.enumerated() {
                validateGate(gate, stagePath["gates"][gateIndex], &v)
            }
            for (waypointIndex, waypoint) in (stage.motion ?? []).enumerated() {
                let waypointPath = stagePath["motion"][waypointIndex]
                if let arm = checkArm(waypoint.arm, waypointPath["arm"], &v) {
                    checkJointTarget(waypoint.jointsRad, of: arm, waypointPath["joints_rad"], &v)
                    checkJointMotionArm(arm, waypointPath["arm"], &v)
                }
            }
        }
        if stages.count > Self.maxStages {
            v.fail(path, "\(stages.count) stages; at most \(Self.maxStages) are supported (episode records keep per-stage counts inline)")
        }
        v.unique(stages.map(\.name), path, "stage")
        if Set(stages.map(\.name)).count == stages.count {
            for problem in StageGraph(stages: stages).problems() { v.fail(path[problem.stage], problem.message) }
        }
        if let success {
            if stages.isEmpty {
                success.validate(at: ConfigPath.root["success"], into: &v)
                checkClassifier(success.classifier, ConfigPath.root["success"]["classifier"], &v)
            } else {
                v.fail(ConfigPath.root["success"], "only valid without stages (each stage has its own success trigger)")
            }
        }
    }

    /// Most stages a task may have (`StageMachine.maxStages`).
    public static let maxStages = 16

    /// Scripted joint motions inside an episode run on PLD arms: a Franka would have to switch
    /// its deoxys controller mid-episode, which only the reset between episodes does.
    private func checkJointMotionArm(_ arm: ArmConfig, _ path: ConfigPath, _ v: inout ConfigValidator) {
        if arm.kind != .pldArm {
            v.fail(path, "arm `\(arm.name)` is \(arm.kind.rawValue); scripted motions within an episode need a pld_arm arm (use a `restart` transition to move a Franka home)")
        }
    }

    private func validateReset(_ v: inout ConfigValidator) {
        guard let reset else { return }
        let path = ConfigPath.root["reset"]
        reset.validate(at: path, into: &v)
        var homeOfArm: [String: Int] = [:]
        for (index, pose) in reset.home.enumerated() {
            let posePath = path["home"][index]
            guard let arm = checkArm(pose.arm, posePath["arm"], &v) else { continue }
            if let first = homeOfArm[pose.arm] {
                v.fail(posePath["arm"], "arm `\(pose.arm)` already has a home pose (home[\(first)])")
            }
            homeOfArm[pose.arm] = index
            checkJointTarget(pose.jointsRad, of: arm, posePath["joints_rad"], &v)
        }
        for arm in arms where homeOfArm[arm.name] == nil {
            v.fail(path["home"], "arm `\(arm.name)` has no home pose")
        }
        for (index, gate) in reset.gates.enumerated() {
            validateGate(gate, path["gates"][index], &v)
        }
    }

    private func validateGate(_ gate: GateCondition, _ path: ConfigPath, _ v: inout ConfigValidator) {
        gate.validate(at: path, into: &v)
        if let name = gate.arm, let arm = checkArm(name, path["arm"], &v), let joints = gate.jointsRad {
            checkJointTarget(joints, of: arm, path["joints_rad"], &v)
        }
        if let classifier = gate.classifier { checkClassifier(classifier, path["classifier"], &v) }
    }
}
