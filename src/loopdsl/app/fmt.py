"""``fmt``: every design PATHS name, read and formatted; what to write is
the front end's choice (rewrite, list, or show a diff)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from loopdsl.app import AppError
from loopdsl.app.workspace import files_of, runs


@dataclass(frozen=True, slots=True)
class Formatted:
    """One file: its bytes as read, and its text formatted, or why it is left
    as it is (``problem``: not UTF-8, a syntax error, read-only)."""

    path: Path
    raw: bytes
    original: str
    formatted: str | None
    problem: str | None = None

    @property
    def changed(self) -> bool:
        return self.formatted is not None and self.formatted != self.original


def format_files(paths: Sequence[str], config_file: Path | None = None,
                 skipped: list[str] | None = None) -> list[Formatted]:
    """Each ``.loop`` file PATHS name (folders searched, ``exclude`` kept)."""
    from loopdsl.files import read_bytes
    from loopdsl.formatter import FormatError, format_text

    out = []
    for path in files_of(runs(paths, config_file), skipped):
        try:
            raw = read_bytes(path)
        except OSError as e:
            raise AppError(f"{path}: {e.strerror or e}") from None
        try:
            original = raw.decode("utf-8")
        except UnicodeDecodeError:
            out.append(Formatted(path, raw, "", None, "not UTF-8 text"))
            continue
        try:
            formatted = format_text(original)
        except FormatError as e:
            out.append(Formatted(path, raw, original, None, str(e)))
            continue
        if formatted != original and not os.stat(path).st_mode & 0o222:
            # even root: the user marked it read-only
            out.append(Formatted(path, raw, original, formatted, "read-only"))
            continue
        out.append(Formatted(path, raw, original, formatted))
    return out
