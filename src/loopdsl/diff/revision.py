"""Design files as they are at a git revision -> a temporary folder: the
old side of `diff --base`.

Read from git's objects (``git ls-tree`` and ``git cat-file --batch``), never
by checking out: the user's work tree, index and HEAD are not touched. Git
runs as a subprocess with an argument list, never through a shell. Only the
files the old side is made of come out, found as the loader would find them:
the ``.loop`` files under PATHS, what they import (transitively), the
configurations that apply to PATHS and the team rule files those name.
Symbolic links and submodules are skipped. Each file is copied from git to
disk in chunks, so memory does not grow with the size of the repository or
of a file; a file larger than the cap every read has is written sparse at its
size, so the old side reports it as the working tree would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tomllib
from collections.abc import Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import IO

from loopdsl.files import MAX_BYTES

CONFIGS = ("loopdsl.toml", "pyproject.toml")
CONFIG_CAP = 1 << 20  # as configurations are read from the work tree
CHUNK = 1 << 20


class RevisionError(Exception):
    """A revision that cannot be read: git missing, an unknown revision, a
    damaged object, a file that cannot be written; the message is one line."""


def _git_exe() -> str:
    exe = shutil.which("git")
    if exe is None:
        raise RevisionError("git is not installed; --base needs it")
    return exe


def _env() -> dict[str, str]:
    return {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}


def _git(top: Path, *args: str) -> bytes:
    proc = subprocess.run([_git_exe(), "-C", str(top), *args], capture_output=True,
                          env=_env(), timeout=600, check=False)
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


def _listing(top: Path, commit: str) -> dict[PurePosixPath, tuple[str, int]]:
    """Every regular blob of the commit: path -> (object id, size; -1 when git
    cannot read it, which only matters if the file is needed)."""
    out: dict[PurePosixPath, tuple[str, int]] = {}
    for entry in _git(top, "ls-tree", "-r", "-z", "-l", "--full-tree", commit).split(b"\0"):
        if not entry:
            continue
        meta, _, raw_path = entry.partition(b"\t")
        mode, kind, sha, size = meta.decode().split()
        path = PurePosixPath(raw_path.decode("utf-8", "surrogateescape"))
        if kind != "blob" or mode == "120000":
            continue  # a submodule, a tree, a symbolic link
        if path.is_absolute() or ".." in path.parts:
            continue  # git never stores such paths; refuse them all the same
        out[path] = (sha, int(size) if size.isdigit() else -1)  # -1: unreadable, said later
    return out


class _Blobs:
    """One ``git cat-file --batch`` process, asked for one object at a time."""

    def __init__(self, top: Path) -> None:
        self.proc = subprocess.Popen([_git_exe(), "-C", str(top), "cat-file", "--batch"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, env=_env())

    def copy(self, sha: str, size: int, dest: Path, cap: int) -> None:
        """Write the object to ``dest``; over ``cap``, a sparse file of its size."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        if size > cap:
            with dest.open("wb") as f:
                f.truncate(size)
            return
        stdin, stdout = self.proc.stdin, self.proc.stdout
        assert stdin is not None and stdout is not None
        stdin.write(f"{sha}\n".encode())
        stdin.flush()
        header = stdout.readline().split()
        if len(header) != 3 or header[1] != b"blob":
            raise RevisionError(f"the revision's object {sha[:12]} for {dest.name} is missing "
                                "or damaged (git cat-file could not read it)")
        left = int(header[2])
        with dest.open("wb") as f:
            for chunk in _chunks(stdout, left):
                f.write(chunk)
        stdout.read(1)  # the newline after the object

    def close(self) -> None:
        """End git, also when it is in the middle of an object nobody reads any
        more (the run was interrupted): closing both pipes ends it at once."""
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _chunks(stream: IO[bytes], left: int) -> Iterator[bytes]:
    while left > 0:
        chunk = stream.read(min(CHUNK, left))
        if not chunk:
            raise RevisionError("git cat-file ended early")
        left -= len(chunk)
        yield chunk


