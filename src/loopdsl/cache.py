"""The per-user cache folder: parser tables and validated rules, so a run
does not redo work that only changes when loopdsl or its data files do.

The folder is the platform's user cache folder (``LOOPDSL_CACHE_DIR``
overrides it), created private (0700), never the shared temporary folder;
a folder or file that another user owns or may write is neither read nor
written (its pickles could run code).
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
    return folder if os.access(folder, os.W_OK) and private(folder) else None


def private(path: Path) -> bool:
    """Owned by this user and writable by nobody else: what is loaded from the
    cache are pickles, which run code, so nobody else may have planted them.
    (Windows has no such modes; its per-user folder is private already.)"""
    if not hasattr(os, "getuid"):
        return True
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return st.st_uid == os.getuid() and not st.st_mode & 0o022 and not os.path.islink(path)


def cached(name: str, build: Callable[[], T]) -> T:
    """``build()``, memoised on disk as ``name`` (which must encode its inputs)."""
    folder = cache_dir()
    if folder is None:
        return build()
    path = folder / name
    try:
        if private(path):
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
