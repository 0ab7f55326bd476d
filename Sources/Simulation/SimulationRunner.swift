import Foundation
import MuJoCo
import PLDCore
import ZeroMQ

/// Everything `pld sim` runs for one scene: the MuJoCo world, one simulated device per arm in
/// the robot config (a deoxys NUC for `franka_deoxys` arms, a PLD-arm driver for `pld_arm`
/// arms), the cameras and the feature streams — on exactly the endpoints the config names, so
/// `pld run --config` with the same file cannot tell the simulator from the real cell.
///
/// Threading: `start()` and `stop()` from one thread; the parts run on their own threads.
public final class SimulationRunner: Sendable {
    public struct Options: Sendable {
        public var speed = 1.0
        public var faults: [SimFault] = []
        /// Camera frames per sim second (renders are slow in software GL; see CameraPublisher).
        public var cameraRateHz = 10.0
        /// Rendered frames or a cheap moving test pattern.
        public var cameraSource = CameraPublisher.Source.render
        /// Feature vectors per sim second.
        public var featureRateHz = 50.0
        /// Serve the scene's scripted base policy on the config's `policy.url` (openpi only).
        public var servePolicy = true
        /// Actions per chunk the scripted policy returns.
        public var policyChunkSteps = 10
        /// Inference latency the policy server adds before each reply, sim s (scaled by speed).
        public var policyLatencyS = 0.1
        /// Seed of the scene's randomness (cube or card placement).
        public var seed: UInt64 = 1
        public var log: SimLog = .standardError
        public init() {}
    }

    public let scene: SceneName
    public let config: RobotConfig
    public let clock: SimClock
    public let world: SimWorld
    public let frankas: [FrankaNUCSimulator]
    public let pldArms: [PLDArmDriverSimulator]
    public let frankaPlants: [FrankaPhysics]
    public let pldArmPlants: [YAMPhysics]
    public let cameras: CameraPublisher
    public let features: FeaturePublisher
    /// The scripted base policy's openpi server (nil when the config's policy is not openpi).
    public let policyServer: OpenPIPolicyServer?
    /// franka-cube's reset fixture and ground truth (nil for other scenes).
    public let cubeTask: FrankaCubeTask?
    /// yam-gpu-insertion's reset fixture and ground truth (nil for other scenes).
    public let gpuTask: YAMGPUInsertionTask?
    private let context: Context
    /// The `policy-*` faults' schedule (nil without any, or without a policy server).
    private let policyFaults: PolicyFaultInjector?

