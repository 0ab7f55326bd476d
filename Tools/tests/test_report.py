"""Tools/report: run summaries written to the pld-run-summary/1 contract (built here from synthetic
episodes) turned into report.md and three PNG plots by the script as a real subprocess; the
report's numbers are checked against the synthetic data; plus zero episodes, missing optional
fields, the output options and every kind of bad input."""

import copy
import json
import math
import random
import re
import statistics
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPORT = TESTS.parent / "report"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PLOTS = ("success_rate.png", "episode_lengths.png", "tick_timing.png")
ABORT_REASONS = ("estop", "driver_lost", "policy_lost", "camera_frozen", "operator_reset", "operator_failure",
                 "stopped", "recording")
REQUIRED = ("format", "config_name", "started_unix_ns", "ended_unix_ns", "end_reason", "counters", "episodes")
STARTED_NS = 1764745200000000000  # 2025-12-03 07:00:00 UTC


# --- synthetic summaries --------------------------------------------------------------------------


def make_episodes(n: int, seed: int = 7) -> list:
    rng = random.Random(seed)
    episodes, t = [], STARTED_NS
    for i in range(n):
        outcome = rng.choices(("success", "timeout", "aborted"), weights=(0.6, 0.15, 0.25))[0]
        length = 600 if outcome == "timeout" else rng.randint(150, 590)
        # a few aborted episodes without a reason: the report counts them as "unspecified"
        reason = (None if rng.random() < 0.1 else rng.choice(ABORT_REASONS)) if outcome == "aborted" else None
        t += length * 10_000_000
        episodes.append({"index": i, "outcome": outcome, "aborted_reason": reason, "length": length,
                         "handoff_step": rng.choice((None, None, rng.randint(10, 140))),
                         "duration_s": length / 100.0, "ended_unix_ns": t})
    return episodes


def counters_for(episodes: list) -> dict:
    aborted = Counter(e["aborted_reason"] for e in episodes if e["outcome"] == "aborted")
    return {"episodes": len(episodes), "successes": sum(e["outcome"] == "success" for e in episodes),
            "interventions": 4, "manual_resets": aborted["operator_reset"], "estops": aborted["estop"],
            "faults_driver": aborted["driver_lost"], "faults_policy": aborted["policy_lost"],
            "faults_camera": aborted["camera_frozen"], "safety_events": 5, "policy_stalls": 12}


def histogram(centre_us: float, total: int) -> list:
    bounds = [2 ** k for k in range(1, 15)]  # 2 µs .. 16 ms
    weights = [math.exp(-(math.log(b / centre_us)) ** 2) for b in bounds]
    return [[float(b), int(round(total * w / sum(weights)))] for b, w in zip(bounds, weights)]


def make_summary(n_episodes: int = 120, seed: int = 7) -> dict:
    episodes = make_episodes(n_episodes, seed)
    return {
        "format": "pld-run-summary/1",
        "config_name": "franka_sim_cube",
        "started_unix_ns": STARTED_NS,
        "ended_unix_ns": STARTED_NS + 3600 * 1_000_000_000,
        "end_reason": "duration",
        "speed": 10.0,
        "control_rate_hz": 100.0,
        "ticks": 360000, "deadline_misses": 3,
        "tick_compute_us": {"p50": 120.5, "p99": 300.1, "max": 900.0},
        "tick_jitter_us": {"p50": 20.0, "p99": 250.0, "max": 1200.0},
        "tick_compute_histogram_us": histogram(120.0, 360000),
        "tick_jitter_histogram_us": histogram(20.0, 360000),
        "counters": counters_for(episodes),
        "recording": {"directory": "/data/runs/franka_sim_cube", "episodes_written": n_episodes - 1,
                      "dropped_steps": 17, "failure": None},
        "rss_start_kib": 150000, "rss_end_kib": 152000,
        "warnings": ["camera wrist: 3 frames arrived late", "policy server restarted once"],
        "episodes": episodes,
    }


def write_summary(run: Path, doc, name: str = "run_summary.json") -> Path:
    run.mkdir(parents=True, exist_ok=True)
    path = run / name
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return path


# --- running the script and reading what it wrote -------------------------------------------------


