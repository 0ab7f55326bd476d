// Value types a FrankaLink is configured with and reports.

import PLDCore

/// The four deoxys endpoints as this side uses them.
public struct FrankaEndpoints: Sendable, Equatable {
    public var armCommandBind: String
    public var gripperCommandBind: String
    public var armStateConnect: String
    public var gripperStateConnect: String

    public init(armCommandBind: String, gripperCommandBind: String, armStateConnect: String, gripperStateConnect: String) {
        self.armCommandBind = armCommandBind
        self.gripperCommandBind = gripperCommandBind
        self.armStateConnect = armStateConnect
        self.gripperStateConnect = gripperStateConnect
    }

    /// From `FrankaDeoxysConfig`: bind `pc_bind_address` ports 5555/5557, connect `nuc_host`
    /// ports 5556/5558 (or the configured ports).
    public init(config: FrankaDeoxysConfig) {
        armCommandBind = config.armCommandBind.configString
        gripperCommandBind = config.gripperCommandBind.configString
        armStateConnect = config.armStateConnect.configString
        gripperStateConnect = config.gripperStateConnect.configString
    }
}

/// Counters of one `FrankaLink`. A value type, no heap; read it any time on the owning thread.
public struct FrankaLinkCounters: Sendable, Equatable {
    /// Good arm states taken.
    public var statesReceived = 0
    /// Arm states refused, by reason.
    public var stateRefusals = RefusalCounts()
    public var gripperStatesReceived = 0
    public var gripperStateRefusals = RefusalCounts()
    /// Arm controller messages sent on the runtime's request (including each new controller's
    /// first message after its preamble and explicit holds).
    public var commandsSent = 0
    /// Of those, explicit `hold(now:)` calls.
    public var holdsSent = 0
    /// Holds the link sent by itself because the runtime was silent for a NUC poll period.
    public var keepAlivesSent = 0
    /// NO_CONTROL messages of controller-switch preambles.
    public var preambleMessagesSent = 0
    /// Controllers started (first message after a preamble, or directly).
    public var controllersStarted = 0
    public var gripperCommandsSent = 0
    public var gripperResends = 0
    /// Commands refused before encoding (non-finite, outside joint limits) or by the encoder.
    public var commandsRefused = 0
    /// Sends the socket did not take.
    public var sendFailures = 0
    /// Receives that failed (socket closed, context terminated).
    public var receiveFailures = 0
    public var restartsDetected = 0
    /// Transitions from fresh to stale.
    public var stalePeriods = 0
    /// Of those, stale because robot time stopped advancing while a controller should run.
    public var robotTimeStalls = 0
    public var terminationsSent = 0

    public init() {}
}
