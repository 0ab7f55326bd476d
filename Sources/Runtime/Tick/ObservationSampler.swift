import PLDCore
import Policies

/// Something the control thread appends observation values to (a policy request, the
/// residual's input). Appending never allocates.
public protocol ObservationValueSink {
    /// False when the sink is full (the value is dropped and the caller counts it).
    mutating func append(_ value: Double) -> Bool
}

extension PolicyRequest: ObservationValueSink {}

/// Turns a list of observation sources (`arm.<arm>.<field>`, `feature.<name>`) into numbers on
/// the control thread, from the tick's arm states and feature snapshot. Resolved once at init,
/// so `sample` is index lookups and copies: no allocation, no string work.
public struct ObservationSampler: Sendable {
    enum Resolved: Sendable {
        case arm(index: Int, field: ObservationSource.ArmStateField)
        case feature(index: Int, count: Int)
    }

    private let resolved: [Resolved]
    /// Values one `sample` appends.
    public let valueCount: Int

    /// - Throws: a one-line message naming a source that is not an arm field or feature of this
    ///   robot (cameras are the policy worker's business, not numbers).
    public init(
        sources: [ObservationSource], armNames: [String], jointCounts: [Int], features: [(name: String, dims: Int)]
    ) throws(RuntimeError) {
        var resolved: [Resolved] = []
        var count = 0
        for source in sources {
            switch source {
            case let .arm(name, field):
                guard let index = armNames.firstIndex(of: name) else {
                    throw RuntimeError("observation source \(source): no arm named \(name)")
                }
                resolved.append(.arm(index: index, field: field))
                count += Self.width(of: field, jointCount: jointCounts[index])
            case let .feature(name):
                guard let index = features.firstIndex(where: { $0.name == name }) else {
                    throw RuntimeError("observation source \(source): no feature named \(name)")
                }
                resolved.append(.feature(index: index, count: features[index].dims))
                count += features[index].dims
            case .camera:
                throw RuntimeError("observation source \(source): a camera is not a numeric value")
            }
        }
        self.resolved = resolved
        valueCount = count
    }

    static func width(of field: ObservationSource.ArmStateField, jointCount: Int) -> Int {
        switch field {
        case .jointPosition, .jointVelocity: jointCount
        case .gripperPosition: 1
        case .eePosition, .eeAxisAngle: 3
        case .eeQuaternion: 4
        }
    }

    /// Appends every source's values, in order. Returns false if the sink filled up.
    @discardableResult
    public func sample<Sink: ObservationValueSink>(arms: UnsafeBufferPointer<ArmState>, features: FeatureSnapshot, into sink: inout Sink) -> Bool {
        var ok = true
        // Indexed: an iterator can allocate a coroutine frame in unoptimised builds.
        for k in 0..<resolved.count {
            switch resolved[k] {
            case let .arm(index, field):
                let state = arms[index]
                switch field {
                case .jointPosition: for j in 0..<state.jointCount { ok = sink.append(state.q[j]) && ok }
                case .jointVelocity: for j in 0..<state.jointCount { ok = sink.append(state.dq[j]) && ok }
                case .gripperPosition: ok = sink.append(state.gripperPosition) && ok
                case .eePosition:
                    ok = sink.append(state.eePose[12]) && ok
                    ok = sink.append(state.eePose[13]) && ok
                    ok = sink.append(state.eePose[14]) && ok
                case .eeQuaternion:
                    let q = Quaternion(rotation: Pose(columnMajor: state.eePose).rotation)
                    ok = sink.append(q.w) && ok
                    ok = sink.append(q.x) && ok
                    ok = sink.append(q.y) && ok
                    ok = sink.append(q.z) && ok
                case .eeAxisAngle:
                    let v = Pose(columnMajor: state.eePose).rotation.axisAngle
                    ok = sink.append(v.x) && ok
                    ok = sink.append(v.y) && ok
                    ok = sink.append(v.z) && ok
                }
            case let .feature(index, count):
                for i in 0..<count { ok = sink.append(features.value(feature: index, index: i)) && ok }
            }
        }
        return ok
    }
}

/// A one-line runtime setup error.
public struct RuntimeError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
