import SwiftProtobuf

extension DeoxysFrankaControlMessage {
    /// An OSC command built with swift-protobuf, field by field as deoxys's Python client builds
    /// it. Not for the control thread (it allocates): it is the independent reference that
    /// `FrankaCommandEncoder`'s protobuf-c bytes are checked against, and the swift-protobuf
    /// side of `pld bench codec`.
    public static func referenceOSC(
        _ controller: FrankaControllerType = .oscPose, goal: TaskSpaceGoal, settings: FrankaControllerSettings = .oscPose
    ) throws -> DeoxysFrankaControlMessage {
        var osc = DeoxysFrankaOSCPoseControllerMessage()
        osc.goal.isDelta = goal.isDelta
        osc.goal.x = goal.x
        osc.goal.y = goal.y
        osc.goal.z = goal.z
        osc.goal.ax = goal.ax
        osc.goal.ay = goal.ay
        osc.goal.az = goal.az
        osc.translationalStiffness = (0..<3).map { settings.translationalStiffness[$0] }
        osc.rotationalStiffness = (0..<3).map { settings.rotationalStiffness[$0] }
        osc.config.residualMassVec = (0..<7).map { settings.residualMass[$0] }
        var control = DeoxysFrankaControlMessage()
        control.controllerType = DeoxysFrankaControlMessage.ControllerType(rawValue: Int(controller.rawValue)) ?? .noControl
        control.trajInterpolatorType =
            DeoxysFrankaControlMessage.TrajInterpolatorType(rawValue: Int(settings.interpolator.rawValue)) ?? .noOp
        control.trajInterpolatorTimeFraction = settings.interpolatorTimeFraction
        control.controlMsg = try Google_Protobuf_Any(message: osc, typePrefix: "type.googleapis.com")
        control.timeout = settings.timeoutSeconds
        control.stateEstimatorMsg = try referenceEstimator(settings.estimator)
        return control
    }

    /// The state-estimator block the Python client attaches: exponential smoothing, always.
    static func referenceEstimator(_ settings: FrankaEstimatorSettings) throws -> DeoxysFrankaStateEstimatorMessage {
        var smoothing = DeoxysExponentialSmoothingConfig()
        smoothing.alphaQ = settings.alphaQ
        smoothing.alphaDq = settings.alphaDq
        smoothing.alphaEef = settings.alphaEEF
        var estimator = DeoxysFrankaStateEstimatorMessage()
        estimator.isEstimation = settings.isEstimation
        estimator.estimatorType = .exponentialSmoothingEstimator
        estimator.config = try Google_Protobuf_Any(message: smoothing, typePrefix: "type.googleapis.com")
        return estimator
    }
}
