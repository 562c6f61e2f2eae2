"""Writing outputs safely: one atomic writer for every file obkimg produces.

A temporary file is created in the destination folder, written, fsync'ed and renamed over the
destination, so a crash, an error or Ctrl-C midway never leaves a half file. Existing files are only
replaced with ``force=True``; an output equal to one of the inputs is always refused.

SIGTERM, SIGHUP and SIGQUIT during a write remove the temporary file too (then the process ends by
that signal, as it would have); after a SIGKILL, where nothing can run, the next write to the same
destination removes the temporary files that dead obkimg processes left (their names carry the pid).

Character devices and FIFOs (``/dev/null``, ``/dev/stdout``, a named pipe) are written through, as
esptool and imgtool do, never replaced by a regular file; block devices and sockets are refused.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import stat
import tempfile
import threading
from collections.abc import Iterable, Iterator

from .errors import OutputError

__all__ = ["write_atomic", "check_output", "same_file"]


def same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """Whether ``a`` and ``b`` name the same file (same inode; the same absolute path if one is missing)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_output(
    path: str | os.PathLike[str], *, force: bool = False, inputs: Iterable[str | os.PathLike[str]] = ()
) -> str:
    """Raise OutputError if ``path`` may not be written; return it as a str."""
    dest = os.fspath(path)
    for src in inputs:
        if isinstance(src, (str, os.PathLike)) and os.fspath(src) != "-" and same_file(dest, os.fspath(src)):
            raise OutputError(f"refusing to overwrite the input file {dest}", fmt="output")
    if os.path.isdir(dest):
        raise OutputError(f"{dest} is a directory", fmt="output")
    special = _special(dest)
    if special == "stream":
        return dest  # written through, nothing is replaced
    if special is not None:
        raise OutputError(
            f"{dest} is a {special}; obkimg writes only files, FIFOs and character devices", fmt="output"
        )
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


def _special(dest: str) -> str | None:
    """ "stream" for a character device or FIFO, a name for other non-regular files, None otherwise."""
    try:
        mode = os.stat(dest).st_mode
    except OSError:
        return None
    if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
        return "stream"
    if stat.S_ISBLK(mode):
        return "block device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return None


def _write_through(dest: str, payload: bytes) -> None:
    try:
        fd = os.open(dest, os.O_WRONLY)
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
    except OSError as e:
        raise OutputError(f"cannot write {dest}: {e.strerror or e}", fmt="output") from e


class _Signalled(BaseException):
    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


_CLEANUP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP", "SIGQUIT") if hasattr(signal, n))


def _raise_signalled(signum: int, frame: object) -> None:
    raise _Signalled(signum)


@contextlib.contextmanager
def _cleanup_on_signals() -> Iterator[None]:
    """SIGTERM/SIGHUP/SIGQUIT raise inside the block (so the temp file is removed), where their handler
    is the default one and this is the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {}
    for sig in _CLEANUP_SIGNALS:
        if signal.getsignal(sig) == signal.SIG_DFL:
            saved[sig] = signal.signal(sig, _raise_signalled)
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old)


def _stale_parts(folder: str, base: str) -> None:
    """Remove ``.<base>.<pid>.*.part`` files of obkimg processes that no longer exist (a SIGKILL)."""
    pattern = re.compile(re.escape(f".{base}.") + r"(\d+)\.[A-Za-z0-9_]+\.part")
    try:
        names = os.listdir(folder)
    except OSError:
        return
    for name in names:
        m = pattern.fullmatch(name)
        if m is None or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
        except ProcessLookupError:
            with contextlib.suppress(OSError):
                os.unlink(os.path.join(folder, name))
        except (PermissionError, OverflowError):  # alive under another user, or not a pid
            continue


def write_atomic(
    path: str | os.PathLike[str],
    data: bytes | str,
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
    mode: int | None = None,
) -> None:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, fsync, rename).

    ``mode`` sets the file's permissions (``0o600`` for files holding secrets: never readable by
    others, not even for a moment); by default a replaced file keeps its mode and a new one gets
    ``0o666`` minus the umask.
    """
    dest = check_output(path, force=force, inputs=inputs)
    payload = data.encode() if isinstance(data, str) else bytes(data)
    if _special(dest) == "stream":
        _write_through(dest, payload)
        return
    folder = os.path.dirname(os.path.abspath(dest))
    base = os.path.basename(dest)
    _stale_parts(folder, base)
    with _cleanup_on_signals():
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{base}.{os.getpid()}.", suffix=".part", dir=folder)
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
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, _Signalled):  # end as the signal would have, now that nothing is left
                signal.signal(e.signum, signal.SIG_DFL)
                os.kill(os.getpid(), e.signum)
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
