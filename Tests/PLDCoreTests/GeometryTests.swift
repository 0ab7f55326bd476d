import Foundation
import PLDCore
import TestSupport
import Testing

@Suite struct GeometryTests {
    func close(_ a: SIMD3<Double>, _ b: SIMD3<Double>, _ tolerance: Double = 1e-12) -> Bool {
        let d = a - b
        return (d * d).sum().squareRoot() < tolerance
    }

    @Test func quarterTurnAboutZMapsXToY() {
        let r = Rotation(axisAngle: SIMD3(0, 0, .pi / 2))
        #expect(close(r * SIMD3(1, 0, 0), SIMD3(0, 1, 0)))
        #expect(close(r * SIMD3(0, 1, 0), SIMD3(-1, 0, 0)))
    }

    @Test func axisAngleQuaternionAndMatrixRoundTrip() {
        var random = SeededRandom(seed: 21)
        for _ in 0..<1000 {
            let axis = SIMD3(Double.random(in: -1...1, using: &random), Double.random(in: -1...1, using: &random), Double.random(in: -1...1, using: &random))
            let norm = (axis * axis).sum().squareRoot()
            guard norm > 0.1 else { continue }
            let v = axis / norm * Double.random(in: 0..<(.pi - 1e-3), using: &random)
            let r = Rotation(axisAngle: v)
            #expect(close(r.axisAngle, v, 1e-9))
            let back = Rotation(quaternion: Quaternion(rotation: r))
            for i in 0..<9 { #expect(abs(back.m[i] - r.m[i]) < 1e-12) }
            // Orthonormal: R Rᵀ = I.
            let identity = r * r.transposed
            for i in 0..<9 { #expect(abs(identity.m[i] - Rotation.identity.m[i]) < 1e-12) }
        }
    }

    @Test func slerpHitsItsEndsAndTakesTheShortWay() {
        let a = Quaternion(rotation: Rotation(axisAngle: SIMD3(0, 0, 0.2)))
        let b = Quaternion(rotation: Rotation(axisAngle: SIMD3(0, 0, 1.0)))
        #expect(close(Rotation(quaternion: Quaternion.slerp(a, b, 0)).axisAngle, SIMD3(0, 0, 0.2), 1e-9))
        #expect(close(Rotation(quaternion: Quaternion.slerp(a, b, 1)).axisAngle, SIMD3(0, 0, 1.0), 1e-9))
        #expect(close(Rotation(quaternion: Quaternion.slerp(a, b, 0.5)).axisAngle, SIMD3(0, 0, 0.6), 1e-9))
        // The same rotation with the opposite sign must not make the interpolation go round.
        let negB = Quaternion(w: -b.w, x: -b.x, y: -b.y, z: -b.z)
        #expect(close(Rotation(quaternion: Quaternion.slerp(a, negB, 0.5)).axisAngle, SIMD3(0, 0, 0.6), 1e-9))
    }

    @Test func poseComposesInvertsAndRoundTripsColumnMajor() {
        let pose = Pose(rotation: Rotation(axisAngle: SIMD3(0.3, -0.2, 0.9)), translation: SIMD3(0.4, -0.1, 0.5))
        let identity = pose * pose.inverse
        #expect(close(identity.translation, .zero))
        let back = Pose(columnMajor: pose.columnMajor)
        #expect(back == pose)
        // libfranka column-major: translation in elements 12...14.
        #expect(pose.columnMajor[12] == 0.4 && pose.columnMajor[14] == 0.5 && pose.columnMajor[15] == 1)
    }
}
