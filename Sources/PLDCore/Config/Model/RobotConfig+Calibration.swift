extension RobotConfig {
    /// Checks this robot config against a calibration file that some of its arms reference:
    /// the entries exist, joint offsets fit each arm, and camera intrinsics match the configured
    /// frame sizes. `file` is the calibration path as written in the robot config
    /// (`arms[].calibration.file`); only arms referencing it are checked. Issues point into the
    /// robot config.
    public func calibrationIssues(_ calibration: CalibrationConfig, file: String) -> [ConfigIssue] {
        var v = ConfigValidator()
        for (index, arm) in arms.enumerated() {
            guard let reference = arm.calibration, reference.file == file else { continue }
            let path = ConfigPath.root["arms"][index]["calibration"]
            let entryName = reference.arm ?? arm.name
            guard let entry = calibration.arm(named: entryName) else {
                v.fail(reference.arm == nil ? path : path["arm"], "no arm `\(entryName)` in calibration \(file); it has: \(calibration.arms.map(\.name).joined(separator: ", "))")
                continue
            }
            if entry.jointOffsetsRad.count != arm.jointCount {
                v.fail(path, "calibration \(file) arm `\(entryName)` has \(entry.jointOffsetsRad.count) joint offsets, arm `\(arm.name)` has \(arm.jointCount) joints")
            }
        }
        for (index, camera) in cameras.enumerated() {
            guard let entry = calibration.camera(named: camera.name) else { continue }
            let intrinsics = entry.intrinsics
            if intrinsics.width != camera.width || intrinsics.height != camera.height {
                v.fail(ConfigPath.root["cameras"][index]["width"], "camera `\(camera.name)` is \(camera.width)×\(camera.height) here but calibrated at \(intrinsics.width)×\(intrinsics.height) in \(file)")
            }
        }
        return v.issues
    }
}

extension LoadedConfig where Value == RobotConfig {
    /// Loads every calibration file the arms reference (paths relative to the robot config),
    /// validates each, and checks it against the robot config. Keyed by the path as written.
    public func loadCalibrations() throws(ConfigError) -> [String: LoadedConfig<CalibrationConfig>] {
        var result: [String: LoadedConfig<CalibrationConfig>] = [:]
        for arm in value.arms {
            guard let file = arm.calibration?.file, result[file] == nil else { continue }
            let calibration = try CalibrationConfig.loadWithSource(path: source.resolve(file))
            let issues = value.calibrationIssues(calibration.value, file: file)
            if let first = ConfigLoader.errors(for: issues, file: source.file, lineIndex: source.lineIndex).first {
                throw first
            }
            result[file] = calibration
        }
        return result
    }
}