    /// Builds the scene and the devices; binds nothing yet.
    /// - Throws: a one-line ``SimulationError`` naming what in the config the scene cannot serve.
    public init(scene: SceneName, config: RobotConfig, options: Options = Options()) throws(SimulationError) {
        self.scene = scene
        self.config = config
        clock = SimClock(speed: options.speed)
        do {
            context = try Context(ioThreads: 2)
            let model = try MJCFModel(rawValue: scene.modelName)!.load()
            world = try SimWorld(model: model, clock: clock)
        } catch {
            throw SimulationError("pld sim: \(error)")
        }
        var frankas: [FrankaNUCSimulator] = [], pldArms: [PLDArmDriverSimulator] = []
        var frankaPlants: [FrankaPhysics] = [], pldArmPlants: [YAMPhysics] = []
        for arm in config.arms {
            switch (arm.kind, scene) {
            case (.frankaDeoxys, .frankaCube):
                guard let franka = arm.franka else { continue }
                do {
                    let plant = try FrankaPhysics(world: world)
                    plant.translationalStiffness = SIMD3(franka.osc.translationalStiffness)
                    plant.rotationalStiffness = SIMD3(franka.osc.rotationalStiffness)
                    var nucOptions = FrankaNUCSimulator.Options()
                    nucOptions.armName = arm.name
                    nucOptions.faults = options.faults
                    nucOptions.log = options.log
                    frankas.append(try FrankaNUCSimulator(config: franka, plant: plant, clock: clock, options: nucOptions, context: context))
                    frankaPlants.append(plant)
                } catch {
                    throw SimulationError("pld sim: arm `\(arm.name)`: \(error)")
                }
            case (.pldArm, .yamGPUInsertion):
                guard var settings = PLDArmDriverSettings(arm: arm) else {
                    throw SimulationError("pld sim: arm `\(arm.name)` has no pld_arm section")
                }
                settings.faults = options.faults
                settings.log = options.log
                let plant: YAMPhysics
                do {
                    plant = try YAMPhysics(world: world, prefix: "\(arm.name)_")
                } catch {
                    throw SimulationError(
                        "pld sim: arm `\(arm.name)`: scene \(scene.rawValue) has no arm with that prefix (\(error))")
                }
                do {
                    pldArms.append(try PLDArmDriverSimulator(settings: settings, plant: plant, clock: clock, context: context))
                    pldArmPlants.append(plant)
                } catch {
                    throw SimulationError("pld sim: arm `\(arm.name)`: \(error)")
                }
            default:
                throw SimulationError(
                    "pld sim: arm `\(arm.name)` is \(arm.kind.rawValue), which scene \(scene.rawValue) does not simulate")
            }
        }
        self.frankas = frankas
        self.pldArms = pldArms
        self.frankaPlants = frankaPlants
        self.pldArmPlants = pldArmPlants
        cameras = CameraPublisher(
            world: world, cameras: config.cameras, rateHz: options.cameraRateHz, faults: options.faults,
            source: options.cameraSource, log: options.log)
        features = FeaturePublisher(world: world, features: config.features, rateHz: options.featureRateHz)
        var task: FrankaCubeTask?
        if scene == .frankaCube {
            do {
                task = try FrankaCubeTask(world: world, seed: options.seed, log: options.log)
            } catch {
                throw SimulationError("pld sim: \(error)")
            }
        }
        cubeTask = task
        var gpuTask: YAMGPUInsertionTask?
        if scene == .yamGPUInsertion {
            do {
                gpuTask = try YAMGPUInsertionTask(world: world, seed: options.seed, log: options.log)
            } catch {
                throw SimulationError("pld sim: \(error)")
            }
        }
        self.gpuTask = gpuTask
        if options.servePolicy && config.policy.kind == .openpi {
            let handler: OpenPIPolicyServer.Handler
            if let task {
                var script = FrankaCubeScript()
                if let segment = config.actionSpace.segments.first { script.translationMPerUnit = segment.translationScaleM }
                handler = ScriptedPolicies.frankaCube(task: task, script: script, steps: options.policyChunkSteps)
            } else if let gpuTask, config.arms.map(\.name) == ["left", "right"] {
                let policy: YAMGPUInsertionPolicy
                do {
                    policy = try YAMGPUInsertionPolicy(
                        task: gpuTask, jointLimits: config.arms.map { ($0.jointLimits.lowerRad, $0.jointLimits.upperRad) },
                        latencyS: options.policyLatencyS, log: options.log)
                } catch {
                    throw SimulationError("pld sim: \(error)")
                }
                handler = ScriptedPolicies.yamGPUInsertion(
                    policy: policy, promptKey: config.policy.observation.promptKey, steps: options.policyChunkSteps)
            } else {
                handler = ScriptedPolicies.yamHold(plants: pldArmPlants, steps: options.policyChunkSteps)
            }
            let server = OpenPIPolicyServer(bind: config.policy.url, metadata: ["scene": .string(scene.rawValue)], handler: handler)
            server.latencySeconds = options.policyLatencyS / options.speed
            policyServer = server
            policyFaults = PolicyFaultInjector(faults: options.faults, server: server, clock: clock, log: options.log)
        } else {
            policyServer = nil
            policyFaults = nil
            if options.faults.contains(where: \.isPolicyFault) {
                throw SimulationError("pld sim: policy-* faults need the scripted policy server, which serves only openpi configs")
            }
        }
    }

    /// Starts physics, then binds and starts every device and stream.
    public func start() throws(SimulationError) {
        world.start()
        do {
            for nuc in frankas { try nuc.start() }
            for driver in pldArms { try driver.start() }
        } catch {
            stop()
            throw SimulationError("pld sim: \(error)")
        }
        do {
            try features.start(context: context)
            try cameras.start(context: context)
        } catch {
            stop()
            throw error
        }
        do {
            try policyServer?.start()
            policyFaults?.start()
        } catch {
            stop()
            throw SimulationError("pld sim: \(error)")
        }
    }

    public func stop() {
        policyFaults?.stop()
        policyServer?.stop()
        cameras.stop()
        features.stop()
        for nuc in frankas { nuc.stop() }
        for driver in pldArms { driver.stop() }
        world.stop()
    }

    /// The endpoints this simulation serves, one per line, for the ready message.
    public var endpointSummary: [String] {
        frankas.map { "franka NUC: commands from \($0.armCommandEndpoint) and \($0.gripperCommandEndpoint), state on \($0.armStateEndpoint) and \($0.gripperStateEndpoint)" }
            + pldArms.map { "pld_arm driver: state \($0.stateEndpoint), control \($0.controlEndpoint), commands from \($0.commandEndpoint)" }
            + config.cameras.map { "camera \($0.name): \($0.endpoint)" }
            + config.features.map { "feature \($0.name): \($0.endpoint)" }
            + (policyServer.map { ["base policy (scripted, openpi protocol): \($0.url)"] } ?? [])
    }
}

extension SceneName {
    /// The bundled MJCF scene (`MJCFModel` raw value).
    var modelName: String {
        switch self {
        case .frankaCube: MJCFModel.frankaCube.rawValue
        case .yamGPUInsertion: MJCFModel.yamGPUInsertion.rawValue
        }
    }

    /// The shipped sim robot config for this scene, relative to the repository root.
    public var defaultConfigPath: String {
        switch self {
        case .frankaCube: "RobotConfigs/franka_sim_cube.yaml"
        case .yamGPUInsertion: "RobotConfigs/yam_sim_gpu_insertion.yaml"
        }
    }
}
