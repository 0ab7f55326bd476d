// Drivers: the runtime's side of every link to an arm, camera or feature node (FrankaLink over
// the deoxys wire, PLDArmLink over the PLD arm protocol, CameraFeed and FeatureFeed), the cell
// calibration with its hashes, and the kinematics the links and the safety chain use (through
// the MuJoCo module, in Kinematics/).
//
// Threading contract shared by the links (FrankaLink, PLDArmLink):
//   - a link is owned by the control thread; it is not Sendable;
//   - its per-tick methods (`poll(now:)`, `send…`, `hold(now:)`) never block, never allocate in
//     steady state and never log: they count, and return events the caller may act on;
//   - `connect()`, `close()` and control requests (hello, move-to-joints, gains …) block up to
//     their timeouts and run at setup, off the tick;
//   - time is passed in as monotonic nanoseconds (`DriverClock.monotonicNanos()` in
//     production), so tests and `--speed K` simulation control it; every configured duration is
//     multiplied by the link's `timeScale` (1/K for a simulation running K× faster than wall time).
//
// CameraFeed and FeatureFeed allocate (frame data) and may run on an I/O thread instead.
