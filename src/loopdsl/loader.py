"""Files on disk -> a resolved ``Workspace``: find the ``.loop`` files, read
them (and what they import), parse, resolve.

Problems inside files are diagnostics; a path the user named that cannot be
used at all is a ``LoadError`` (the CLI turns it into exit code 2).
"""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import os
import stat
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

from loopdsl.diagnostics import structural
from loopdsl.files import MAX_BYTES, FileProblem, read_bytes
from loopdsl.model import Diagnostic, Span, Workspace
from loopdsl.paths import anchor_of, display_path, work_tree_top
from loopdsl.resolve import ParsedSource, resolve, span_of
from loopdsl.syntax import ast
from loopdsl.syntax.parser import parse

MAX_FILE_BYTES = MAX_BYTES


class LoadError(Exception):
    """A named path cannot be used: missing, unreadable, not a file or folder."""


@contextlib.contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection while a workspace is built or linted.

    Loading allocates one object per token, node, flow and span, and every
    allocation burst made the collector scan them all again: about a third of
    `check` at 10,000 nodes. The objects built here hold no reference cycles
    to collect, so pausing costs no memory.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load(
    paths: Iterable[str | os.PathLike[str]],
    *,
    root: str | os.PathLike[str] | None = None,
    exclude: Sequence[str] = (),
    skipped: list[str] | None = None,
    overlay: Mapping[str, str] | None = None,
) -> Workspace:
    """Load the named files and folders (folders are searched for ``*.loop``).

    ``root`` bounds what imports may read (default: the top of the git work
    tree holding the first path, else that path's folder, when no
    configuration names one; docs/language.md#imports); ``exclude`` holds globs matched against
    paths relative to the root and against file and folder names; what a
    folder search passes over is described in ``skipped``. ``overlay`` maps
    real paths to texts read instead of the disk (an editor's unsaved
    documents).
    """
    paths = list(paths)
    cwd = Path.cwd()
    if root is None:
        anchor = anchor_of(paths[0]) if paths else cwd
        root_path = work_tree_top(anchor) or anchor
    else:
        root_path = Path(root)
    loader = _Loader(cwd, root_path, overlay)
    with paused_gc():
        for file in discover(paths, root=root_path, exclude=exclude, skipped=skipped):
            loader.add(file)
        return loader.finish()


def loads(text: str, filename: str = "<string>", *,
          root: str | os.PathLike[str] | None = None) -> Workspace:
    """Load one file's text; its imports are read relative to the current directory."""
    cwd = Path.cwd()
    loader = _Loader(cwd, Path(root) if root is not None else cwd)
    with paused_gc():
        loader.add_text(filename, cwd / "_", normalise(text))
        return loader.finish()


