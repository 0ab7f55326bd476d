import Foundation

/// Per-site calibration (`Calibration/*.yaml`): joint zero offsets, gripper ranges and base
/// poses of the arms, and camera intrinsics and extrinsics. Kept apart from the robot config
/// because it belongs to the physical cell, not the task; it is hashed into recordings
/// separately.
public struct CalibrationConfig: ConfigDocument {
    public var name: String
    public var description = ""
    public var arms: [ArmCalibration]
    public var cameras: [CameraCalibration] = []

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.required(.name)
        arms = try c.required(.arms)
        description = try c.value(.description, default: description)
        cameras = try c.value(.cameras, default: cameras)
    }

    public func arm(named name: String) -> ArmCalibration? { arms.first { $0.name == name } }
    public func camera(named name: String) -> CameraCalibration? { cameras.first { $0.name == name } }

    public func validate() -> [ConfigIssue] {
        var v = ConfigValidator()
        let root = ConfigPath.root
        v.name(name, root["name"])
        v.check(!arms.isEmpty, root["arms"], "at least one arm is required")
        let frames = Set(["world"] + arms.flatMap { ["\($0.name)/base", "\($0.name)/flange"] })
        for (index, arm) in arms.enumerated() {
            let path = root["arms"][index]
            v.name(arm.name, path["name"])
            v.range(arm.jointOffsetsRad, .closed(-.pi, .pi), path["joint_offsets_rad"], unit: "rad")
            v.check(!arm.jointOffsetsRad.isEmpty, path["joint_offsets_rad"], "must list one offset per joint")
            arm.gripperRange?.validate(at: path["gripper_range"], into: &v)
            arm.basePose.validate(at: path["base_pose"], into: &v)
            v.check(arm.basePose.parentFrame == "world", path["base_pose"]["parent_frame"], "an arm base is placed in the world frame")
        }
        v.unique(arms.map(\.name), root["arms"], "arm")
        for (index, camera) in cameras.enumerated() {
            let path = root["cameras"][index]
            v.name(camera.name, path["name"])
            camera.intrinsics.validate(at: path["intrinsics"], into: &v)
            camera.extrinsics.validate(at: path["extrinsics"], into: &v)
            let parent = camera.extrinsics.parentFrame
            v.check(frames.contains(parent), path["extrinsics"]["parent_frame"], "unknown frame `\(parent)`; expected one of: \(frames.sorted().joined(separator: ", "))")
        }
        v.unique(cameras.map(\.name), root["cameras"], "camera")
        return v.issues
    }
}

public struct ArmCalibration: Codable, Sendable, Equatable {
    /// Matches `arms[].calibration.arm` (or the arm name) in the robot config.
    public var name: String
    /// Added to measured joint positions (q_true = q_measured + offset), rad, one per joint.
    public var jointOffsetsRad: [Double]
    public var gripperRange: GripperRange?
    /// Pose of the arm's base frame in the world frame.
    public var basePose: PoseConfig
}

public enum GripperRangeUnit: String, ConfigEnum {
    /// Finger opening, m (Franka Hand).
    case m
    /// Gripper motor position, rad (YAM linear grippers: the motor turns > 2π over the stroke).
    case rad
}

/// The vendor readings at fully closed and fully open; normalised 0 … 1 maps between them.
public struct GripperRange: Codable, Sendable, Equatable {
    public var closed: Double
    public var open: Double
    public var unit: GripperRangeUnit

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.check(closed != open, path["open"], "must differ from closed")
        switch unit {
        case .m:
            v.range(closed, .closed(0, 0.3), path["closed"], unit: "m")
            v.range(open, .closed(0, 0.3), path["open"], unit: "m")
        case .rad:
            v.range(closed, .closed(-50, 50), path["closed"], unit: "rad")
            v.range(open, .closed(-50, 50), path["open"], unit: "rad")
        }
    }
}

