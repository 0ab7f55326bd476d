// PLDCore: value types shared by every module (joint vectors, poses, action spaces, limits),
// clocks, tick statistics and the configuration model. Imports no project module.
public enum PLDCore {}