def discover(
    paths: Iterable[str | os.PathLike[str]],
    *,
    root: Path,
    exclude: Sequence[str] = (),
    skipped: list[str] | None = None,
) -> list[Path]:
    """The ``.loop`` files named by ``paths``, folders searched in sorted order.

    A folder search takes regular files only, and no symlink that leads out of
    the workspace root (a design in a pull request must not make CI print
    ``/proc/self/environ``); each one passed over is described in ``skipped``.
    A folder that cannot be read is a ``LoadError``: a check must not pass
    without reading what it was asked to.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(_walk(path, root, exclude, skipped if skipped is not None else []))
        elif path.is_file():
            found.append(path)
        elif path.exists():
            raise LoadError(f"{raw}: not a regular file or folder")
        else:
            raise LoadError(f"{raw}: no such file or folder")
    return found


def _walk(folder: Path, root: Path, exclude: Sequence[str], skipped: list[str]) -> list[Path]:
    def unreadable(e: OSError) -> None:
        raise LoadError(f"{e.filename}: cannot read folder: {e.strerror or e}")

    real_root = Path(os.path.realpath(root))
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(folder, onerror=unreadable):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames
                             if not d.startswith(".") and not _excluded(here / d, root, exclude))
        for name in sorted(filenames):
            path = here / name
            if not name.endswith(".loop") or _excluded(path, root, exclude):
                continue
            why = _unusable(path, real_root)
            if why:
                skipped.append(f"{path}: {why}")
            else:
                files.append(path)
    return files


def _unusable(path: Path, real_root: Path) -> str | None:
    """Why a file found in a folder is not read, if it is not."""
    try:
        if path.is_symlink():
            real = Path(os.path.realpath(path))
            if real != real_root and real_root not in real.parents:
                return "a symlink to a file outside the workspace root; not read"
        if not stat.S_ISREG(path.stat().st_mode):
            return "not a regular file; not read"
    except OSError as e:
        return f"cannot be read ({e.strerror or e}); not read"
    return None


def _excluded(path: Path, root: Path, patterns: Sequence[str]) -> bool:
    if not patterns:
        return False
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        rel = path.as_posix()
    return any(fnmatch.fnmatchcase(rel, p) or fnmatch.fnmatchcase(path.name, p)
               for p in patterns)


def _short(path: str) -> str:
    """A path for a message: a hostile one can be thousands of characters long."""
    return path if len(path) <= 80 else path[:38] + "…" + path[-38:]


def normalise(text: str) -> str:
    """Text as the parser reads it: no byte-order mark, every newline a LF."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _point(path: str, line: int = 1, column: int = 1) -> Span:
    return Span(file=path, line=line, column=column, end_line=line, end_column=column + 1)


