import ArgumentParser

/// A wall-clock or sim duration on the command line: `90s`, `10m`, `1h`, `1h30m`, `250ms`.
struct DurationArgument: ExpressibleByArgument, Equatable {
    let seconds: Double

    init(seconds: Double) { self.seconds = seconds }

    init?(argument: String) {
        guard let seconds = DurationArgument.parse(argument), seconds > 0 else { return nil }
        self.seconds = seconds
    }

    static var defaultCompletionKind: CompletionKind { .default }

    /// Sum of number+unit parts (units: ms, s, m, h); nil when anything else appears.
    static func parse(_ text: String) -> Double? {
        var total = 0.0
        var rest = Substring(text)
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            switch unit {
            case "ms": total += value / 1000
            case "s": total += value
            case "m": total += value * 60
            case "h": total += value * 3600
            default: return nil
            }
        }
        return total
    }
}
