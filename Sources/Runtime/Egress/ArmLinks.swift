import Drivers
import PLDCore

/// One arm's link, whichever protocol it speaks.
///
/// Threading: owned by whoever holds the ``Egress`` ownership word (normally the control
/// thread); never touched outside it.
public enum ArmLink {
    case franka(FrankaLink)
    case pldArm(PLDArmLink)

    public var name: String {
        switch self {
        case let .franka(link): link.name
        case let .pldArm(link): link.name
        }
    }

    public var state: ArmState {
        switch self {
        case let .franka(link): link.state
        case let .pldArm(link): link.state
        }
    }

    @discardableResult
    public func poll(now: UInt64) -> LinkEvents {
        switch self {
        case let .franka(link): link.poll(now: now)
        case let .pldArm(link): link.poll(now: now)
        }
    }

    /// Holds the arm where it is (Franka: zero-delta pose goal or the current joint goal; PLD
    /// arm: a hold command).
    @discardableResult
    public func hold(now: UInt64) -> LinkSendResult {
        switch self {
        case let .franka(link): link.hold(now: now)
        case let .pldArm(link): link.hold(now: now)
        }
    }

    public func close() {
        switch self {
        case let .franka(link): link.close()
        case let .pldArm(link): link.close()
        }
    }
}
