import Wire

/// Why a received message was refused, for counting. Allocation-free.
public enum RefusalReason: Sendable, Equatable, CaseIterable {
    /// Not a valid encoding of the expected message.
    case malformed
    /// Larger than the receiver accepts (also a frame truncated by the receive buffer).
    case tooLarge
    /// Decodes to more than the preallocated decode arena holds.
    case arenaExhausted
    /// A repeated field with the wrong number of values (joint count, dims).
    case wrongCount
    /// NaN or infinity where a finite value is required.
    case nonFinite
    /// Another PLD arm protocol version.
    case protocolVersion
    /// Camera or feature name other than the configured one.
    case wrongName
    /// Frame size other than configured (width, height, RGB8 byte count, empty JPEG).
    case wrongSize
    /// Frame encoding other than configured.
    case wrongEncoding

    public init(_ error: WireDecodeError) {
        switch error {
        case .malformed: self = .malformed
        case .tooLarge: self = .tooLarge
        case .arenaExhausted: self = .arenaExhausted
        case .wrongCount: self = .wrongCount
        case .nonFinite: self = .nonFinite
        case .protocolVersion: self = .protocolVersion
        }
    }
}

/// Refused messages of one link, counted by reason. A value type, no heap.
public struct RefusalCounts: Sendable, Equatable {
    public var malformed = 0
    public var tooLarge = 0
    public var arenaExhausted = 0
    public var wrongCount = 0
    public var nonFinite = 0
    public var protocolVersion = 0
    public var wrongName = 0
    public var wrongSize = 0
    public var wrongEncoding = 0

    public init() {}

    public var total: Int {
        malformed + tooLarge + arenaExhausted + wrongCount + nonFinite + protocolVersion + wrongName + wrongSize
            + wrongEncoding
    }

    public subscript(reason: RefusalReason) -> Int {
        switch reason {
        case .malformed: malformed
        case .tooLarge: tooLarge
        case .arenaExhausted: arenaExhausted
        case .wrongCount: wrongCount
        case .nonFinite: nonFinite
        case .protocolVersion: protocolVersion
        case .wrongName: wrongName
        case .wrongSize: wrongSize
        case .wrongEncoding: wrongEncoding
        }
    }

    public mutating func record(_ reason: RefusalReason) {
        switch reason {
        case .malformed: malformed += 1
        case .tooLarge: tooLarge += 1
        case .arenaExhausted: arenaExhausted += 1
        case .wrongCount: wrongCount += 1
        case .nonFinite: nonFinite += 1
        case .protocolVersion: protocolVersion += 1
        case .wrongName: wrongName += 1
        case .wrongSize: wrongSize += 1
        case .wrongEncoding: wrongEncoding += 1
        }
    }

    public mutating func record(_ error: WireDecodeError) { record(RefusalReason(error)) }
}