def run_report(*args):
    return subprocess.run([sys.executable, str(REPORT), *map(str, args)], capture_output=True, text=True, timeout=120)


def report_ok(run: Path, *extra, out: Path = None) -> str:
    proc = run_report(run, *extra)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    out = out or run
    assert proc.stdout.splitlines() == [str((out / "report.md").absolute())]
    return (out / "report.md").read_text()


def assert_one_error(proc, *needles) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("report: error: "), proc.stderr
    for n in needles:
        assert n in lines[0], (n, lines[0])
    return lines[0]


def section(text: str, heading: str) -> str:
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.M | re.S)
    assert m, f"no section '## {heading}' in:\n{text}"
    return m.group(1)


def headings(text: str) -> list:
    return re.findall(r"^## (.+)$", text, re.M)


def rows(text: str) -> dict:
    """Two-or-more-column table rows keyed by their first cell."""
    out = {}
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
            out[cells[0]] = cells[1:]
    return out


def number(cell: str) -> int:
    return int(cell.replace(",", ""))


def wilson_bounds(k: int, n: int) -> tuple:
    """The 95% Wilson score interval as the roots of (p̂ - p)² = z² p (1 - p) / n."""
    z2 = statistics.NormalDist().inv_cdf(0.975) ** 2
    p_hat = k / n
    a, b, c = 1 + z2 / n, -(2 * p_hat + z2 / n), p_hat * p_hat
    root = math.sqrt(b * b - 4 * a * c)
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def assert_pngs(out: Path, min_bytes: int = 0) -> None:
    for name in PLOTS:
        p = out / "plots" / name
        assert p.is_file(), p
        data = p.read_bytes()
        assert data[:8] == PNG_SIGNATURE, p
        assert len(data) > min_bytes, (p, len(data))
    assert not [p for p in out.rglob(".*tmp*")], "temporary files left behind"


@pytest.fixture(scope="module")
def full_run(tmp_path_factory):
    run = tmp_path_factory.mktemp("full") / "run"
    doc = make_summary()
    write_summary(run, doc)
    return run, doc, report_ok(run)


# --- the full report ------------------------------------------------------------------------------


def test_sections_and_run_facts(full_run):
    run, doc, text = full_run
    assert text.startswith("# Run report: franka_sim_cube\n")
    assert headings(text) == ["Run", "Totals", "Outcomes", "Tick timing", "Memory", "Aborted episodes", "Warnings",
                              "Plots"]
    facts = rows(section(text, "Run"))
    assert facts["Started"] == ["2025-12-03 07:00:00 UTC"] and facts["Ended"] == ["2025-12-03 08:00:00 UTC"]
    assert facts["Wall duration"] == ["1 h 00 min 00 s"]
    assert facts["Sim speed"] == ["10×"] and facts["Control rate"] == ["100 Hz"]
    assert facts["End reason"][0].startswith("duration")


def test_totals_match_the_episodes(full_run):
    _, doc, text = full_run
    eps = doc["episodes"]
    n, k = len(eps), sum(e["outcome"] == "success" for e in eps)
    assert 0 < k < n and n == 120
    totals = rows(section(text, "Totals"))
    assert number(totals["Episodes"][0]) == n and number(totals["Successes"][0]) == k
    m = re.fullmatch(r"([\d.]+)% \(95% Wilson interval \[([\d.]+)%, ([\d.]+)%\]\)", totals["Success rate"][0])
    assert m, totals["Success rate"]
    rate, lo, hi = (float(g) / 100 for g in m.groups())
    want_lo, want_hi = wilson_bounds(k, n)
    assert abs(rate - k / n) <= 0.0005 + 1e-9
    assert abs(lo - want_lo) <= 0.0005 + 1e-9 and abs(hi - want_hi) <= 0.0005 + 1e-9
    assert want_lo < k / n < want_hi
    c = doc["counters"]
    for label, key in (("Interventions", "interventions"), ("Manual resets", "manual_resets"), ("E-stops", "estops"),
                       ("Faults: driver", "faults_driver"), ("Faults: policy", "faults_policy"),
                       ("Faults: camera", "faults_camera"), ("Safety events", "safety_events"),
                       ("Policy stalls", "policy_stalls")):
        assert number(totals[label][0]) == c[key], label
    assert number(totals["Recording: episodes written"][0]) == n - 1
    assert number(totals["Recording: dropped steps"][0]) == 17
    assert totals["Recording: failure"] == ["none"]