/// A rigid transform: position plus exactly one of `quaternion_wxyz` (unit) or `rpy_rad`
/// (roll, pitch, yaw about fixed x, y, z).
public struct PoseConfig: Codable, Sendable, Equatable {
    /// `world`, `<arm>/base` or `<arm>/flange`. Default `world`.
    public var parentFrame = "world"
    /// x, y, z, m.
    public var positionM: [Double]
    public var quaternionWxyz: [Double]?
    public var rpyRad: [Double]?

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        positionM = try c.required(.positionM)
        parentFrame = try c.value(.parentFrame, default: parentFrame)
        quaternionWxyz = try c.optional(.quaternionWxyz)
        rpyRad = try c.optional(.rpyRad)
    }

    /// The orientation as a unit quaternion (w, x, y, z), from whichever form was written.
    public var orientationWxyz: [Double] {
        if let quaternionWxyz, quaternionWxyz.count == 4 { return quaternionWxyz }
        guard let rpy = rpyRad, rpy.count == 3 else { return [1, 0, 0, 0] }
        let (cr, sr) = (cos(rpy[0] / 2), sin(rpy[0] / 2))
        let (cp, sp) = (cos(rpy[1] / 2), sin(rpy[1] / 2))
        let (cy, sy) = (cos(rpy[2] / 2), sin(rpy[2] / 2))
        return [cr * cp * cy + sr * sp * sy,
                sr * cp * cy - cr * sp * sy,
                cr * sp * cy + sr * cp * sy,
                cr * cp * sy - sr * sp * cy]
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.count(positionM, 3, path["position_m"], "x, y, z")
        v.range(positionM, .closed(-10, 10), path["position_m"], unit: "m")
        switch (quaternionWxyz, rpyRad) {
        case (nil, nil):
            v.fail(path, "give the orientation as quaternion_wxyz or rpy_rad")
        case (.some, .some):
            v.fail(path["rpy_rad"], "give quaternion_wxyz or rpy_rad, not both")
        case (let quaternion?, nil):
            if v.count(quaternion, 4, path["quaternion_wxyz"], "w, x, y, z") {
                let norm = quaternion.reduce(0) { $0 + $1 * $1 }.squareRoot()
                if abs(norm - 1) > 1e-3 {
                    v.fail(path["quaternion_wxyz"], "must be a unit quaternion, norm is \(norm)")
                }
            }
        case (nil, let rpy?):
            v.count(rpy, 3, path["rpy_rad"], "roll, pitch, yaw")
            v.range(rpy, .closed(-2 * .pi, 2 * .pi), path["rpy_rad"], unit: "rad")
        }
    }
}

public enum DistortionModel: String, ConfigEnum {
    /// No distortion (rectified images); `distortion` is empty.
    case none
    /// k1, k2, p1, p2, k3 (OpenCV / ROS default).
    case plumbBob = "plumb_bob"
    /// k1, k2, k3, k4 (fisheye).
    case equidistant
    /// k1, k2, p1, p2, k3, k4, k5, k6.
    case rationalPolynomial = "rational_polynomial"

    public var coefficientCount: Int {
        switch self {
        case .none: return 0
        case .plumbBob: return 5
        case .equidistant: return 4
        case .rationalPolynomial: return 8
        }
    }
}

public struct CameraIntrinsics: Codable, Sendable, Equatable {
    /// Image size the intrinsics were calibrated at, pixels.
    public var width: Int
    public var height: Int
    /// Focal lengths and principal point, pixels.
    public var fx: Double
    public var fy: Double
    public var cx: Double
    public var cy: Double
    public var distortionModel = DistortionModel.none
    public var distortion: [Double] = []

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        width = try c.required(.width)
        height = try c.required(.height)
        fx = try c.required(.fx)
        fy = try c.required(.fy)
        cx = try c.required(.cx)
        cy = try c.required(.cy)
        distortionModel = try c.value(.distortionModel, default: distortionModel)
        distortion = try c.value(.distortion, default: distortion)
    }

    func validate(at path: ConfigPath, into v: inout ConfigValidator) {
        v.range(width, .closed(1, 8192), path["width"], unit: "px")
        v.range(height, .closed(1, 8192), path["height"], unit: "px")
        v.range(fx, .leftOpen(0, 100_000), path["fx"], unit: "px")
        v.range(fy, .leftOpen(0, 100_000), path["fy"], unit: "px")
        v.range(cx, .closed(0, Double(width)), path["cx"], unit: "px (within the image width)")
        v.range(cy, .closed(0, Double(height)), path["cy"], unit: "px (within the image height)")
        v.count(distortion, distortionModel.coefficientCount, path["distortion"], "coefficients of \(distortionModel.rawValue)")
    }
}

public struct CameraCalibration: Codable, Sendable, Equatable {
    /// Matches a camera name in the robot config.
    public var name: String
    public var intrinsics: CameraIntrinsics
    /// Pose of the camera's optical frame (x right, y down, z forward) in `parent_frame`.
    public var extrinsics: PoseConfig
}
