import Foundation
import PLDCore
import Recording
import TestSupport
import Testing

/// What a run directory does with what an interrupted run left behind, and with garbage.
@Suite(.serialized) struct RunDirectoryTests {
    static func write(_ text: String, _ path: String) throws {
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
    }

    static func recordOne(_ scratch: ScratchRun, steps: Int = 12) throws {
        _ = try RecorderTests.record(into: scratch, episodes: [(steps, 3, .success)], config: RecorderTests.rawConfig, camera: nil)
    }

    @Test func aNewDirectoryGetsItsLayoutRunFileAndConfigCopy() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        let run = try scratch.open()
        for folder in ["episodes", "videos", "incomplete"] {
            var isDirectory: ObjCBool = false
            #expect(FileManager.default.fileExists(atPath: "\(scratch.path)/\(folder)", isDirectory: &isDirectory) && isDirectory.boolValue)
        }
        let runFile = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: scratch.path + "/run.json"))) as? [String: Any]
        #expect(runFile?["config_hash"] as? String == ScratchRun.identity.configHash)
        #expect(runFile?["layout"] as? String == "pld-run/1")
        #expect(try String(contentsOfFile: scratch.path + "/config.yaml", encoding: .utf8) == "name: unit_cell\n")
        #expect(run.nextEpisodeIndex == 0)
        #expect(run.recoveryReport.isEmpty)
    }

    @Test func aDirectoryOfAnotherConfigIsRefusedByName() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        _ = try scratch.open()
        var other = ScratchRun.identity
        other.configHash = String(repeating: "ef", count: 32)
        #expect {
            _ = try scratch.open(identity: other)
        } throws: { error in
            let text = "\(error)"
            return text.contains("was recorded with config unit_cell") && text.contains("use a new --out")
        }
    }

    @Test func aGarbageRunFileIsRefusedByName() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        try Self.write("{ not json", scratch.path + "/run.json")
        #expect {
            _ = try scratch.open()
        } throws: { error in
            "\(error)" == "\(scratch.path)/run.json: not a pld run file; choose another --out"
        }
    }

    @Test func anOpenEpisodeIsMovedAsideAndReportedAndNumberingContinues() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        try Self.recordOne(scratch)
        // What a kill -9 mid-episode leaves: the partial HDF5 file and a partial video.
        try Self.write("half an hdf5 file", scratch.path + "/episodes/episode_000001.hdf5.partial")
        try Self.write("half an mp4", scratch.path + "/videos/wrist/episode_000001.mp4.partial")
        let run = try scratch.open()
        #expect(run.entries.count == 1)
        #expect(run.nextEpisodeIndex == 1)
        #expect(run.recoveryReport.count == 2, "\(run.recoveryReport)")
        #expect(run.recoveryReport[0].contains("episodes/episode_000001.hdf5.partial was open when an earlier run ended"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path + "/episodes/episode_000001.hdf5.partial"))
        let incomplete = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/incomplete").sorted()
        #expect(incomplete.count == 2)
        #expect(incomplete.contains { $0.hasPrefix("episode_000001-") && $0.hasSuffix(".hdf5.partial") })
        #expect(incomplete.contains { $0.hasPrefix("wrist-episode_000001-") })
        // The closed episode is untouched.
        #expect(try EpisodeCheck.run(scratch.path).problems == [])
    }

    @Test func aTornLastIndexLineIsCutOffAndKept() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        try Self.recordOne(scratch)
        let index = scratch.path + "/index.jsonl"
        let good = try String(contentsOfFile: index, encoding: .utf8)
        try (good + #"{"episode_index":1,"file":"epi"#).write(toFile: index, atomically: false, encoding: .utf8)
        let run = try scratch.open()
        #expect(run.entries.count == 1)
        #expect(run.recoveryReport.first?.contains("index.jsonl line 2 was cut short") == true)
        #expect(try String(contentsOfFile: index, encoding: .utf8) == good)
        let fragments = try FileManager.default.contentsOfDirectory(atPath: scratch.path + "/incomplete").filter { $0.hasPrefix("index-fragment-") }
        #expect(fragments.count == 1)
    }

    @Test func aBadLineInsideTheIndexIsAnErrorNamingTheLine() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        try Self.recordOne(scratch)
        let index = scratch.path + "/index.jsonl"
        let good = try String(contentsOfFile: index, encoding: .utf8)
        try ("garbage\n" + good).write(toFile: index, atomically: false, encoding: .utf8)
        #expect {
            _ = try scratch.open()
        } throws: { error in
            "\(error)".contains("index.jsonl:1: not JSON")
        }
        #expect {
            _ = try RunDirectory.readIndex(runPath: scratch.path)
        } throws: { error in
            "\(error)".contains("index.jsonl:1:")
        }
    }

    @Test func aClosedFileMissingFromTheIndexIsReindexedFromItsOwnEntry() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        try Self.recordOne(scratch)
        let index = scratch.path + "/index.jsonl"
        let original = try RunDirectory.readIndex(runPath: scratch.path)
        // The kill came between the rename and the index line.
        try "".write(toFile: index, atomically: false, encoding: .utf8)
        let run = try scratch.open()
        #expect(run.recoveryReport.first?.contains("re-indexed") == true, "\(run.recoveryReport)")
        var recovered = try RunDirectory.readIndex(runPath: scratch.path)
        #expect(recovered.count == 1)
        // The embedded entry predates the file's final size; everything else is the same.
        recovered[0].bytes = original[0].bytes
        #expect(recovered == original)
    }

    @Test func aGarbageEpisodeFileIsMovedAsideNotIndexed() throws {
        let scratch = ScratchRun()
        defer { scratch.remove() }
        _ = try scratch.open()
        try Self.write("not hdf5 at all", scratch.path + "/episodes/episode_000000.hdf5")
        let run = try scratch.open()
        #expect(run.entries.isEmpty)
        #expect(run.recoveryReport.first?.contains("cannot be re-indexed") == true, "\(run.recoveryReport)")
        #expect(run.recoveryReport.first?.contains("episode_000000.hdf5") == true)
    }

    @Test(arguments: [
        ("", "not JSON"),
        ("{", "not JSON"),
        ("[1, 2]", "not an index entry"),
        (#"{"episode_index": 0}"#, "missing field"),
        (#"{"episode_index": "zero", "file": "x", "length": 1}"#, "episode_index"),
    ])
    func garbageIndexLinesAreOneLineErrors(line: String, expected: String) {
        #expect {
            _ = try IndexEntry.decode(line: line)
        } throws: { error in
            let text = "\(error)"
            return text.contains(expected) && !text.contains("\n")
        }
    }

    @Test func hdf5OpenOfGarbageNamesTheFile() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("garbage-\(UUID().uuidString.prefix(6)).hdf5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try HDF5File.openReadOnly(path)
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix(path) && text.contains("open failed") && !text.contains("\n")
        }
        // Creating over an existing file is refused (an episode is never overwritten).
        #expect(throws: HDF5Error.self) { _ = try HDF5File.create(at: path) }
    }
}
