import Foundation

/// The MJCF models shipped in this module's bundle (`Sources/MuJoCo/Models`).
///
/// ```swift
/// let model = try MJCFModel.frankaCube.load()
/// ```
public enum MJCFModel: String, CaseIterable, Sendable {
    /// Franka Emika Panda with the Franka Hand (`panda.xml`): joints `joint1`…`joint7`,
    /// `finger_joint1/2`; sites `flange`, `ee`; camera `wrist`; actuators `joint1`…`joint7`,
    /// `gripper`.
    case panda = "panda"
    /// One i2rt YAM arm with the linear gripper (`yam.xml`): joints `joint1`…`joint6`,
    /// `finger1/2`; sites `tcp`, `grasp`; camera `wrist`; actuators `joint1`…`joint6`,
    /// `gripper`; keyframe `home`.
    case yam = "yam"
    /// Panda on a table with a 5 cm cube (`franka_cube.xml`, includes `panda.xml`): adds body
    /// and geom `cube` (free joint `cube_joint`), geom `table`, camera `exterior`, keyframe
    /// `home`.
    case frankaCube = "franka_cube"
    /// Two YAM arms and a GPU card with a slotted fixture: generated from
    /// `yam_gpu_insertion_layout.xml` plus `yam.xml` twice with names prefixed `left_` and
    /// `right_` (``BimanualSceneGenerator``). Adds body/geom `gpu` (free joint `gpu_joint`),
    /// sites `slot1`…`slot4`, cameras `top`, `left_wrist`, `right_wrist`, keyframe `home`.
    case yamGPUInsertion = "yam_gpu_insertion"

    /// The directory holding the bundled MJCF files.
    public static var directory: URL {
        Bundle.module.resourceURL!.appendingPathComponent("Models", isDirectory: true)
    }

    /// The file behind this model: the MJCF file itself, or for a generated scene its layout
    /// file (which alone loads without the arms).
    public var url: URL {
        switch self {
        case .yamGPUInsertion: MJCFModel.directory.appendingPathComponent("yam_gpu_insertion_layout.xml")
        default: MJCFModel.directory.appendingPathComponent("\(rawValue).xml")
        }
    }

    /// Whether the model is assembled in memory (``xml()``) rather than loaded from ``url``.
    public var isGenerated: Bool { self == .yamGPUInsertion }

    /// The scene for a command-line name such as `franka-cube` or `yam-gpu-insertion`
    /// (hyphens or underscores), or nil.
    public init?(sceneName: String) {
        self.init(rawValue: sceneName.replacingOccurrences(of: "-", with: "_"))
    }

    /// The MJCF text of this model: the file's contents, or the generated scene. Files that
    /// `<include>` others (`franka_cube.xml`) only load from their ``url``; use ``load()``.
    public func xml() throws(MuJoCoError) -> String {
        switch self {
        case .yamGPUInsertion:
            return try BimanualSceneGenerator(
                layout: url, arm: MJCFModel.yam.url, prefixes: ["left_", "right_"]
            ).xml()
        default:
            do { return try String(contentsOf: url, encoding: .utf8) } catch {
                throw MuJoCoError(.load, message: "\(error)", operation: "read \(url.path)")
            }
        }
    }

    /// Loads and compiles the model (``MJModel/init(path:)`` or, for a generated scene,
    /// ``MJModel/init(xml:name:)``).
    public func load() throws(MuJoCoError) -> MJModel {
        if isGenerated { return try MJModel(xml: try xml(), name: "\(rawValue).xml") }
        return try MJModel(contentsOf: url)
    }
}
