#!/usr/bin/env python3
"""Exports a run directory recorded by `pld run` as a LeRobot dataset (what `pld export` calls).

    python3 Tools/export/lerobot_export.py --run RUN_DIR --format lerobot-v2.1|lerobot-v3.0 \\
        --out OUT_DIR [--successful-only] [--hybrid-only] [--vcodec libx264|libsvtav1] [--crf N] \\
        [--overwrite]

Input: Sources/Recording/EpisodeFormat.md. Output: LeRobot v2.1 (layout_v21) or v3.0
(layout_v30). Contract of the command:
- progress on stderr, one `export: episode i/N (episode_XXXXXX, F frames)` line per episode
  (and `export: skip ...` for episodes the filters leave out, `export: warning: ...` for an
  episode whose recorded tick rate was not its fps);
- success: exit 0 and exactly one JSON line on stdout:
  {"format", "episodes", "frames", "seconds", "frames_per_second", "out"};
- bad input: exit 1 and one `export: error: ...` line on stderr naming the file and field;
  bad arguments: exit 2 with one `export: error: ...` line;
- the dataset is written to OUT_DIR.partial and renamed to OUT_DIR only when complete, so a
  failed or killed export never leaves a complete-looking OUT_DIR. An existing non-empty
  OUT_DIR is replaced only with --overwrite, and only if it is a LeRobot dataset."""

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from export_errors import ExportError  # noqa: E402
from export_pipeline import FORMATS, ExportOptions, export_run  # noqa: E402
from layout_v30 import DATA_FILE_MB, VIDEO_FILE_MB  # noqa: E402
from lerobot_video import ENCODERS, VideoSettings  # noqa: E402


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, like every other failure
        print(f"export: error: {message} (see --help)", file=sys.stderr)
        sys.exit(2)


def parse_args(argv):
    p = _Parser(prog="lerobot_export.py", description="Export a pld run directory as a LeRobot dataset.")
    p.add_argument("--run", required=True, type=Path, help="run directory written by `pld run`")
    p.add_argument("--format", required=True, choices=sorted(FORMATS), help="LeRobot dataset version")
    p.add_argument("--out", required=True, type=Path, help="dataset directory to create")
    p.add_argument("--successful-only", action="store_true", help="only episodes whose index entry has success true")
    p.add_argument("--hybrid-only", action="store_true",
                   help="only the frames from each episode's handoff step on; episodes without a handoff are skipped")
    p.add_argument("--vcodec", choices=sorted(ENCODERS), default="libx264",
                   help="video encoder (default libx264; LeRobot's own default is libsvtav1)")
    p.add_argument("--crf", type=int, default=None,
                   help="encoder quality, lower is better (default: " +
                        ", ".join(f"{k} {v['crf']}" for k, v in ENCODERS.items()) + ")")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it is an existing LeRobot dataset")
    p.add_argument("--data-file-size-mb", type=float, default=DATA_FILE_MB,
                   help=f"v3.0: start a new data file past this size (default {DATA_FILE_MB})")
    p.add_argument("--video-file-size-mb", type=float, default=VIDEO_FILE_MB,
                   help=f"v3.0: start a new video file past this size (default {VIDEO_FILE_MB})")
    args = p.parse_args(argv)
    if args.crf is not None and not 0 <= args.crf <= 63:
        p.error(f"--crf {args.crf} is out of range 0..63")
    if args.data_file_size_mb <= 0 or args.video_file_size_mb <= 0:
        p.error("--data-file-size-mb and --video-file-size-mb must be positive")
    return args


def prepare_output(out: Path, overwrite: bool, run: Path) -> Path:
    """Checks OUT may be written; returns an empty OUT.partial to write the dataset into."""
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise ExportError(f"{out}: exists and is not empty (pass --overwrite to replace it)")
        if not (out / "meta" / "info.json").is_file():
            raise ExportError(f"{out}: exists and is not a LeRobot dataset (no meta/info.json); refusing to replace it")
    run_real, out_real = run.resolve(), out.resolve()
    if run_real == out_real or out_real in run_real.parents:
        raise ExportError(f"{out}: contains the run directory {run}; choose another --out")
    partial = out.parent / (out.name + ".partial")
    if partial.exists():  # left by an interrupted export
        shutil.rmtree(partial)
    try:
        partial.mkdir(parents=True)
    except OSError as e:
        raise ExportError(f"{partial}: cannot create ({e.strerror})")
    return partial


def commit_output(partial: Path, out: Path) -> None:
    """Puts the finished dataset in place of OUT (renames; the old OUT is removed after)."""
    if out.exists():
        old = out.parent / f"{out.name}.old-{os.getpid()}"
        os.rename(out, old)
        os.rename(partial, out)
        shutil.rmtree(old)
    else:
        os.rename(partial, out)


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    started = time.monotonic()
    opts = ExportOptions(run_dir=args.run, format=args.format, successful_only=args.successful_only,
                         hybrid_only=args.hybrid_only, settings=VideoSettings(args.vcodec, args.crf),
                         data_file_mb=args.data_file_size_mb, video_file_mb=args.video_file_size_mb)

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    partial = None
    try:
        if not args.run.is_dir():
            raise ExportError(f"{args.run}: run directory not found")
        if not (args.run / "index.jsonl").is_file():
            raise ExportError(f"{args.run / 'index.jsonl'}: missing (is {args.run} a pld run directory?)")
        partial = prepare_output(args.out, args.overwrite, args.run)
        summary = export_run(opts, partial, log)
        commit_output(partial, args.out)
        partial = None
    except ExportError as e:
        log(f"export: error: {e}")
        return 1
    except KeyboardInterrupt:
        log("export: error: interrupted")
        return 130
    except Exception as e:  # never a traceback: say what failed in one line
        log(f"export: error: unexpected {type(e).__name__}: {' '.join(str(e).split())}")
        return 1
    finally:
        if partial is not None:
            shutil.rmtree(partial, ignore_errors=True)
    seconds = time.monotonic() - started
    summary.update({"seconds": round(seconds, 3),
                    "frames_per_second": round(summary["frames"] / seconds, 1) if seconds > 0 else None,
                    "out": str(args.out.absolute())})
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
