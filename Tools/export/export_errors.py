"""The one failure type of the exporter.

Contract: every expected failure (bad run directory, bad episode file, ffmpeg failing, output
directory in the way) is raised as `ExportError(message)`, where `message` is one line that
names the file and field at fault. The CLI prints it as `export: error: <message>` on stderr
and exits 1; nothing else is printed for it (no traceback)."""


class ExportError(Exception):
    """A user-facing, one-line export failure."""

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))  # always one line
