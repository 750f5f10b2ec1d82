"""The user's files, read and written so that a hostile path cannot hurt:
only regular files are read (a FIFO would block forever, a device never
ends), reads are capped by the bytes actually read (``st_size`` of
``/dev/zero`` is 0), writes go through a temporary file and a rename (never
half written) except to devices and pipes, which are written directly and
never replaced, and a symlinked output keeps its link.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

MAX_BYTES = 64 * 1024 * 1024  # designs, configurations, rule files, baselines


class FileProblem(OSError):
    """A path that cannot be used as a file: not regular, too large, changed.
    Its message names the problem, not the path."""


def read_bytes(path: str | os.PathLike[str], cap: int = MAX_BYTES) -> bytes:
    """The bytes of a regular file, at most ``cap`` of them; ``FileProblem``
    for anything else, ``OSError`` when it cannot be opened."""
    # O_NONBLOCK: opening a FIFO for reading would wait for a writer.
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileProblem("not a regular file")
        chunks, size = [], 0
        while size <= cap:
            chunk = os.read(fd, min(1 << 20, cap + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > cap:
            raise FileProblem(f"larger than {cap >> 20} MiB")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_text(path: str | os.PathLike[str], cap: int = MAX_BYTES) -> str:
    """``read_bytes`` decoded as UTF-8 (``UnicodeDecodeError`` otherwise)."""
    return read_bytes(path, cap).decode("utf-8")


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Do two paths name one file (links followed)?"""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it
    os.umask(mask)
    return mask


def write(path: Path, data: bytes, *, expect: bytes | None = None,
          replace_link: bool = False) -> None:
    """Write ``data`` to ``path``.

    A regular file (or a new one) is written atomically through a temporary
    file in its folder and keeps its mode; a symlink is followed, so the link
    stays a link, unless ``replace_link``: then the link itself is replaced by
    the new file and what it pointed at is left alone. A device or a pipe
    (``/dev/null``, ``/dev/stdout``) is written directly, never renamed over.
    With ``expect``, the file must still hold those bytes when it is replaced
    (another program's edit made meanwhile is not overwritten): ``FileProblem``
    otherwise.
    """
    link = path.is_symlink()
    try:
        # through links: /dev/stdout is a link to a pipe or a tty
        st = None if link and replace_link else os.stat(path)
    except FileNotFoundError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        if stat.S_ISDIR(st.st_mode):
            raise IsADirectoryError(21, "is a folder", str(path))
        with open(path, "ab") as f:  # append: a shared stdout keeps what it has
            f.write(data)
        return
    target = Path(os.path.realpath(path)) if link and not replace_link else path
    mode = stat.S_IMODE(st.st_mode) if st is not None else 0o666 & ~_umask()
    folder = target.parent if str(target.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, mode)
        if expect is not None and read_bytes(target) != expect:
            raise FileProblem("changed by another program meanwhile; left as it is")
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
