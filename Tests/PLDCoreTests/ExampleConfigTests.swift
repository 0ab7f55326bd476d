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
