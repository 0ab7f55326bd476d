/// A numeric interval used by range checks; prints in mathematical notation: `(0, 1000]`.
public struct ConfigRange: Sendable, Equatable, CustomStringConvertible {
    public var lower: Double?
    public var lowerInclusive: Bool
    public var upper: Double?
    public var upperInclusive: Bool

    public init(lower: Double?, lowerInclusive: Bool, upper: Double?, upperInclusive: Bool) {
        self.lower = lower
        self.lowerInclusive = lowerInclusive
        self.upper = upper
        self.upperInclusive = upperInclusive
    }

    /// [a, b]
    public static func closed(_ a: Double, _ b: Double) -> ConfigRange { .init(lower: a, lowerInclusive: true, upper: b, upperInclusive: true) }
    /// (a, b]
    public static func leftOpen(_ a: Double, _ b: Double) -> ConfigRange { .init(lower: a, lowerInclusive: false, upper: b, upperInclusive: true) }
    /// [a, b)
    public static func rightOpen(_ a: Double, _ b: Double) -> ConfigRange { .init(lower: a, lowerInclusive: true, upper: b, upperInclusive: false) }
    /// (a, b)
    public static func open(_ a: Double, _ b: Double) -> ConfigRange { .init(lower: a, lowerInclusive: false, upper: b, upperInclusive: false) }
    /// > 0
    public static let positive = ConfigRange(lower: 0, lowerInclusive: false, upper: nil, upperInclusive: false)
    /// ≥ 0
    public static let nonNegative = ConfigRange(lower: 0, lowerInclusive: true, upper: nil, upperInclusive: false)
    /// ≥ a
    public static func atLeast(_ a: Double) -> ConfigRange { .init(lower: a, lowerInclusive: true, upper: nil, upperInclusive: false) }

    public func contains(_ value: Double) -> Bool {
        guard value.isFinite else { return false }
        if let lower { if lowerInclusive ? value < lower : value <= lower { return false } }
        if let upper { if upperInclusive ? value > upper : value >= upper { return false } }
        return true
    }

    public var description: String {
        switch (lower, upper) {
        case (let lower?, let upper?):
            return "\(lowerInclusive ? "[" : "(")\(formatConfigNumber(lower)), \(formatConfigNumber(upper))\(upperInclusive ? "]" : ")")"
        case (let lower?, nil):
            return "\(lowerInclusive ? ">=" : ">") \(formatConfigNumber(lower))"
        case (nil, let upper?):
            return "\(upperInclusive ? "<=" : "<") \(formatConfigNumber(upper))"
        case (nil, nil):
            return "any number"
        }
    }
}

/// Prints integral values without a fractional part (`1000`, not `1000.0`).
public func formatConfigNumber(_ value: Double) -> String {
    if value.isFinite, value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
}

/// Collects validation violations. Each section's `validate(at:into:)` adds to one of these.
public struct ConfigValidator: Sendable {
    public private(set) var issues: [ConfigIssue] = []

    public init() {}

    public mutating func fail(_ path: ConfigPath, _ message: String) {
        issues.append(ConfigIssue(path: path, message: message))
    }

    public mutating func check(_ condition: Bool, _ path: ConfigPath, _ message: @autoclosure () -> String) {
        if !condition { fail(path, message()) }
    }

    /// `value` must lie in `range`.
    public mutating func range(_ value: Double, _ range: ConfigRange, _ path: ConfigPath, unit: String = "") {
        if !range.contains(value) {
            let suffix = unit.isEmpty ? "" : " \(unit)"
            fail(path, "must be in \(range)\(suffix), found \(formatConfigNumber(value))")
        }
    }

    public mutating func range(_ value: Int, _ range: ConfigRange, _ path: ConfigPath, unit: String = "") {
        self.range(Double(value), range, path, unit: unit)
    }

    /// Every element of `values` must lie in `range`; reports the first offender by index.
    public mutating func range(_ values: [Double], _ range: ConfigRange, _ path: ConfigPath, unit: String = "") {
        for (index, value) in values.enumerated() where !range.contains(value) {
            self.range(value, range, path.index(index), unit: unit)
            return
        }
    }

    /// `values` must have exactly `expected` elements; `what` says why (e.g. "one per joint").
    @discardableResult
    public mutating func count<T>(_ values: [T], _ expected: Int, _ path: ConfigPath, _ what: String) -> Bool {
        if values.count != expected {
            fail(path, "expected \(expected) values (\(what)), found \(values.count)")
            return false
        }
        return true
    }

    /// `name` must be a lowercase identifier: it appears in socket paths, file names and
    /// references (`arm.left.joint_position`).
    public mutating func name(_ name: String, _ path: ConfigPath) {
        let valid = !name.isEmpty && name.count <= 64
            && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            && !("0"..."9").contains(name.unicodeScalars.first!)
        check(valid, path, "invalid name \"\(name)\"; use lowercase letters, digits and underscores (at most 64), starting with a letter")
    }

    /// Names in a list must be unique.
    public mutating func unique(_ names: [String], _ path: ConfigPath, _ what: String) {
        var seen: [String: Int] = [:]
        for (index, name) in names.enumerated() {
            if let first = seen[name] {
                fail(path.index(index).key("name"), "duplicate \(what) name `\(name)` (also \(path)[\(first)])")
            } else {
                seen[name] = index
            }
        }
    }

    /// Component-wise `low < high`.
    public mutating func ordered(low: [Double], high: [Double], _ lowPath: ConfigPath, _ highPath: ConfigPath, _ lowName: String, _ highName: String) {
        for index in 0..<min(low.count, high.count) where !(low[index] < high[index]) {
            fail(highPath.index(index), "\(highName)[\(index)] = \(formatConfigNumber(high[index])) must be greater than \(lowName)[\(index)] = \(formatConfigNumber(low[index]))")
            return
        }
    }

    /// Runs a nested section's checks.
    public mutating func section<S: ConfigSection>(_ section: S, _ path: ConfigPath) {
        section.validate(at: path, into: &self)
    }
}

/// A part of a configuration that can check itself in isolation.
public protocol ConfigSection {
    func validate(at path: ConfigPath, into validator: inout ConfigValidator)
}
