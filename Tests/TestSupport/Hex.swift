/// Hex of `bytes`, lowercase, no separators ("81a5...").
public func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef")
    var out = ""
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0x0f)])
    }
    return out
}

/// Bytes of a hex string; whitespace is ignored so a reference dump can be pasted as is.
public func decodeHex(_ hex: String) -> [UInt8] {
    let nibbles = hex.compactMap { $0.hexDigitValue }
    precondition(nibbles.count % 2 == 0, "odd number of hex digits")
    return stride(from: 0, to: nibbles.count, by: 2).map { UInt8(nibbles[$0] << 4 | nibbles[$0 + 1]) }
}
