import Foundation
import MuJoCo
import Testing

@Suite("Loading models and looking up names")
struct ModelLoadingTests {
    @Test("every bundled model and scene loads in MuJoCo 2.2", arguments: MJCFModel.allCases)
    func bundledModelLoads(_ bundled: MJCFModel) throws {
        let model = try bundled.load()
        #expect(model.nq > 0)
        #expect(model.nu > 0)
        #expect(model.offscreenWidth >= 640 && model.offscreenHeight >= 480)
    }

    @Test func panda_hasTheSpecifiedJointsRangesAndActuators() throws {
        let model = try MJCFModel.panda.load()
        let limits: [(String, ClosedRange<Double>)] = [
            ("joint1", -2.8973...2.8973), ("joint2", -1.7628...1.7628), ("joint3", -2.8973...2.8973),
            ("joint4", -3.0718...(-0.0698)), ("joint5", -2.8973...2.8973), ("joint6", -0.0175...3.7525),
            ("joint7", -2.8973...2.8973), ("finger_joint1", 0...0.04), ("finger_joint2", 0...0.04),
        ]
        for (name, expected) in limits {
            let joint = try model.joint(named: name)
            let range = try #require(model.range(of: joint), "\(name) must be limited")
            #expect(abs(range.lowerBound - expected.lowerBound) < 1e-9 && abs(range.upperBound - expected.upperBound) < 1e-9, "\(name): \(range)")
            #expect(model.damping(of: joint) > 0, "\(name) must be damped")
        }
        let torque: [Double] = [87, 87, 87, 87, 12, 12, 12]
        for (i, limit) in torque.enumerated() {
            let actuator = try model.actuator(named: "joint\(i + 1)")
            #expect(model.controlRange(of: actuator) == -limit...limit)
            #expect(model.joint(of: actuator) == (try model.joint(named: "joint\(i + 1)")))
        }
        #expect(model.controlRange(of: try model.actuator(named: "gripper")) == 0...0.04)
        _ = try model.site(named: "ee")
        _ = try model.site(named: "flange")
        _ = try model.camera(named: "wrist")
    }

    @Test func yam_hasTheUnwidenedI2RTRangesAndDamiaoTorqueLimits() throws {
        let model = try MJCFModel.yam.load()
        let limits: [ClosedRange<Double>] = [
            -2.61799...3.14159, 0...3.66519, 0...3.14159, -1.69297...1.5708, -1.5708...1.5708, -2.0944...2.0944,
        ]
        for (i, expected) in limits.enumerated() {
            let joint = try model.joint(named: "joint\(i + 1)")
            #expect(model.range(of: joint) == expected, "joint\(i + 1)")
            let actuator = try model.actuator(named: "joint\(i + 1)")
            let limit: Double = i < 3 ? 28 : 10
            #expect(model.controlRange(of: actuator) == -limit...limit)
        }
        for finger in ["finger1", "finger2"] {
            #expect(model.range(of: try model.joint(named: finger)) == 0...0.0475)
        }
        #expect(model.controlRange(of: try model.actuator(named: "gripper")) == 0...0.0475)
        _ = try model.site(named: "tcp")
        _ = try model.site(named: "grasp")
        _ = try model.camera(named: "wrist")
        _ = try model.keyframe(named: "home")
    }

    @Test func frankaCube_hasCubeCameraAndHomeKeyframe() throws {
        let model = try MJCFModel.frankaCube.load()
        #expect(model.cameraNames.contains("exterior"))
        #expect(model.cameraNames.contains("wrist"))
        let data = try MJData(model: model)
        try data.resetToKeyframe(named: "home")
        let ready = [0, -0.785, 0, -2.356, 0, 1.571, 0.785]
        for (i, q) in ready.enumerated() {
            #expect(data.position(of: try model.joint(named: "joint\(i + 1)")) == q)
        }
        #expect(data.position(of: try model.joint(named: "finger_joint1")) == 0.04)
        let cube = data.position(of: try model.body(named: "cube"))
        #expect(abs(cube.z - 0.025) < 1e-9)
        #expect(data.position(of: try model.site(named: "ee")).z > cube.z + 0.2, "gripper above the table")
    }

    @Test func yamGPUInsertion_hasTwoPrefixedArmsCardFixtureAndCameras() throws {
        let model = try MJCFModel.yamGPUInsertion.load()
        for side in ["left_", "right_"] {
            for i in 1...6 {
                let joint = try model.joint(named: "\(side)joint\(i)")
                #expect(model.range(of: joint) != nil)
                _ = try model.actuator(named: "\(side)joint\(i)")
            }
            _ = try model.joint(named: "\(side)finger1")
            _ = try model.actuator(named: "\(side)gripper")
            _ = try model.site(named: "\(side)tcp")
            _ = try model.site(named: "\(side)grasp")
            _ = try model.camera(named: "\(side)wrist")
        }
        #expect(model.nu == 14)
        #expect(model.nq == 8 + 8 + 7)
        _ = try model.camera(named: "top")
        for slot in 1...4 { _ = try model.site(named: "slot\(slot)") }

        let data = try MJData(model: model)
        try data.resetToKeyframe(named: "home")
        #expect(data.position(of: try model.joint(named: "left_joint2")) == 1.047)
        #expect(data.position(of: try model.joint(named: "right_joint3")) == 1.047)
        #expect(abs(data.position(of: try model.body(named: "gpu")).z - 0.01) < 1e-9)
        let left = data.position(of: try model.body(named: "left_base"))
        let right = data.position(of: try model.body(named: "right_base"))
        #expect(abs((left - right).y - 0.6) < 1e-9, "bases 0.6 m apart")
        // Both arms face +x: their grasp sites are in front of their bases.
        #expect(data.position(of: try model.site(named: "left_grasp")).x > left.x + 0.2)
        #expect(data.position(of: try model.site(named: "right_grasp")).x > right.x + 0.2)
    }

