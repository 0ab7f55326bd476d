import Foundation

/// Writes one line to stderr (errors and warnings; stdout stays machine-readable).
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

/// Writes one line to stdout at once (no stdio buffering): episode lines reach a pipe — a
/// supervisor, a log file, a test — as they happen, not when the buffer fills or at exit.
func printOut(_ line: String) {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
