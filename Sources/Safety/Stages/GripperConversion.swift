import PLDCore

/// Gripper values between the policy's convention and the internal one (0 open … 1 closed, the
/// PLD arm protocol's), as `ActionSegment.gripper` declares (yam.md §6, deoxys-wire.md §5.4).
public enum GripperConversion {
    /// The policy's gripper `value` as closedness, 0 open … 1 closed (not yet clamped):
    /// - `zero_open_one_closed` (openpi): unchanged;
    /// - `zero_closed_one_open` (i2rt): 1 − value;
    /// - `negative_open_positive_closed` (deoxys): value ≥ 0 is a grasp (1); value < 0 opens to
    ///   a width of 0.08·|value| m of the 0.08 m stroke, i.e. closedness 1 − |value| = 1 + value.
    public static func closedness(_ value: Double, convention: GripperConvention) -> Double {
        switch convention {
        case .zeroOpenOneClosed: value
        case .zeroClosedOneOpen: 1 - value
        case .negativeOpenPositiveClosed: value >= 0 ? 1 : 1 + value
        }
    }

    /// The inverse of `closedness`: the policy's value for a closedness in [0, 1]. For
    /// `negative_open_positive_closed` a full close is 1 (any value ≥ 0 grasps).
    public static func policyValue(closedness c: Double, convention: GripperConvention) -> Double {
        switch convention {
        case .zeroOpenOneClosed: c
        case .zeroClosedOneOpen: 1 - c
        case .negativeOpenPositiveClosed: c >= 1 ? 1 : c - 1
        }
    }

    /// `closedness` snapped to 0 or 1 at `threshold` (closed at or above it), or unchanged
    /// without a threshold (continuous gripper). openpi's DROID client binarises at 0.5.
    public static func binarised(_ closedness: Double, threshold: Double?) -> Double {
        guard let threshold else { return closedness }
        return closedness >= threshold ? 1 : 0
    }
}
