"""Design files as they are at a git revision -> a temporary folder: the
old side of `diff --base`.

Read from git's objects (``git ls-tree`` and ``git cat-file --batch``), never
by checking out: the user's work tree, index and HEAD are not touched. Git
runs as a subprocess with an argument list, never through a shell. Only the
files a workspace is made of come out: ``*.loop`` designs and ``*.toml``
configurations and rule files; symbolic links and submodules are skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path, PurePosixPath

SUFFIXES = (".loop", ".toml")


class RevisionError(Exception):
    """A revision that cannot be read: git missing, an unknown revision, a failure."""


def _git(top: Path, *args: str, data: bytes | None = None) -> bytes:
    exe = shutil.which("git")
    if exe is None:
        raise RevisionError("git is not installed; --base needs it")
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    proc = subprocess.run([exe, "-C", str(top), *args], input=data, capture_output=True,
                          env=env, timeout=600, check=False)
    if proc.returncode != 0:
        detail = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RevisionError(f"git {args[0]} failed: {detail[-1] if detail else proc.returncode}")
    return proc.stdout


def resolve_commit(top: Path, rev: str) -> str:
    """The commit ``rev`` names in the repository at ``top``."""
    try:
        out = _git(top, "rev-parse", "--verify", "--quiet", "--end-of-options",
                   f"{rev}^{{commit}}")
    except RevisionError:
        raise RevisionError(f"unknown revision '{rev}'") from None
    return out.decode().strip()


def extract(top: Path, rev: str, dest: Path) -> str:
    """Write the design files of ``rev`` under ``dest``, laid out as in the
    repository; the commit's id."""
    commit = resolve_commit(top, rev)
    listing = _git(top, "ls-tree", "-r", "-z", "--full-tree", commit)
    wanted: list[tuple[str, PurePosixPath]] = []
    for entry in listing.split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        path = PurePosixPath(raw_path.decode("utf-8", "surrogateescape"))
        if kind != "blob" or mode == "120000" or not path.name.endswith(SUFFIXES):
            continue
        if path.is_absolute() or ".." in path.parts:
            continue  # git never stores such paths; refuse them all the same
        wanted.append((sha, path))
    if not wanted:
        return commit
    batch = _git(top, "cat-file", "--batch", data="".join(f"{sha}\n" for sha, _ in wanted)
                 .encode())
    at = 0
    for _sha, path in wanted:
        header_end = batch.index(b"\n", at)
        size = int(batch[at:header_end].split()[2])
        body = batch[header_end + 1 : header_end + 1 + size]
        at = header_end + 1 + size + 1  # the content, then a newline
        target = dest.joinpath(*path.parts)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return commit
