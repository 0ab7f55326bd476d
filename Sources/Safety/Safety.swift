// Safety: the stages of the safety chain (NaN/Inf rejection → action box → per-step delta cap →
// workspace box → joint limits → velocity/acceleration limits) and the events they raise.
// Contract for the stages (arriving with the tick issue): pure functions of value types, called
// on the control thread, no allocation, every intervention reported as an event.
// Limits are configured in PLDCore's `SafetyConfig`.
public enum Safety {}
