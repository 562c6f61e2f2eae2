"""Writing outputs safely: one atomic writer for every file obkimg produces.

A temporary file is created in the destination folder, written, fsync'ed and renamed over the
destination, so a crash, an error or Ctrl-C midway never leaves a half file. Existing files are only
replaced with ``force=True``; an output equal to one of the inputs is always refused.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable

from .errors import OutputError

__all__ = ["write_atomic", "check_output"]


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output(path: str | os.PathLike[str], *, force: bool = False,
                 inputs: Iterable[str | os.PathLike[str]] = ()) -> str:
    """Raise OutputError if ``path`` may not be written; return it as a str."""
    dest = os.fspath(path)
    for src in inputs:
        if isinstance(src, (str, os.PathLike)) and os.fspath(src) != "-" and _same_file(dest, os.fspath(src)):
            raise OutputError(f"refusing to overwrite the input file {dest}", fmt="output")
    if os.path.isdir(dest):
        raise OutputError(f"{dest} is a directory", fmt="output")
    if os.path.lexists(dest) and not force:
        raise OutputError(f"{dest} exists; force=True overwrites it", fmt="output")
    parent = os.path.dirname(os.path.abspath(dest))
    if not os.path.isdir(parent):
        raise OutputError(f"folder {parent} does not exist", fmt="output")
    return dest


def _mode_for(dest: str) -> int:
    """Permissions of the replaced file, else what open() would give a new file (0o666 minus umask)."""
    try:
        return os.stat(dest).st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_atomic(path: str | os.PathLike[str], data: bytes | str, *, force: bool = False,
                 inputs: Iterable[str | os.PathLike[str]] = (), mode: int | None = None) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename).

    ``mode`` sets the file's permissions (``0o600`` for files holding secrets: never readable by
    others, not even for a moment); by default a replaced file keeps its mode and a new one gets
    ``0o666`` minus the umask.
    """
    dest = check_output(path, force=force, inputs=inputs)
    payload = data.encode() if isinstance(data, str) else bytes(data)
    folder = os.path.dirname(os.path.abspath(dest))
    try:
        fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(dest) + ".", suffix=".part", dir=folder)
    except OSError as e:
        raise OutputError(f"cannot write in {folder}: {e.strerror or e}", fmt="output") from e
    try:
        os.fchmod(fd, _mode_for(dest) if mode is None else mode)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        if not force and os.path.lexists(dest):
            raise OutputError(f"{dest} appeared while writing; force=True overwrites it", fmt="output")
        os.replace(tmp, dest)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):  # disk full, I/O error, destination not replaceable...
            raise OutputError(f"cannot write {dest}: {e.strerror or e}", fmt="output") from e
        raise
    try:
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass
