// Typed indices of model elements. Each is the element's index in the model's arrays
// (`mj_name2id` result), wrapped so a joint index cannot be passed where a site is expected.
// Obtain them from `MJModel` lookups (`joint(named:)`, `site(named:)`, …); they are only valid
// for the model that produced them.

/// A joint of a model (index into `mjModel.jnt_*`).
public struct MJJointID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: Self, b: Self) -> Bool { a.index < b.index }
    public var description: String { "joint #\(index)" }
}

/// A body of a model (index into `mjModel.body_*`; 0 is the world body).
public struct MJBodyID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: Self, b: Self) -> Bool { a.index < b.index }
    public var description: String { "body #\(index)" }
    /// The world body.
    public static let world = MJBodyID(0)
}

/// A site of a model (index into `mjModel.site_*`).
public struct MJSiteID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: Self, b: Self) -> Bool { a.index < b.index }
    public var description: String { "site #\(index)" }
}

/// A geom of a model (index into `mjModel.geom_*`).
public struct MJGeomID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: Self, b: Self) -> Bool { a.index < b.index }
    public var description: String { "geom #\(index)" }
}

/// An actuator of a model (index into `mjModel.actuator_*` and `mjData.ctrl`).
public struct MJActuatorID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: Self, b: Self) -> Bool { a.index < b.index }
    public var description: String { "actuator #\(index)" }
}

/// A camera of a model (index into `mjModel.cam_*`).
public struct MJCameraID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: Self, b: Self) -> Bool { a.index < b.index }
    public var description: String { "camera #\(index)" }
}

/// A keyframe of a model (index into `mjModel.key_*`).
public struct MJKeyframeID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let index: Int
    public init(_ index: Int) { self.index = index }
    public static func < (a: Self, b: Self) -> Bool { a.index < b.index }
    public var description: String { "keyframe #\(index)" }
}

/// The kind of a joint (`mjtJoint`), which fixes how many `qpos` and `qvel` entries it has.
public enum MJJointType: Int32, Sendable, Hashable {
    /// Six degrees of freedom: 7 qpos (position, quaternion wxyz), 6 qvel (`mjJNT_FREE`).
    case free = 0
    /// Three rotational degrees of freedom: 4 qpos (quaternion), 3 qvel (`mjJNT_BALL`).
    case ball = 1
    /// One translational degree of freedom, metres (`mjJNT_SLIDE`).
    case slide = 2
    /// One rotational degree of freedom, radians (`mjJNT_HINGE`).
    case hinge = 3

    /// Entries of `qpos` this joint occupies.
    public var qposCount: Int {
        switch self {
        case .free: 7
        case .ball: 4
        case .slide, .hinge: 1
        }
    }

    /// Entries of `qvel` (degrees of freedom) this joint occupies.
    public var dofCount: Int {
        switch self {
        case .free: 6
        case .ball: 3
        case .slide, .hinge: 1
        }
    }
}
