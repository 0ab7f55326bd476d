"""Reading a pld run directory (index.jsonl + episodes/*.hdf5) from the analysis tools in Tools/.

Contract: `episodes(run, tool, read, skipped)` yields (index entry, read(HDF5 path)) for every
line of `run/index.jsonl` that parses and reads; a line that does not is appended to `skipped` as
"line N: Error: message", never raised, so one bad episode does not hide the rest of a run.
A directory without index.jsonl is a one-line error naming it, exit status 2."""
import json
import os
import sys


def fail(tool, message):
    print(f"{tool}: {message}", file=sys.stderr)
    sys.exit(2)


def episodes(run, tool, read, skipped):
    """Yields (entry, read(HDF5 path)) per index line; failures of json or `read` go to `skipped`."""
    index = os.path.join(run, "index.jsonl")
    if not os.path.isfile(index):
        fail(tool, f"{run}: no index.jsonl (not a pld run directory)")
    with open(index) as f:
        lines = list(f)
    for number, line in enumerate(lines, 1):
        try:
            entry = json.loads(line)
            row = read(os.path.join(run, entry["file"]))
        except Exception as error:  # one bad episode is reported, not fatal
            skipped.append(f"line {number}: {type(error).__name__}: {error}")
            continue
        yield entry, row
