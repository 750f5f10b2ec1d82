"""The one gate every file a command writes goes through: an output is
never one of the run's inputs (the design, the graph, a baseline it read),
and it is written atomically (see ``loopdsl.files.write``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from loopdsl.app import AppError
from loopdsl.files import same_file, write


def write_output(path: Path, data: str | bytes, *, inputs: Sequence[Path] = (),
                 expect: bytes | None = None) -> None:
    """Write ``data`` to ``path``, refusing a path that is one of ``inputs``.
    With ``expect``, the file must still hold those bytes when replaced."""
    for source in inputs:
        if path.exists() and same_file(path, source):
            raise AppError(f"refusing to write {path}: it is an input of this run "
                           "(choose another output with -o)")
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        write(path, raw, expect=expect)
    except OSError as e:
        raise AppError(f"{path}: cannot write: {e.strerror or e}") from None
