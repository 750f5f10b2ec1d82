"""The per-user cache folder: parser tables and validated rules, so a run
does not redo work that only changes when loopdsl or its data files do.

The folder is the platform's user cache folder (``LOOPDSL_CACHE_DIR``
overrides it), created private (0700), never the shared temporary folder.
Everything in it is keyed by a hash of what it was built from, and a file
that cannot be read is simply rebuilt.
"""

from __future__ import annotations

import os
import pickle
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def cache_dir() -> Path | None:
    """The cache folder, created if needed; None when it cannot be used."""
    base = os.environ.get("LOOPDSL_CACHE_DIR")
    if not base:
        if sys.platform == "win32":
            base = os.path.join(os.environ.get("LOCALAPPDATA", "~"), "loopdsl", "Cache")
        elif sys.platform == "darwin":
            base = "~/Library/Caches/loopdsl"
        else:
            base = os.path.join(os.environ.get("XDG_CACHE_HOME") or "~/.cache", "loopdsl")
    folder = Path(base).expanduser()
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


def cached(name: str, build: Callable[[], T]) -> T:
    """``build()``, memoised on disk as ``name`` (which must encode its inputs)."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / name
    try:
        with path.open("rb") as f:
            value: T = pickle.load(f)
        return value
    except Exception:  # missing, truncated or from another version: rebuild it
        pass
    value = build()
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        with os.fdopen(fd, "wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        if tmp is not None:  # a value that cannot be stored is still returned
            Path(tmp).unlink(missing_ok=True)
    return value
