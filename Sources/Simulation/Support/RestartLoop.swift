/// Runs a simulated device process again and again, like the shell loops that keep real ones
/// alive (deoxys's `auto_arm.sh` / `auto_gripper.sh`, a systemd unit for a YAM driver): each
/// time `lifetime` returns, wait `restartDelaySeconds` of sim time and run it again.
///
/// - Parameters:
///   - lifetime: one process lifetime; gets the run number (0 for the first start) and returns
///     false to end the loop for good (e.g. the first bind failed, or a stop was requested).
///   - beforeRestart: called once the delay has passed, before run number ≥ 1 starts (for the
///     restart log line and counter).
/// Returns when `shouldStop` is true or `lifetime` returned false. Runs on the caller's thread.
func runWithRestarts(
    clock: SimClock, restartDelaySeconds: @autoclosure () -> Double, shouldStop: () -> Bool,
    beforeRestart: (_ run: Int) -> Void, lifetime: (_ run: Int) -> Bool
) {
    var run = 0
    while !shouldStop() {
        if run > 0 {
            let deadline = clock.now + restartDelaySeconds()
            guard clock.sleep(until: deadline, while: { !shouldStop() }) else { return }
            beforeRestart(run)
        }
        guard lifetime(run) else { return }
        run += 1
    }
}
