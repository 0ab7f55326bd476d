// Safety: the safety chain between the composed action and the arms (DESIGN.md §3,
// method-and-safety.md §8.4). `SafetyChain.apply` runs the stages in this order, one file each
// under Stages/:
//
//   1. NonFiniteRejection  NaN/Inf anywhere in ā → every arm holds
//      StaleStateHold      an arm without a fresh, finite state holds
//   2. ActionBox           normalised elements clamped to safety.action_box
//   3. PhysicalScaling     normalised → metres / radians, gripper → 0 open … 1 closed
//   4. StepCap             per-tick translation, rotation and joint step caps
//   5. WorkspaceLimit      end-effector target kept in the arm's box (forward kinematics)
//   6. JointLimitClamp     joint targets inside the limits minus the margin
//   7. RateLimits          joint velocity and acceleration fractions of the hardware limits
//
// Contract: everything is decided in `SafetyChain.init`; `apply` runs on the control thread and
// allocates nothing, takes no lock and never logs. Every intervention is a `SafetyEvent`
// returned in the tick's `SafetyOutput`. Limits are configured in PLDCore's `SafetyConfig`;
// `SafetyDefaults` holds the hardware numbers a configuration is checked against.
