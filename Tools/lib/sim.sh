# Sourced by the Tools/ experiment scripts (bash). Needs PLD set to the pld binary.
#
# start_franka_cube_sim CONFIG SEED LOG [SPEED]: starts `pld sim --scene franka-cube` at SPEED
# (default 10; the run must use the same) with
# pattern cameras on CONFIG's endpoints, kills it when the calling script exits, and waits up to
# 40 s for its READY line. Returns 1 (after one line on stderr naming LOG) if it never comes.
start_franka_cube_sim() {
    local config=$1 seed=$2 log=$3 speed=${4:-10}
    "$PLD" sim --scene franka-cube --config "$config" --speed "$speed" --seed "$seed" --camera-source pattern > "$log" 2>&1 &
    sim_pid=$!
    trap "kill $sim_pid 2>/dev/null" EXIT
    for _ in $(seq 1 200); do grep -q '^READY' "$log" && return 0; sleep 0.2; done
    echo "$(basename "$0"): the sim did not start (see $log)" >&2
    return 1
}