def test_outcome_counts(full_run):
    _, doc, text = full_run
    table = rows(section(text, "Outcomes"))
    want = Counter(e["outcome"] for e in doc["episodes"])
    for outcome in ("success", "timeout", "aborted"):
        assert number(table[outcome][0]) == want[outcome], outcome


def test_aborted_episodes_by_reason(full_run):
    _, doc, text = full_run
    aborted = [e for e in doc["episodes"] if e["outcome"] == "aborted"]
    want = Counter(e["aborted_reason"] or "unspecified" for e in aborted)
    assert len(want) >= 4 and "unspecified" in want
    table = rows(section(text, "Aborted episodes"))
    total = table.pop("**total**")
    assert number(total[0].strip("*")) == len(aborted)
    assert table.pop("Reason")[0] == "Episodes"  # the header
    assert {reason: number(cells[0]) for reason, cells in table.items()} == dict(want)
    counts = [number(cells[0]) for cells in table.values()]
    assert counts == sorted(counts, reverse=True)  # most frequent first


def test_timing_memory_warnings_and_plots(full_run):
    run, doc, text = full_run
    timing = rows(section(text, "Tick timing"))
    assert timing["Compute (µs)"] == ["120.5", "300.1", "900.0"]
    assert timing["Jitter (µs)"] == ["20.0", "250.0", "1,200.0"]
    assert number(timing["Ticks"][0]) == 360000 and timing["Deadline misses"][0].startswith("3 ")
    memory = rows(section(text, "Memory"))
    assert memory["RSS at start"] == ["153.6 MB"] and memory["RSS at end"] == ["155.6 MB"]
    assert memory["RSS growth"][0].startswith("+2.0 MB")
    warnings = section(text, "Warnings")
    assert all(f"- {w}" in warnings for w in doc["warnings"]) and "(report)" not in warnings
    plots = section(text, "Plots")
    for name in PLOTS:
        assert re.search(rf"!\[[^\]]+\]\(plots/{re.escape(name)}\)", plots), name
    assert_pngs(run, min_bytes=5000)


# --- edge cases -----------------------------------------------------------------------------------


def test_zero_episodes(tmp_path):
    doc = make_summary()
    doc["episodes"] = []
    doc["counters"].update(episodes=0, successes=0)
    write_summary(tmp_path, doc)
    text = report_ok(tmp_path)
    totals = rows(section(text, "Totals"))
    assert totals["Episodes"] == ["0"] and totals["Success rate"] == ["n/a (no episodes)"]
    assert "No episodes." in section(text, "Outcomes") and "No episodes." in section(text, "Aborted episodes")
    assert_pngs(tmp_path)


def test_only_the_required_fields(tmp_path):
    full = make_summary(n_episodes=30)
    doc = {k: full[k] for k in REQUIRED}
    doc["counters"] = {"episodes": 30}  # successes come from the episodes
    doc["episodes"] = [{"index": e["index"], "outcome": e["outcome"], "length": e["length"]} for e in full["episodes"]]
    write_summary(tmp_path, doc)
    text = report_ok(tmp_path)
    assert headings(text) == ["Run", "Totals", "Outcomes", "Aborted episodes", "Plots"]
    totals = rows(section(text, "Totals"))
    assert number(totals["Successes"][0]) == sum(e["outcome"] == "success" for e in doc["episodes"])
    assert not any(label.startswith(("Recording", "Faults")) for label in totals)
    assert "Sim speed" not in rows(section(text, "Run"))
    assert_pngs(tmp_path)


def test_recording_off_and_counter_mismatch_noted(tmp_path):
    doc = make_summary(n_episodes=10)
    doc["recording"] = None
    doc["counters"]["episodes"] = 11
    write_summary(tmp_path, doc)
    text = report_ok(tmp_path)
    assert rows(section(text, "Totals"))["Recording"] == ["off"]
    assert "(report) counters.episodes is 11 but the summary lists 10 episodes" in section(text, "Warnings")


