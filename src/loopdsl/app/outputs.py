"""The one gate every file a command writes goes through: an output is
never one of the run's inputs (the design, the graph, a baseline it read),
a file written into a folder the command owns (``gen -o DIR``) never leads
out of it through a link, and every file is written atomically (see
``loopdsl.files.write``)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from loopdsl.app import AppError
from loopdsl.files import same_file, write


def write_output(path: Path, data: str | bytes, *, inputs: Sequence[Path] = (),
                 expect: bytes | None = None, within: Path | None = None) -> None:
    """Write ``data`` to ``path``, refusing a path that is one of ``inputs``.
    With ``expect``, the file must still hold those bytes when replaced. With
    ``within`` (the folder ``path`` lies in), a folder on the way that is a
    link out of it is refused, and a link at ``path`` is replaced, not followed."""
    for source in inputs:
        if path.exists() and same_file(path, source):
            raise AppError(f"refusing to write {path}: it is an input of this run "
                           "(choose another output with -o)")
    if within is not None:
        stays_inside(path, within)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    try:
        write(path, raw, expect=expect, replace_link=within is not None)
    except OSError as e:
        raise AppError(f"{path}: cannot write: {e.strerror or e}") from None


def stays_inside(path: Path, folder: Path) -> None:
    """``AppError``: refuse ``path`` (a file below ``folder``) when a folder on
    the way that exists is, links resolved, outside ``folder``."""
    if not folder.exists():
        return  # made anew: nothing on the way can lead anywhere yet
    top = os.path.realpath(folder)
    step = folder
    for part in path.relative_to(folder).parts[:-1]:
        step = step / part
        if not step.exists() and not step.is_symlink():
            return
        real = os.path.realpath(step)
        if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
            raise AppError(f"refusing to write {path}: {step} is a link that leads out of "
                           f"{folder}")
