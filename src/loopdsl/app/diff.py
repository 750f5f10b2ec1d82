"""Both sides of ``loopdsl diff``: two files or folders, or PATHS at a git
revision (read from git's objects into a temporary folder, removed before
returning) against the working tree; each side loaded and linted as
``check`` does, then compared."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from loopdsl.app import AppError, UsageProblem
from loopdsl.app.workspace import Checked, check, runs
from loopdsl.diff import Diff, Side, compare
from loopdsl.paths import anchor_of, display_path, work_tree_top


@dataclass(frozen=True, slots=True)
class DiffRun:
    """The comparison, and the new side as checked (for the fail decision)."""

    result: Diff
    new: Checked


def _keyed(base: Path, cwd: Path,
           renames: dict[str, str] | None = None) -> Callable[[str], str]:
    """A side's file names as keys both sides share: relative to ``base``."""
    def key(file: str) -> str:
        rel = Path(os.path.relpath(os.path.normpath(cwd / file), base)).as_posix()
        return (renames or {}).get(rel, rel)
    return key


def diff(paths: Sequence[str], base_rev: str | None = None, *,
         config_file: Path | None = None, fail_on: str | None = None) -> DiffRun:
    """``diff OLD NEW`` (two ``paths``), or ``diff --base REV [PATHS]...``."""
    cwd = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="loopdsl-diff-") as tmp:
        if base_rev is None:
            if len(paths) != 2:
                raise UsageProblem("give OLD and NEW, or --base REV [PATHS]...")
            for p in paths:
                if not Path(p).exists():
                    raise AppError(f"{p}: no such file or folder")
            old_anchor, new_anchor = anchor_of(paths[0]), anchor_of(paths[1])
            renames = ({Path(paths[0]).name: Path(paths[1]).name}
                       if Path(paths[0]).is_file() and Path(paths[1]).is_file() else None)
            old_runs, new_runs = runs([paths[0]], config_file), runs([paths[1]], config_file)
            old_key, new_key = _keyed(old_anchor, cwd, renames), _keyed(new_anchor, cwd)
            base_name, head_name, new_base = paths[0], paths[1], new_anchor
        else:
            from loopdsl.diff.revision import RevisionError, extract

            wanted = list(paths) or ["."]
            top = work_tree_top(anchor_of(wanted[0]))
            if top is None:
                raise AppError(f"{wanted[0]}: not in a git work tree (--base needs one)")
            relative = []
            for p in wanted:
                rel = os.path.relpath(Path(p).resolve(), top)
                if rel.startswith(".."):
                    raise AppError(f"{p}: outside the git work tree at {top}")
                relative.append(rel)
            old_top = Path(tmp)
            try:
                extract(top, base_rev, old_top, relative)
            except RevisionError as e:
                raise AppError(str(e)) from None
            old_paths = [str(old_top / rel) for rel in relative if (old_top / rel).exists()]
            new_paths = [p for p in wanted if Path(p).exists()]
            for p, rel in zip(wanted, relative, strict=True):
                if not Path(p).exists() and not (old_top / rel).exists():
                    raise AppError(f"{p}: found neither in {base_rev} nor in the working tree")
            old_runs = runs(old_paths, config_file, top=old_top) if old_paths else []
            new_runs = runs(new_paths, config_file) if new_paths else []
            old_key, new_key = _keyed(old_top, cwd), _keyed(top, cwd)
            base_name, head_name, new_base = base_rev, "working tree", top
        old, new = check(old_runs), check(new_runs, fail_on=fail_on)
        result = compare(
            Side(old.workspace, old.findings, old_key), Side(new.workspace, new.findings, new_key),
            base=base_name, head=head_name,
            file_name=lambda key: display_path(new_base / key, cwd))
    return DiffRun(result, new)
