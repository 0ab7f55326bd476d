import Foundation
import PLDCore
import Testing

/// The repository root, found from this file's location (Tests/PLDCoreTests/<file>).
let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func yamlFiles(in directory: String) -> [String] {
    let url = repositoryRoot.appendingPathComponent(directory)
    let names = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
    return names.filter { $0.hasSuffix(".yaml") }.sorted().map { url.appendingPathComponent($0).path }
}

@Suite struct ExampleConfigTests {
    static let robotConfigs = yamlFiles(in: "RobotConfigs")
    static let calibrations = yamlFiles(in: "Calibration")

    @Test func everyExampleDirectoryHasFiles() {
        #expect(Self.robotConfigs.count >= 4)
        #expect(Self.calibrations.count >= 4)
    }

    @Test(arguments: robotConfigs)
    func shippedRobotConfigLoadsAndValidates(path: String) throws {
        do {
            let loaded = try RobotConfig.loadWithSource(path: path)
            #expect(!loaded.source.rawBytes.isEmpty)
            #expect(!loaded.canonicalJSON().isEmpty)
            let calibrations = try loaded.loadCalibrations()
            #expect(calibrations.count >= 1, "every shipped robot config references a calibration")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test(arguments: calibrations)
    func shippedCalibrationLoadsAndValidates(path: String) {
        do {
            _ = try CalibrationConfig.load(path: path)
        } catch {
            Issue.record("\(error)")
        }
    }
}

/// Every key of the effective configuration (defaults filled in) must be written in the
/// example — as a live key or a commented-out one — so the examples document every field.
func undocumentedKeys<T: ConfigDocument>(_ value: T, in text: String) throws -> [String] {
    let json = try JSONSerialization.jsonObject(with: Data(value.canonicalJSON().utf8))
    var keys = Set<String>()
    func collect(_ object: Any) {
        if let dictionary = object as? [String: Any] {
            for (key, nested) in dictionary {
                keys.insert(key)
                collect(nested)
            }
        } else if let array = object as? [Any] {
            array.forEach(collect)
        }
    }
    collect(json)
    return keys.filter { !text.contains("\($0):") }.sorted()
}

/// TCP ports a config listens on or connects to on loopback/any interface.
func localTCPPorts(_ config: RobotConfig) -> Set<Int> {
    var ports = Set<Int>()
    for arm in config.arms {
        if let franka = arm.franka { franka.ports.all.forEach { ports.insert($0.port) } }
        if let pld = arm.pldArm {
            for endpoint in [pld.stateEndpoint, pld.commandEndpoint, pld.controlEndpoint] {
                if let port = endpoint.port { ports.insert(port) }
            }
        }
    }
    config.cameras.compactMap(\.endpoint.port).forEach { ports.insert($0) }
    config.features.compactMap(\.endpoint.port).forEach { ports.insert($0) }
    if let port = config.policy.url.port { ports.insert(port) }
    if let port = config.operator.metricsPort { ports.insert(port) }
    return ports
}

@Suite struct ExampleDocumentationTests {
    @Test(arguments: ExampleConfigTests.robotConfigs)
    func robotConfigExampleWritesOutEveryField(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let config = try RobotConfig.load(path: path)
        let missing = try undocumentedKeys(config, in: text)
        #expect(missing.isEmpty, "not written out: \(missing)")
    }

    @Test(arguments: ExampleConfigTests.calibrations)
    func calibrationExampleWritesOutEveryField(path: String) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let calibration = try CalibrationConfig.load(path: path)
        let missing = try undocumentedKeys(calibration, in: text)
        #expect(missing.isEmpty, "not written out: \(missing)")
    }

    @Test(arguments: ExampleConfigTests.robotConfigs + ExampleConfigTests.calibrations)
    func everyExampleLineIsCommentedNearby(path: String) throws {
        // Every top-level section is preceded by a comment or carries one.
        let lines = try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n")
        for (index, line) in lines.enumerated() where !line.isEmpty && !line.hasPrefix(" ") && !line.hasPrefix("#") && !line.hasPrefix("-") {
            let commented = line.contains("#") || (index > 0 && (lines[index - 1].hasPrefix("#") || lines[index - 1].hasPrefix("  #")))
                || lines[(index + 1)...].prefix(3).contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("#") }
            #expect(commented, "\(path):\(index + 1): `\(line)` has no comment")
        }
    }

    @Test func simulationConfigsUseDisjointPorts() throws {
        let franka = try RobotConfig.load(path: repositoryRoot.appendingPathComponent("RobotConfigs/franka_sim_cube.yaml").path)
        let yam = try RobotConfig.load(path: repositoryRoot.appendingPathComponent("RobotConfigs/yam_sim_gpu_insertion.yaml").path)
        #expect(localTCPPorts(franka).intersection(localTCPPorts(yam)).isEmpty)
        #expect(franka.name != yam.name, "default operator sockets are per config name")
    }

    @Test func realAndSimExamplesDescribeTheSameTask() throws {
        for (real, sim) in [("franka_real_cube", "franka_sim_cube"), ("yam_real_gpu_insertion", "yam_sim_gpu_insertion")] {
            let realConfig = try RobotConfig.load(path: repositoryRoot.appendingPathComponent("RobotConfigs/\(real).yaml").path)
            let simConfig = try RobotConfig.load(path: repositoryRoot.appendingPathComponent("RobotConfigs/\(sim).yaml").path)
            #expect(realConfig.task == simConfig.task)
            #expect(realConfig.actionDimension == simConfig.actionDimension)
            #expect(realConfig.stages.map(\.name) == simConfig.stages.map(\.name))
            #expect(realConfig.control.rateHz == simConfig.control.rateHz)
        }
    }

    @Test func yamExampleHasTheFourPaperStages() throws {
        let config = try RobotConfig.load(path: repositoryRoot.appendingPathComponent("RobotConfigs/yam_real_gpu_insertion.yaml").path)
        #expect(config.stages.count == 4)
        #expect(config.policy.observation.layout == .aloha)
        #expect(config.actionDimension == 14)
        #expect(config.reset != nil)
        #expect(config.stages.last?.onSuccess == .succeed)
    }
}