def _under(path: PurePosixPath, folder: PurePosixPath) -> bool:
    return folder == PurePosixPath(".") or path == folder or folder in path.parents


def extract(top: Path, rev: str, dest: Path, paths: Sequence[str] = (".",)) -> str:
    """Write what the old side of ``diff --base`` needs of ``rev`` under
    ``dest``, laid out as in the repository: the designs under ``paths``
    (relative to ``top``), their imports, the configurations that apply and
    the rule files they name. Returns the commit's id."""
    commit = resolve_commit(top, rev)
    listing = _listing(top, commit)
    wanted = [PurePosixPath(Path(p).as_posix()) for p in paths] or [PurePosixPath(".")]
    blobs = _Blobs(top)
    written: set[PurePosixPath] = set()

    def take(path: PurePosixPath, cap: int) -> bool:
        if path in written or path not in listing:
            return path in written
        sha, size = listing[path]
        try:
            blobs.copy(sha, size, dest.joinpath(*path.parts), cap)
        except OSError as e:
            raise RevisionError(f"cannot write {path} of {rev} into a temporary folder: "
                                f"{e.strerror or e}") from None
        written.add(path)
        return True

    try:
        # The configurations: in every folder from the top down to each path,
        # and below it; then the team rule files they name.
        folders = {PurePosixPath(".")}
        for w in wanted:
            folders |= {w, *w.parents}
        configs = [p for p in listing if p.name in CONFIGS
                   and (p.parent in folders or any(_under(p, w) for w in wanted))]
        for config in sorted(configs):
            if take(config, CONFIG_CAP):
                for folder in _rule_paths(dest.joinpath(*config.parts), config.parent):
                    for p in sorted(listing):
                        if p.parent == folder and p.suffix == ".toml":
                            take(p, CONFIG_CAP)
        # The designs under the paths, then what they import, transitively.
        queue = sorted(p for p in listing if p.suffix == ".loop"
                       and any(_under(p, w) for w in wanted))
        while queue:
            path = queue.pop()
            if path in written or not take(path, MAX_BYTES):
                continue
            queue += [i for i in _imports(dest.joinpath(*path.parts), path.parent)
                      if i not in written]
    finally:
        blobs.close()
    return commit


def _rule_paths(config: Path, folder: PurePosixPath) -> list[PurePosixPath]:
    """The ``rule-paths`` a configuration names, relative to the repository."""
    try:
        data = tomllib.loads(config.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return []  # the old side's own reading reports it
    if config.name == "pyproject.toml":
        tool = data.get("tool")
        data = tool.get("loopdsl", {}) if isinstance(tool, dict) else {}
    paths = data.get("rule-paths", []) if isinstance(data, dict) else []
    out = []
    for p in paths if isinstance(paths, list) else []:
        if isinstance(p, str) and not os.path.isabs(p):
            joined = PurePosixPath(os.path.normpath((folder / p).as_posix()))
            if ".." not in joined.parts:
                out.append(joined)
    return out


def _imports(design: Path, folder: PurePosixPath) -> list[PurePosixPath]:
    """The files a design imports, relative to the repository (those that
    would leave it are left to the loader to report)."""
    from loopdsl.files import FileProblem, read_text
    from loopdsl.loader import normalise
    from loopdsl.syntax import ast
    from loopdsl.syntax.parser import parse

    try:
        tree = parse(normalise(read_text(design)))
    except (OSError, UnicodeDecodeError, FileProblem):
        return []  # the loader reports it
    out = []
    for item in tree.items:
        if isinstance(item, ast.Import) and item.path.strip() and not os.path.isabs(item.path):
            joined = os.path.normpath((folder / item.path).as_posix())
            if not joined.startswith(".."):
                out.append(PurePosixPath(joined))
    return out
