import ArgumentParser
import OperatorCLI
import PLDCore

struct Config: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Work with robot configs and calibration files.",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load and validate robot configs (RobotConfigs/) and calibration files (Calibration/).",
            discussion: """
                Every error names the file, the line and the field path. A file in a \
                directory named Calibration is read as a calibration file, anything else as a \
                robot config (whose referenced calibration files are loaded and cross-checked \
                too). Use --calibration to read every file as calibration.
                """)

        @Argument(help: ArgumentHelp("Files to check.", valueName: "FILE"))
        var files: [String]

        @Flag(help: "Read every file as a calibration file.")
        var calibration = false

        func run() throws {
            var failures = 0
            for file in files {
                let asCalibration = calibration || file.split(separator: "/").dropLast().last == "Calibration"
                do {
                    if asCalibration {
                        let loaded = try CalibrationConfig.load(path: file)
                        print("ok  \(file): calibration for \(loaded.arms.count) arm(s), \(loaded.cameras.count) camera(s)")
                    } else {
                        let loaded = try RobotConfig.loadWithSource(path: file)
                        // The calibration files the arms reference load and agree with the config.
                        let calibrations = try loaded.loadCalibrations()
                        let robot = loaded.value
                        print("ok  \(file): \(robot.name), \(robot.arms.count) arm(s) at \(robot.control.rateHz) Hz, \(calibrations.count) calibration file(s)")
                    }
                } catch {
                    printError(error.description)
                    failures += 1
                }
            }
            if failures > 0 { throw ExitCode.failure }
        }
    }
}

/// Loads a robot config or exits with status 1 after printing the one-line error.
@discardableResult
func loadRobotConfigOrExit(_ path: String) throws -> RobotConfig {
    do {
        return try RobotConfig.load(path: path)
    } catch {
        printError(error.description)
        throw ExitCode.failure
    }
}