class _Loader:
    def __init__(self, cwd: Path, root: Path, overlay: Mapping[str, str] | None = None) -> None:
        self.cwd = cwd
        self.overlay = overlay or {}
        self.root = Path(os.path.realpath(root))
        self.sources: list[ParsedSource] = []
        self.diagnostics: list[Diagnostic] = []
        self.seen: dict[str, str] = {}  # real path -> how the file is shown

    def finish(self) -> Workspace:
        return resolve(self.sources, self.diagnostics)

    def add(self, path: Path) -> None:
        """Read and parse a file named on the command line, then what it imports."""
        shown = self._claim(path)
        if shown is not None:
            text = self._read(path, shown, imported_by=None)
            if text is not None:
                self.add_text(shown, path, text)

    def _claim(self, path: Path) -> str | None:
        """How a file not loaded before is shown; None when it was loaded."""
        real = os.path.realpath(path)
        if real in self.seen:
            return None
        shown = self.seen[real] = display_path(path, self.cwd)
        return shown

    def _read(self, path: Path, shown: str,
              imported_by: tuple[str, ast.Import] | None) -> str | None:
        """The file's text, or None after reporting why it cannot be had."""
        if self.overlay:
            unsaved = self.overlay.get(os.path.realpath(path))
            if unsaved is not None:
                return normalise(unsaved)
        try:
            data = read_bytes(path, MAX_FILE_BYTES)
        except FileProblem as e:
            if str(e).startswith("larger"):
                self._file_problem(shown, f"file is {e}")
                return None
            if imported_by is None:
                raise LoadError(f"{shown}: {e}") from None
            self._import_problem(imported_by, f"cannot read '{imported_by[1].path}': {e}")
            return None
        except OSError as e:
            if imported_by is None:
                raise LoadError(f"{shown}: {e.strerror or e}") from None
            self._import_problem(imported_by, f"cannot read '{imported_by[1].path}': "
                                              f"{e.strerror or e}")
            return None
        try:
            return normalise(data.decode("utf-8"))
        except UnicodeDecodeError as e:
            prefix = data[: e.start]
            line = prefix.count(b"\n") + 1
            column = len(prefix[prefix.rfind(b"\n") + 1 :].decode("utf-8", "replace")) + 1
            self._file_problem(
                shown, f"file is not UTF-8 text: byte 0x{data[e.start]:02x} cannot be decoded",
                line, column, help="save the file as UTF-8")
            return None

    def add_text(self, shown: str, path: Path, text: str) -> None:
        """Parse one file's text, then read what it imports, depth first, each
        file once. A stack, not recursion: an import chain may be thousands deep."""
        stack = [self._parsed(shown, path, text)]
        while stack:
            source, importer, imports = stack[-1]
            item = next(imports, None)
            if item is None:
                stack.pop()
                continue
            target = self._import_target(source.path, importer, item)
            if target is None:
                continue
            claimed = self._claim(target)
            if claimed is None:
                source.imports.append(self.seen[os.path.realpath(target)])
                continue
            source.imports.append(claimed)
            imported = self._read(target, claimed, imported_by=(source.path, item))
            if imported is not None:
                stack.append(self._parsed(claimed, target, imported))

    def _parsed(self, shown: str, path: Path,
                text: str) -> tuple[ParsedSource, Path, Iterator[ast.Import]]:
        tree = parse(text)
        source = ParsedSource(shown, text, tree)
        self.sources.append(source)
        for p in tree.errors:
            self.diagnostics.append(structural(
                "LD001", p.message,
                Span(file=shown, line=p.line, column=p.column,
                     end_line=p.end_line, end_column=p.end_column),
                help=p.help))
        return source, path, (item for item in tree.items if isinstance(item, ast.Import))

    def _import_target(self, shown: str, importer: Path, imp: ast.Import) -> Path | None:
        raw = imp.path
        if not raw.strip():
            self._import_problem((shown, imp), "import path is empty")
            return None
        if any(not ch.isprintable() for ch in raw):
            self._import_problem((shown, imp), "import path contains a control character")
            return None
        if os.path.isabs(raw) or raw.startswith(("/", "\\", "~")) or (
            len(raw) > 1 and raw[1] == ":"
        ):
            self._import_problem((shown, imp), f"import '{_short(raw)}' is absolute",
                                 help="import paths are relative to the importing file")
            return None
        # Symlinks are followed before '..' is applied, as the system reads the
        # path: `link/../x.loop` is beside the link's target, not beside the link.
        try:
            real = Path(os.path.realpath(self.cwd / importer.parent / raw))
            lexical = Path(os.path.normpath(importer.parent / raw))
            target = lexical if Path(os.path.realpath(self.cwd / lexical)) == real else real
            exists, is_file = real.exists(), real.is_file()
        except (OSError, ValueError) as e:
            self._import_problem((shown, imp), f"import '{_short(raw)}' cannot be resolved: "
                                               f"{getattr(e, 'strerror', None) or e}")
            return None
        if real != self.root and self.root not in real.parents:
            self._import_problem(
                (shown, imp), f"import '{_short(raw)}' resolves outside the workspace root",
                help=f"the root is {self.root.as_posix()}: keep imported files inside it, "
                     "or set `root` in the configuration",
            )
            return None
        if not exists:
            self._import_problem((shown, imp), f"import '{_short(raw)}': no such file")
            return None
        if not is_file:
            self._import_problem((shown, imp), f"import '{_short(raw)}' is not a file")
            return None
        return target

    def _import_problem(self, where: tuple[str, ast.Import], message: str,
                        help: str | None = None) -> None:
        shown, imp = where
        self.diagnostics.append(structural("LD005", message, span_of(shown, imp.token),
                                           help=help, element=imp.path))

    def _file_problem(self, shown: str, message: str, line: int = 1, column: int = 1,
                      help: str | None = None) -> None:
        """An LD001 for a file that cannot be parsed at all."""
        self.sources.append(ParsedSource(shown, "", ast.ParsedFile(
            errors=[ast.SyntaxProblem(message, line, column, line, column + 1, help)])))
        self.diagnostics.append(structural("LD001", message, _point(shown, line, column),
                                           help=help))
