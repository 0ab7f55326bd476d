// Reference resolution and socket checks shared by RobotConfig's validation. Each helper
// reports a dangling reference at the referring field and returns what it resolved.

extension RobotConfig {
    // MARK: Sockets

    /// Two TCP endpoints on the same port collide when their hosts are the same machine (equal,
    /// both loopback, or either `*`).
    func validatePorts(_ v: inout ConfigValidator) {
        var used: [(path: ConfigPath, host: String, port: Int)] = []
        func add(_ path: ConfigPath, _ host: String, _ port: Int?) {
            guard let port else { return }
            used.append((path, host, port))
        }
        for (index, arm) in arms.enumerated() {
            let armPath = ConfigPath.root["arms"][index]
            if let franka = arm.franka, arm.kind == .frankaDeoxys {
                for (key, port) in franka.ports.all {
                    let host = key.hasSuffix("command") ? franka.pcBindAddress : franka.nucHost
                    add(armPath["franka"]["ports"][key], host, port)
                }
            }
            if let pldArm = arm.pldArm, arm.kind == .pldArm {
                for (key, endpoint) in [("state_endpoint", pldArm.stateEndpoint), ("command_endpoint", pldArm.commandEndpoint), ("control_endpoint", pldArm.controlEndpoint)]
                where endpoint.transport == .tcp {
                    add(armPath["pld_arm"][key], endpoint.host, endpoint.port)
                }
            }
        }
        for (index, camera) in cameras.enumerated() where camera.endpoint.transport == .tcp {
            add(ConfigPath.root["cameras"][index]["endpoint"], camera.endpoint.host, camera.endpoint.port)
        }
        for (index, feature) in features.enumerated() where feature.endpoint.transport == .tcp {
            add(ConfigPath.root["features"][index]["endpoint"], feature.endpoint.host, feature.endpoint.port)
        }
        add(ConfigPath.root["policy"]["url"], policy.url.host, policy.url.port)
        for (index, classifier) in classifiers.enumerated() {
            if let endpoint = classifier.endpoint, endpoint.transport == .tcp {
                add(ConfigPath.root["classifiers"][index]["endpoint"], endpoint.host, endpoint.port)
            }
        }
        for (key, endpoint) in [("control_endpoint", `operator`.controlEndpoint), ("status_endpoint", `operator`.statusEndpoint)] {
            if case .endpoint(let explicit) = endpoint, explicit.transport == .tcp {
                add(ConfigPath.root["operator"][key], explicit.host, explicit.port)
            }
        }
        if let metricsPort = `operator`.metricsPort { add(ConfigPath.root["operator"]["metrics_port"], "*", metricsPort) }

        func sameMachine(_ a: String, _ b: String) -> Bool {
            let loopback: Set<String> = ["127.0.0.1", "localhost", "[::1]"]
            return a == b || a == "*" || b == "*" || (loopback.contains(a) && loopback.contains(b))
        }
        for (index, entry) in used.enumerated() {
            for other in used[..<index] where other.port == entry.port && sameMachine(other.host, entry.host) {
                v.fail(entry.path, "port \(entry.port) on \(entry.host) is already used by \(other.path)")
                break
            }
        }
    }

    // MARK: References

    @discardableResult
    func checkArm(_ name: String, _ path: ConfigPath, _ v: inout ConfigValidator) -> ArmConfig? {
        if let arm = arm(named: name) { return arm }
        v.fail(path, "no arm named `\(name)`; arms are: \(arms.map(\.name).joined(separator: ", "))")
        return nil
    }

    func checkCamera(_ name: String, _ path: ConfigPath, _ v: inout ConfigValidator) {
        if camera(named: name) == nil {
            let known = cameras.isEmpty ? "no cameras are configured" : "cameras are: \(cameras.map(\.name).joined(separator: ", "))"
            v.fail(path, "no camera named `\(name)`; \(known)")
        }
    }

    func checkClassifier(_ name: String, _ path: ConfigPath, _ v: inout ConfigValidator) {
        if classifier(named: name) == nil {
            let known = classifiers.isEmpty ? "no classifiers are configured" : "classifiers are: \(classifiers.map(\.name).joined(separator: ", "))"
            v.fail(path, "no classifier named `\(name)`; \(known)")
        }
    }

    /// Checks a non-image source and returns its width.
    @discardableResult
    func checkStateSource(_ source: ObservationSource, _ path: ConfigPath, _ v: inout ConfigValidator) -> Int? {
        switch source {
        case .camera:
            v.fail(path, "expected a state source (arm.* or feature.*), found camera reference `\(source)`")
            return nil
        case .feature(let name):
            guard let feature = feature(named: name) else {
                let known = features.isEmpty ? "no features are configured" : "features are: \(features.map(\.name).joined(separator: ", "))"
                v.fail(path, "no feature named `\(name)`; \(known)")
                return nil
            }
            return feature.dims
        case .arm(let name, let field):
            guard let arm = checkArm(name, path, &v) else { return nil }
            if field == .gripperPosition && !arm.hasGripper {
                v.fail(path, "arm `\(name)` has no gripper (has_gripper: false)")
                return nil
            }
            return dimension(of: source)
        }
    }

    func checkJointTarget(_ joints: [Double], of arm: ArmConfig, _ path: ConfigPath, _ v: inout ConfigValidator) {
        guard v.count(joints, arm.jointCount, path, "one per joint of arm `\(arm.name)`") else { return }
        let limits = arm.jointLimits
        guard limits.lowerRad.count == joints.count, limits.upperRad.count == joints.count else { return }
        for (index, q) in joints.enumerated() where q < limits.lowerRad[index] || q > limits.upperRad[index] {
            v.fail(path[index], "\(formatConfigNumber(q)) rad is outside arm `\(arm.name)` joint \(index + 1) limits [\(formatConfigNumber(limits.lowerRad[index])), \(formatConfigNumber(limits.upperRad[index]))]")
            return
        }
    }
}