    @Test func fixtureSlots1And3AcceptTheCardWithAFewMillimetresClearance() throws {
        let model = try MJCFModel.yamGPUInsertion.load()
        let data = try MJData(model: model)
        try data.resetToKeyframe(named: "home")
        let card = model.size(of: try model.geom(named: "gpu"))  // half sizes: 0.06 long, 0.01 thick, 0.035 tall
        let walls = try model.geomNames.filter { $0.hasPrefix("fixture_wall") }.map { name in
            let geom = try model.geom(named: name)
            let centre = data.position(of: geom)
            return (low: centre.y - model.size(of: geom).y, high: centre.y + model.size(of: geom).y)
        }
        let gpu = try model.body(named: "gpu")
        let joint = try model.joint(named: "gpu_joint")
        let a = model.qposAddress(of: joint)
        for slot in [1, 3] {
            let site = data.position(of: try model.site(named: "slot\(slot)"))
            // Geometry: the walls either side of the slot leave 2-5 mm per face around the card.
            let upper = try #require(walls.map(\.low).filter { $0 > site.y }.min())
            let lower = try #require(walls.map(\.high).filter { $0 < site.y }.max())
            let clearance = (upper - lower) / 2 - card.y
            #expect(clearance > 0.002 && clearance < 0.005, "slot \(slot): \(clearance) m per face")

            // Physics: the card dropped upright into the slot reaches the slot floor.
            try data.resetToKeyframe(named: "home")
            data.qpos[a] = site.x
            data.qpos[a + 1] = site.y
            data.qpos[a + 2] = site.z + card.z + 0.005
            data.qpos[a + 3] = 1
            data.qpos[a + 4] = 0
            data.qpos[a + 5] = 0
            data.qpos[a + 6] = 0
            data.forward()
            data.step(count: 250)
            let settled = data.position(of: gpu)
            #expect(abs(settled.z - (site.z + card.z)) < 0.002, "slot \(slot): card centre at z \(settled.z)")
            #expect(abs(settled.y - site.y) < 0.004, "slot \(slot): card stays in the slot")
        }
    }

    @Test func missingNameLookupNamesTheElementAndTheModel() throws {
        let model = try MJCFModel.panda.load()
        #expect {
            _ = try model.joint(named: "joint9")
        } throws: { error in
            guard let error = error as? MuJoCoError else { return false }
            return error.kind == .notFound && error.description.contains("joint9") && error.description.contains("panda.xml")
                && error.description.contains("joint1")
        }
        #expect(throws: MuJoCoError.self) { _ = try model.site(named: "nope") }
        #expect(throws: MuJoCoError.self) { _ = try model.camera(named: "nope") }
        #expect(throws: MuJoCoError.self) { _ = try model.body(named: "nope") }
        #expect(throws: MuJoCoError.self) { _ = try model.actuator(named: "nope") }
        #expect(throws: MuJoCoError.self) { _ = try model.geom(named: "nope") }
        let data = try MJData(model: model)
        #expect(throws: MuJoCoError.self) { try data.resetToKeyframe(named: "nope") }
    }

    @Test func xmlWithASchemaErrorThrowsALoadErrorNamingTheProblem() throws {
        let xml = """
            <mujoco model="broken">
              <worldbody>
                <body name="b"><joint name="j" type="hinge" rnage="0 1"/><geom type="sphere" size="0.1"/></body>
              </worldbody>
            </mujoco>
            """
        #expect {
            _ = try MJModel(xml: xml, name: "broken.xml")
        } throws: { error in
            guard let error = error as? MuJoCoError else { return false }
            return error.kind == .load && error.description.contains("rnage") && error.description.contains("broken.xml")
                && !error.description.contains("\n")
        }
    }

    @Test func missingFileThrowsALoadErrorNamingThePath() {
        #expect {
            _ = try MJModel(path: "/nonexistent/robot.xml")
        } throws: { error in
            (error as? MuJoCoError)?.description.contains("/nonexistent/robot.xml") == true
        }
    }

    @Test func xmlStringLoadsThroughTheVirtualFileSystem() throws {
        let model = try MJModel(xml: """
            <mujoco><worldbody><body name="ball" pos="0 0 1"><freejoint/><geom type="sphere" size="0.05"/></body></worldbody></mujoco>
            """)
        #expect(model.nq == 7 && model.nv == 6)
        #expect(model.bodyNames == ["world", "ball"])
    }
}
