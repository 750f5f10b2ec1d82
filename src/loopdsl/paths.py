"""How the paths a user names are anchored and shown: the folder a path is
looked up from, the top of the git work tree above it, and the name a file
gets in every output (relative to the current directory when below it)."""

from __future__ import annotations

import os
from pathlib import Path


def anchor_of(path: str | os.PathLike[str]) -> Path:
    """The folder a command-line path is looked up from: a folder itself, a
    file's parent (also for a path that does not exist yet)."""
    p = Path(path)
    return (p if p.is_dir() else p.parent).resolve()


def work_tree_top(folder: Path) -> Path | None:
    """The top of the git work tree holding ``folder`` (resolved), if any."""
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def display_path(given: Path, cwd: Path) -> str:
    """How a file is named in output: relative to the current directory when
    below it, else as given (normalised), in posix form, always valid UTF-8."""
    absolute = Path(os.path.normpath(cwd / given))
    try:
        shown = absolute.relative_to(cwd).as_posix()
    except ValueError:
        shown = Path(os.path.normpath(given)).as_posix()
    # A name that is not UTF-8 (its bytes kept as surrogates by the OS layer)
    # could not be written into any UTF-8 output: show U+FFFD for those bytes.
    return shown.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def from_root(file: str, root: Path | None) -> str:
    """A workspace file (as outputs name it, from the current directory) named
    from the workspace root instead, so that where the design was checked out
    (/tmp/..., a CI runner) and where the command ran stay out of documents
    and generated code; as given when it lies outside the root."""
    if root is None:
        return file
    absolute = Path(os.path.normpath(Path.cwd() / file))
    try:
        return absolute.relative_to(root.resolve()).as_posix()
    except ValueError:
        return file
