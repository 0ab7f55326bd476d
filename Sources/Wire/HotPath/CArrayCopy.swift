/// Copies a protobuf-c repeated double field into fixed storage, refusing a wrong count or a
/// non-finite value. No allocation.
@inline(__always)
func copyChecked<let N: Int>(
    _ source: UnsafeMutablePointer<Double>?, count: Int, into target: inout InlineArray<N, Double>,
    field: HotField, requireFinite: Bool = true
) throws(WireDecodeError) {
    guard count == N, let source else {
        throw .wrongCount(field: field, expected: N, actual: count)
    }
    for i in 0..<N {
        let value = source[i]
        if requireFinite && !value.isFinite { throw .nonFinite(field: field) }
        target[i] = value
    }
}

/// Like `copyChecked`, but the field may be absent (count 0) and then stays as it was.
@inline(__always)
func copyOptional<let N: Int>(
    _ source: UnsafeMutablePointer<Double>?, count: Int, into target: inout InlineArray<N, Double>,
    field: HotField
) throws(WireDecodeError) {
    if count == 0 { return }
    try copyChecked(source, count: count, into: &target, field: field)
}
