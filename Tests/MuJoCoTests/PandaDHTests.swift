import Foundation
import Drivers
import MuJoCo
import TestSupport
import Testing

/// A plain 4×4 homogeneous transform, row-major, for computing Franka's DH chain independently
/// of MuJoCo.
struct Transform4: Equatable {
    var m: [Double]  // 16, row-major

    static let identity = Transform4(m: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])

    static func * (a: Transform4, b: Transform4) -> Transform4 {
        var r = [Double](repeating: 0, count: 16)
        for i in 0..<4 {
            for j in 0..<4 {
                for k in 0..<4 { r[4 * i + j] += a.m[4 * i + k] * b.m[4 * k + j] }
            }
        }
        return Transform4(m: r)
    }

    static func rotX(_ t: Double) -> Transform4 {
        Transform4(m: [1, 0, 0, 0, 0, cos(t), -sin(t), 0, 0, sin(t), cos(t), 0, 0, 0, 0, 1])
    }
    static func rotZ(_ t: Double) -> Transform4 {
        Transform4(m: [cos(t), -sin(t), 0, 0, sin(t), cos(t), 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    }
    static func translation(_ x: Double, _ y: Double, _ z: Double) -> Transform4 {
        Transform4(m: [1, 0, 0, x, 0, 1, 0, y, 0, 0, 1, z, 0, 0, 0, 1])
    }

    var position: SIMD3<Double> { SIMD3(m[3], m[7], m[11]) }
    func rotation(_ row: Int, _ column: Int) -> Double { m[4 * row + column] }
}

/// Franka's published modified (Craig) DH parameters: T = RotX(α) · TransX(a) · RotZ(q) · TransZ(d).
enum FrankaDH {
    static let a: [Double] = [0, 0, 0, 0.0825, -0.0825, 0, 0.088]
    static let d: [Double] = [0.333, 0, 0.316, 0, 0.384, 0, 0]
    static let alpha: [Double] = [0, -.pi / 2, .pi / 2, .pi / 2, -.pi / 2, .pi / 2, .pi / 2]
    static let flangeD = 0.107
    static let tcpOffset = 0.1034

    static func flange(_ q: [Double]) -> Transform4 {
        var t = Transform4.identity
        for i in 0..<7 {
            t = t * .rotX(alpha[i]) * .translation(a[i], 0, 0) * .rotZ(q[i]) * .translation(0, 0, d[i])
        }
        return t * .translation(0, 0, flangeD)
    }

    /// O_T_EE of the default Franka Hand: F_T_EE = RotZ(−π/4) then 0.1034 m along z.
    static func tcp(_ q: [Double]) -> Transform4 {
        flange(q) * .rotZ(-.pi / 4) * .translation(0, 0, tcpOffset)
    }

    static let lower: [Double] = [-2.8973, -1.7628, -2.8973, -3.0718, -2.8973, -0.0175, -2.8973]
    static let upper: [Double] = [2.8973, 1.7628, 2.8973, -0.0698, 2.8973, 3.7525, 2.8973]

    /// Zero, the ready pose, and random configurations within the joint limits (seeded).
    static func configurations(random count: Int) -> [[Double]] {
        var rng = SeededRandom(seed: 0x5EED_FA11)
        let random = (0..<count).map { _ in (0..<7).map { Double.random(in: lower[$0]...upper[$0], using: &rng) } }
        return [[0, 0, 0, 0, 0, 0, 0], [0, -0.785, 0, -2.356, 0, 1.571, 0.785]] + random
    }
}

@Suite("Panda forward kinematics against the published DH parameters")
struct PandaDHTests {
    func expectMatches(_ pose: MJPose, _ expected: Transform4, _ label: String) {
        let positionError = pose.position - expected.position
        #expect((positionError * positionError).sum().squareRoot() < 0.001, "\(label): position \(pose.position) vs DH \(expected.position)")
        var rotationError = 0.0
        for r in 0..<3 {
            for c in 0..<3 { rotationError = max(rotationError, abs(pose.rotation[r, c] - expected.rotation(r, c))) }
        }
        #expect(rotationError < 1e-3, "\(label): rotation differs by \(rotationError)")
        // The quaternion describes the same rotation.
        let fromQuaternion = pose.quaternion.rotationMatrix
        for r in 0..<3 {
            for c in 0..<3 { #expect(abs(fromQuaternion[r, c] - pose.rotation[r, c]) < 1e-9) }
        }
    }

    @Test func flangeAndTCPMatchTheDHChainAtZeroReadyAndRandomConfigurations() throws {
        let model = try MJCFModel.panda.load()
        let data = try MJData(model: model)
        let joints = try (1...7).map { try model.joint(named: "joint\($0)") }
        let flange = try model.site(named: "flange")
        let ee = try model.site(named: "ee")
        let configurations = FrankaDH.configurations(random: 6)
        #expect(configurations.count >= 5)
        for q in configurations {
            for (joint, value) in zip(joints, q) { data.setPosition(value, of: joint) }
            data.kinematics()
            expectMatches(data.pose(of: flange), FrankaDH.flange(q), "flange at \(q)")
            expectMatches(data.pose(of: ee), FrankaDH.tcp(q), "TCP at \(q)")
        }
    }

    @Test func readyPoseTCPIsWhereFrankaReportsIt() throws {
        // Independent anchor: O_T_EE at the ready pose is about (0.307, 0, 0.487), pointing down.
        let arm = try ArmKinematics.panda()
        let pose = arm.pose(q: [0, -.pi / 4, 0, -3 * .pi / 4, 0, .pi / 2, .pi / 4])
        #expect(abs(pose.position.x - 0.3069) < 0.001 && abs(pose.position.y) < 0.001 && abs(pose.position.z - 0.4869) < 0.001)
        #expect(pose.rotation[2, 2] < -0.999, "TCP z axis points down")
    }

    @Test func armKinematicsAgreesWithTheDHChainInTheBaseFrame() throws {
        let arm = try ArmKinematics.panda()
        for q in FrankaDH.configurations(random: 4) {
            expectMatches(arm.pose(q: q), FrankaDH.tcp(q), "ArmKinematics at \(q)")
        }
    }
}
