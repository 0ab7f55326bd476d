import Foundation

/// Writes one line to stderr (errors and warnings; stdout stays machine-readable).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
