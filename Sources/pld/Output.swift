#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes one line to stderr (errors and warnings; stdout stays machine-readable).
func printError(_ line: String) {
    var text = line
    text.append("\n")
    fputs(text, stderr)
}
