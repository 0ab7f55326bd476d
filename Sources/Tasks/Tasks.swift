// Tasks: the stage machine and reward classifiers that sequence multi-stage tasks and resets
// (arriving with the multi-stage issue). Stages are declared in PLDCore's `StageConfig`.
public enum Tasks {}
