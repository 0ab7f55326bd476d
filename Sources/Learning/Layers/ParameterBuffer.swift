/// One named tensor inside a `ParameterBuffer`: `count` floats from `offset`, row-major with
/// PyTorch's shapes (a Linear weight is [out, in]).
struct ParameterTensor: Sendable, Equatable {
    var name: String
    var shape: [Int]
    var offset: Int
    var count: Int { shape.reduce(1, *) }
}

/// Collects the tensors of one or more networks before their storage exists; each layer asks
/// for its tensors here at construction and keeps the offsets.
struct ParameterLayout {
    private(set) var tensors: [ParameterTensor] = []
    private(set) var count = 0

    /// Reserves a tensor and returns its offset. Tensors start on 16-float (64-byte) boundaries.
    mutating func reserve(_ name: String, shape: [Int]) -> Int {
        precondition(!tensors.contains { $0.name == name }, "parameter \(name) reserved twice")
        let offset = (count + 15) / 16 * 16
        tensors.append(ParameterTensor(name: name, shape: shape, offset: offset))
        count = offset + shape.reduce(1, *)
        return offset
    }
}

/// Flat float32 storage for the parameters of one or more networks and their gradients, laid
/// out by a `ParameterLayout`: the optimiser, gradient clipping, Polyak averaging and
/// checkpoints work on the whole buffer at once, the layers on their offsets.
///
/// Padding between tensors is zero in values and gradients and stays zero (no layer writes it,
/// and every optimiser step maps zero gradients and zero values to zero).
///
/// Thread: owned by the learner thread; not synchronised.
final class ParameterBuffer {
    let tensors: [ParameterTensor]
    let count: Int
    let values: UnsafeMutablePointer<Float>
    let gradients: UnsafeMutablePointer<Float>

    init(_ layout: ParameterLayout) {
        tensors = layout.tensors
        count = max(layout.count, 1)
        values = .allocate(capacity: count)
        values.initialize(repeating: 0, count: count)
        gradients = .allocate(capacity: count)
        gradients.initialize(repeating: 0, count: count)
    }

    deinit {
        values.deallocate()
        gradients.deallocate()
    }

    func zeroGradients() { gradients.update(repeating: 0, count: count) }

    /// Copies every value from `other`, which must have the same layout.
    func copyValues(from other: ParameterBuffer) {
        precondition(other.tensors == tensors, "copyValues: layouts differ")
        values.update(from: other.values, count: count)
    }

    /// values ← (1 − τ) · values + τ · source (Polyak averaging of a target network).
    func polyakAverage(toward source: ParameterBuffer, tau: Float) {
        precondition(source.count == count, "polyakAverage: layouts differ")
        let keep = 1 - tau
        let v = values, s = source.values
        for i in 0..<count { v[i] = keep * v[i] + tau * s[i] }
    }

    func tensor(named name: String) -> ParameterTensor? { tensors.first { $0.name == name } }

    /// A tensor's values as an array (export, checkpoints, tests).
    func array(_ tensor: ParameterTensor, from base: UnsafePointer<Float>? = nil) -> [Float] {
        let start = (base ?? UnsafePointer(values)) + tensor.offset
        return Array(UnsafeBufferPointer(start: start, count: tensor.count))
    }
}