def test_summary_and_out_options(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    summary = write_summary(tmp_path / "elsewhere", make_summary(n_episodes=20), name="s.json")
    out = tmp_path / "reports" / "today"
    text = report_ok(run, "--summary", summary, "--out", out, out=out)
    assert number(rows(section(text, "Totals"))["Episodes"][0]) == 20
    assert_pngs(out)
    assert list(run.iterdir()) == []


# --- bad input ------------------------------------------------------------------------------------


def test_garbage_summary(tmp_path):
    path = write_summary(tmp_path, "this is {not json\n")
    assert_one_error(run_report(tmp_path), str(path), "not valid JSON")


def test_summary_missing_episodes(tmp_path):
    doc = make_summary()
    del doc["episodes"]
    path = write_summary(tmp_path, doc)
    assert_one_error(run_report(tmp_path), str(path), "missing required field 'episodes'")


def _without(key):
    def damage(doc):
        del doc[key]
        return f"missing required field '{key}'"
    return damage


def _episode_length_text(doc):
    doc["episodes"][5]["length"] = "long"
    return "field 'episodes[5].length' must be an integer"


def _episode_not_object(doc):
    doc["episodes"][3] = 7
    return "field 'episodes[3]' must be an object"


def _counter_negative(doc):
    doc["counters"]["estops"] = -1
    return "field 'counters.estops' must be at least 0"


def _wrong_format(doc):
    doc["format"] = "pld-run-summary/2"
    return "field 'format' is \"pld-run-summary/2\""


def _bad_histogram(doc):
    doc["tick_jitter_histogram_us"][2] = [1.0, 5]
    return "field 'tick_jitter_histogram_us[2][0]'"


def _bad_percentile(doc):
    doc["tick_compute_us"]["p99"] = "fast"
    return "field 'tick_compute_us.p99' must be a number"


def _more_successes_than_episodes(doc):
    doc["counters"]["successes"] = doc["counters"]["episodes"] + 1
    return "field 'counters.successes'"


BAD = {
    **{f"missing_{k}": _without(k) for k in REQUIRED},
    "episode_length_text": _episode_length_text,
    "episode_not_object": _episode_not_object,
    "counter_negative": _counter_negative,
    "wrong_format": _wrong_format,
    "histogram_not_ascending": _bad_histogram,
    "percentile_not_number": _bad_percentile,
    "more_successes_than_episodes": _more_successes_than_episodes,
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_summary_fails_in_one_line(tmp_path, case):
    doc = copy.deepcopy(make_summary(n_episodes=20))
    needle = BAD[case](doc)
    path = write_summary(tmp_path, doc)
    assert_one_error(run_report(tmp_path), str(path), needle)
    assert not (tmp_path / "report.md").exists() and not (tmp_path / "plots").exists()


@pytest.mark.parametrize("content, needle", [("", "not valid JSON"), ("[1, 2]", "not a run summary"),
                                             ('{"format": NaN}', "not valid JSON")])
def test_not_a_summary_object(tmp_path, content, needle):
    path = write_summary(tmp_path, content)
    assert_one_error(run_report(tmp_path), str(path), needle)


def test_missing_run_directory(tmp_path):
    assert_one_error(run_report(tmp_path / "nope"), str(tmp_path / "nope"), "run directory not found")


def test_missing_summary(tmp_path):
    assert_one_error(run_report(tmp_path), str(tmp_path / "run_summary.json"), "not found")


def test_bad_arguments(tmp_path):
    assert_one_error(run_report(tmp_path, "--window", "0"), "--window")
    assert_one_error(run_report(), "RUN_DIR")


def test_a_failed_run_keeps_the_previous_report(tmp_path):
    write_summary(tmp_path, make_summary(n_episodes=15))
    before = report_ok(tmp_path)
    pngs = {name: (tmp_path / "plots" / name).read_bytes() for name in PLOTS}
    write_summary(tmp_path, '{"format": "pld-run-summary/1", "config_name": ')  # cut short mid-write
    assert_one_error(run_report(tmp_path), "not valid JSON")
    assert (tmp_path / "report.md").read_text() == before
    assert {name: (tmp_path / "plots" / name).read_bytes() for name in PLOTS} == pngs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots", "report.md", "run_summary.json"]


def test_stages_section_counts_attempts_and_where_episodes_failed(tmp_path):
    doc = make_summary(n_episodes=6)
    doc["stage_names"] = ["insert", "move", "return"]
    # [attempts, successes, failures, timeouts, steps] per stage, per episode
    per_episode = [
        ([[1, 1, 0, 0, 100], [1, 1, 0, 0, 50], [1, 1, 0, 0, 80]], "success", None),
        ([[2, 1, 0, 1, 400], [1, 1, 0, 0, 60], [1, 1, 0, 0, 70]], "success", None),
        ([[2, 0, 0, 2, 600], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], "failure", "insert"),
        ([[1, 1, 0, 0, 90], [1, 0, 1, 0, 20], [0, 0, 0, 0, 0]], "failure", "move"),
        ([[1, 1, 0, 0, 120], [1, 1, 0, 0, 40], [1, 0, 0, 1, 300]], "failure", "return"),
        ([[1, 0, 0, 0, 30], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]], "aborted", None),
    ]
    for e, (stats, outcome, failed) in zip(doc["episodes"], per_episode):
        e["stage_stats"] = stats
        e["outcome"] = outcome
        e["aborted_reason"] = "estop" if outcome == "aborted" else None
        if failed:
            e["failed_stage"] = failed
    doc["counters"] = counters_for(doc["episodes"])
    write_summary(tmp_path, doc)
    text = report_ok(tmp_path)
    table = rows(section(text, "Stages"))
    # reached, attempts, successes, per attempt, failures, timeouts, mean steps, failed here
    assert table["insert"][:6] == ["6", "8", "4", "50.0%", "0", "3"]
    assert table["insert"][7] == "1"
    assert table["move"][:6] == ["4", "4", "3", "75.0%", "1", "0"]
    assert table["return"][:6] == ["3", "3", "2", "66.7%", "0", "1"]
    assert "Full cycles (every stage succeeded): 2 of 6 episodes." in section(text, "Stages")
    assert rows(section(text, "Outcomes"))["failure"][0] == "3"


def test_single_stage_runs_have_no_stages_section(tmp_path):
    doc = make_summary(n_episodes=5)
    doc["stage_names"] = ["task"]
    write_summary(tmp_path, doc)
    assert "Stages" not in headings(report_ok(tmp_path))


def test_bad_stage_stats_fail_in_one_line(tmp_path):
    doc = make_summary(n_episodes=3)
    doc["episodes"][1]["stage_stats"] = [[1, 2, 3]]
    write_summary(tmp_path, doc)
    assert_one_error(run_report(tmp_path), "episodes[1].stage_stats[0]")


def test_learning_section_and_curve(tmp_path):
    doc = make_summary(n_episodes=60)
    for e in doc["episodes"]:
        warm = e["index"] < 20
        e["learner_warmup"] = warm
        e["residual_version"] = 0 if warm else e["index"] - 19
        # base alone: 10 of 20; with the residual: the last 20 all succeed
        e["outcome"] = "success" if (e["index"] % 2 == 0 if warm else e["index"] >= 40) else "timeout"
        e["aborted_reason"] = None
    doc["counters"] = counters_for(doc["episodes"])
    doc["learner"] = {"phase": "learning", "warmup_episodes": 20, "learning_episodes": 40, "offline_transitions": 2000,
                      "online_transitions": 9000, "updates": 9000, "warm_start_updates": 300, "versions": 40, "failure": None}
    write_summary(tmp_path, doc)
    text = report_ok(tmp_path)
    table = rows(section(text, "Learning"))
    assert table["Base success in warm-up (95% Wilson)"][0].startswith("10/20 = 50.0%")
    assert table["Success, last 20 learning episodes"][0].startswith("20/20 = 100.0%")
    assert table["Success, first 20 learning episodes"][0].startswith("0/20 = 0.0%")
    assert table["Weights versions published"] == ["40"]
    png = tmp_path / "plots" / "learning_curve.png"
    assert png.stat().st_size > 5000 and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_no_learning_section_without_a_learner(tmp_path):
    write_summary(tmp_path, make_summary(n_episodes=5))
    assert "Learning" not in headings(report_ok(tmp_path))
    assert not (tmp_path / "plots" / "learning_curve.png").exists()
