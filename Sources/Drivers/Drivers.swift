// Drivers: the runtime's side of every link to an arm, camera or feature node (FrankaLink over
// the deoxys wire, PLDArmLink over the PLD arm protocol), calibration, and the kinematics the
// links and the safety chain use (through the MuJoCo module).
