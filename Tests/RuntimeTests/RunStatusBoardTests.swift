import Testing
@testable import Runtime

/// The rolling success rate operators see (`pld status`, the live view, the report): the last
/// 50 completed episodes, aborted ones left out.
@Suite struct RunStatusBoardTests {
    @Test func rollingSuccessRateCoversTheLastFiftyCompletedEpisodes() {
        let board = RunStatusBoard()
        #expect(board.rollingCount == 0 && board.rollingSuccessRate == 0)
        var outcomes: [Bool] = []
        var random = UInt64(12345)
        for episode in 0..<137 {
            random = random &* 6364136223846793005 &+ 1442695040888963407
            let success = (random >> 33) % 3 != 0
            // Every seventh episode is aborted: counted, but not a verdict on the policy.
            let completed = episode % 7 != 3
            board.endEpisode(success: success && completed, completed: completed)
            if completed { outcomes.append(success) }
            let window = outcomes.suffix(RunStatusBoard.rollingWindow)
            #expect(board.rollingCount == window.count)
            let expected = Double(window.filter { $0 }.count) / Double(window.count)
            #expect(abs(board.rollingSuccessRate - expected) < 1e-12, "episode \(episode)")
        }
        #expect(board.value(.episodes) == 137)
        #expect(board.value(.episodesAborted) == UInt64((0..<137).filter { $0 % 7 == 3 }.count))
    }
}
