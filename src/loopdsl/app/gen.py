"""``gen``: generated code as a plan the front end carries out, and its
check for CI. The plan holds the generation gap's policy: a regenerated
module is always written; a module of the user's is kept, unless ``force``,
and when the design has moved on from it the stubs as they are now go
beside it (``nodes.py.new``). Everything is decided before anything is
written, so a folder in the way refuses the whole package."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from loopdsl.app import AppError
from loopdsl.app.outputs import stays_inside
from loopdsl.app.workspace import Design, design


def package_for(file: str, package: str | None) -> str:
    """The package's name: ``package`` when it is a valid one, else FILE's."""
    from loopdsl.codegen import package_name, package_problem

    if package is None:
        path = Path(file)
        return package_name(path.resolve().name if path.is_dir() else path.stem)
    why = package_problem(package)
    if why is not None:
        raise AppError(why)
    return package


def _reader(out_dir: Path) -> Callable[[str], str | None]:
    """What the audit reads: a file of the package on disk, or None."""
    from loopdsl.files import FileProblem, read_text

    def read(name: str) -> str | None:
        path = out_dir / name
        if not path.is_file():
            return None
        try:
            return read_text(path)
        except (OSError, UnicodeDecodeError, FileProblem) as e:
            raise AppError(f"cannot read {path}: {e}") from None
    return read


@dataclass(frozen=True, slots=True)
class Action:
    """One step: write ``text`` to ``path`` (``text`` None: keep the file),
    then say ``message``."""

    path: Path
    text: str | None
    message: str


@dataclass(slots=True)
class Plan:
    """What ``gen`` does, in order, and what it says after."""

    design: Design
    actions: list[Action] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # a nodes.py of the user's is behind
    notes: list[str] = field(default_factory=list)  # an earlier layout's nodes.py


def plan(file: str, out_dir: Path, package: str | None = None, *, force: bool = False,
         config_file: Path | None = None) -> Plan:
    """The writes that generate FILE's package into ``out_dir``."""
    from loopdsl.codegen import USER_NODES, audit, generate

    name = package_for(file, package)
    found = design(file, config_file)
    files = generate(found.workspace, name, found.root)
    problems = audit(found.workspace, name, _reader(out_dir))
    # the folders of systems whose nodes.py the design has moved on from
    behind = {Path(p.path).parent for p in problems}
    for rel in files:  # refuse before writing anything: no half-written package
        if (out_dir / rel).is_dir():
            raise AppError(f"cannot write {out_dir / rel}: it is a folder")
        for folder in [out_dir, *(out_dir / f for f in list(Path(rel).parents)[:-1])]:
            if folder.exists() and not folder.is_dir():
                raise AppError(f"cannot write {out_dir / rel}: {folder} is not a folder")
    for rel in files:  # nor through a link out of the folder
        stays_inside(out_dir / rel, out_dir)
    out = Plan(found)
    written: set[str] = set()
    for rel, (text, regenerated) in files.items():
        path = out_dir / rel
        kept = path.exists() and not (regenerated or force)
        if kept and (Path(rel).parent not in behind or Path(rel).name == "__init__.py"):
            out.actions.append(Action(path, None, f"kept {path} (yours; --force replaces it)"))
            continue
        dest = path.with_name(path.name + ".new") if kept else path
        written.add(dest.relative_to(out_dir).as_posix())
        out.actions.append(Action(dest, text, (
            f"kept {path} (yours) and wrote {dest}: the stubs as the design has them now"
            if kept else f"wrote {path}")))
    # what a freshly written nodes.py settles is not repeated
    out.warnings = [f"{out_dir}/{p}" for p in problems if p.path not in written]
    for rel in files:  # an earlier loopdsl wrote DIR/<system>/nodes.py
        old = out_dir / Path(rel).relative_to(name)
        if rel.endswith(f"/{USER_NODES}") and old.is_file():
            out.notes.append(f"{old} is where an earlier loopdsl put your nodes; the package "
                             f"is now {out_dir / name}: move your code into {out_dir / rel}")
    return out


@dataclass(frozen=True, slots=True)
class Staleness:
    """What ``gen --check`` finds: regenerated modules that differ from what
    would be generated, and what the user's modules lack or keep."""

    stale: list[Path]
    problems: list[str]

    def __bool__(self) -> bool:
        return bool(self.stale or self.problems)


def staleness(file: str, out_dir: Path, package: str | None = None, *,
              config_file: Path | None = None) -> Staleness:
    """The code in ``out_dir`` against FILE's design."""
    from loopdsl.codegen import audit, generate

    name = package_for(file, package)
    found = design(file, config_file)
    read = _reader(out_dir)
    files = generate(found.workspace, name, found.root)
    stale = [out_dir / rel for rel, (text, regenerated) in files.items()
             if regenerated and read(rel) != text]
    problems = [f"{out_dir}/{p}" for p in audit(found.workspace, name, read)]
    return Staleness(stale, problems)
