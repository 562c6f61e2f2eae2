"""``obkimg scan``: identify every file under a folder, in parallel over the CPU cores.

:func:`scan_file` never raises: a file obkimg cannot read (or whose reading fails in any way, even through
a bug) becomes a row with ``error``, and so does a worker process that dies. :func:`iter_files` reports
folders it cannot list as rows too, instead of skipping them silently.
:func:`scan` runs it in worker processes (forked on Linux from a parent that has imported every reader,
so a worker imports nothing) that the parent feeds one path at a time, biggest files first; it yields
rows as they complete, calling ``progress`` after each one (the CLI turns that into a progress bar on
stderr).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import asdict, field
from typing import TYPE_CHECKING, Any, cast

from ._record import dataclass
from .errors import ObkImgError

if TYPE_CHECKING:
    from multiprocessing.connection import Connection


__all__ = ["ScanRow", "iter_files", "scan_file", "scan"]

_SKIP_SUFFIXES = (".json", ".txt", ".md", ".py", ".toml", ".svg")


@dataclass(frozen=True, slots=True)
class ScanRow:
    """One file of a scan: what it is, its chip and version, its integrity, or the error met reading it."""

    path: str
    size: int
    kind: str | None = None
    chip: str | None = None
    version: str | None = None
    ok: bool | None = None
    tuya_keys: int | None = None
    obk_config: bool = False
    error: str | None = None
    #: the chips still possible when ``chip`` is None (see obkimg.chipid)
    chip_candidates: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON (``schemas/scan.v1``)."""
        return asdict(self)


def iter_files(
    folder: str | os.PathLike[str], *, all_files: bool = False, unreadable: list[ScanRow] | None = None
) -> list[str]:
    """Regular files below ``folder``, sorted; notes/metadata (.json, .txt, .md...) skipped unless
    ``all_files``. A sub-folder that cannot be listed is appended to ``unreadable`` (if given) as a row
    with its error.
    """
    out = []

    def failed(e: OSError) -> None:
        if unreadable is not None:
            where = e.filename if isinstance(e.filename, str) else os.fspath(folder)
            error = f"cannot list folder: {e.strerror or e}"
            unreadable.append(ScanRow(where, 0, kind="folder", error=error))

    for root, dirs, files in os.walk(folder, onerror=failed):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for f in sorted(files):
            if f.startswith(".") or (not all_files and f.lower().endswith(_SKIP_SUFFIXES)):
                continue
            p = os.path.join(root, f)
            if os.path.isfile(p) and not os.path.islink(p):
                out.append(p)
    return out


def scan_file(path: str) -> ScanRow:
    """Identify one file: kind, chip, firmware version, whether Tuya keys / an OBK config are in it."""
    from .configs import find_configs
    from .detect import open_image
    from .source import load

    try:
        size = os.path.getsize(path)
    except OSError as e:
        return ScanRow(path, 0, error=str(e))
    try:
        src = load(path)
        img = open_image(src)
        configs = find_configs(src.data, img)
        tuya = len(configs.tuya.values) if configs.tuya is not None else None
        return ScanRow(
            path,
            size,
            img.kind,
            img.chip,
            img.firmware_version,
            img.ok,
            tuya,
            configs.obk is not None,
            chip_candidates=img.chip_candidates,
        )
    except ObkImgError as e:
        return ScanRow(path, size, error=str(e))
    except Exception as e:  # noqa: BLE001 - one bad file must not end the scan of the others
        return ScanRow(path, size, error=f"internal error: {type(e).__name__}: {e}")


#: from this many files on, the parent imports the readers once before the workers start
_PRELOAD_FROM = 16


def _preload() -> None:
    """Import everything a scan may need in the parent: forked workers inherit it instead of each
    importing it again (a folder that large usually holds several kinds of files). That is every format
    module and the workflow that loads it, the modules those import on first use, and the AES of RBL
    files and Tuya storage (``cryptography``, imported by :mod:`obkimg.codecs.aes` on first use) and the
    base64 of ``wfb64`` Tuya storages (imported by :mod:`obkimg.tuya` on first use)."""
    import base64  # noqa: F401

    import cryptography.hazmat.primitives.ciphers  # noqa: F401

    from . import bkchip, chipid, configs, detect, obk, obk_locate, source, tuya  # noqa: F401
    from .formats import REGISTRY, loader_of

    for entry in REGISTRY:
        loader_of(entry.module)  # imports the format module and its loading workflow


def _worker(conn: Connection, parent_end: Connection | None = None) -> None:
    """A worker process: scan each path the parent sends, answer with its row; stop at None or EOF.

    ``parent_end`` (forked workers) is the parent's end of the pipe, inherited by the fork: closed here,
    or a parent killed outright (no cleanup) would never be an EOF and the worker would wait forever.
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (it ends us)
    if parent_end is not None:
        parent_end.close()
    while True:
        try:
            path = conn.recv()
        except (EOFError, OSError):
            return
        if path is None:
            return
        row = scan_file(path)
        try:
            conn.send(row)
        except OSError:  # the parent is gone
            return


def _context() -> Any:
    """``fork`` where it is safe (Linux): workers inherit the parent's imports and start in about a
    millisecond. Elsewhere the platform's default (spawn: each worker imports what it needs)."""
    import multiprocessing
    import sys

    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _biggest_first(paths: list[str]) -> list[str]:
    """``paths`` in the order they are handed out: largest first (the size is the best cheap guess of a
    file's cost), so the last files to finish are small ones and no worker waits long for another."""

    def size(p: str) -> int:
        try:
            return os.path.getsize(p)
        except OSError:
            return 0

    return sorted(paths, key=lambda p: -size(p))


def _parallel(paths: list[str], workers: int) -> Iterator[ScanRow]:
    """Rows of ``paths`` from ``workers`` processes, in completion order.

    The parent only hands out paths (one at a time, the next as soon as a worker answers) and collects
    rows: it never reads a file itself, so a file that kills its reader (a crash, the OOM killer) costs
    one worker, whose file becomes an error row; a new worker takes over the files left.
    """
    from multiprocessing.connection import wait

    ctx = _context()
    forked = ctx.get_start_method() == "fork"
    todo = _biggest_first(paths)
    todo.reverse()  # pop() from the end: biggest first
    busy: dict[Connection, tuple[Any, str]] = {}  # parent end of the pipe -> (process, path it reads)
    started: list[Any] = []
    ended: list[Any] = []  # told to stop (or found dead): joined, never terminated

    def give(conn: Connection, proc: Any) -> None:
        """Hand ``proc`` its next file, or tell it to stop when none is left."""
        if not todo:
            with suppress(OSError):
                conn.send(None)
            conn.close()
            ended.append(proc)
            return
        path = todo.pop()
        busy[conn] = (proc, path)
        with suppress(OSError):  # a worker that just died: wait() reports its EOF like any death
            conn.send(path)

    def start() -> None:
        ours, theirs = ctx.Pipe()
        args = (theirs, ours) if forked else (theirs,)  # a spawned worker has only what it is given
        proc = ctx.Process(target=_worker, args=args, daemon=True)
        proc.start()
        started.append(proc)
        theirs.close()  # the worker holds the only other end: its death is EOF here
        give(ours, proc)

    try:
        for _ in range(min(workers, len(todo))):
            start()
        while busy:
            for ready in wait(list(busy)):
                conn = cast("Connection", ready)
                proc, path = busy.pop(conn)
                try:
                    row: ScanRow = conn.recv()
                except (EOFError, OSError):
                    proc.join()
                    ended.append(proc)
                    conn.close()
                    why = f"the process reading this file ended (exit code {proc.exitcode})"
                    row = ScanRow(path, 0, error=f"worker failed: {why}")
                    if todo:
                        start()
                else:
                    give(conn, proc)
                yield row
    finally:
        for conn in busy:  # left early (an exception, or the caller stopped reading)
            conn.close()
        # every worker not told to stop is ended, including one whose row was being received when the
        # exception (a Ctrl-C) came: it is in neither list then, and would wait for a path forever
        for proc in started:
            if proc not in ended:
                proc.terminate()
        for proc in started:
            proc.join()


def scan(
    paths: Iterable[str], *, workers: int | None = None, progress: Callable[[ScanRow], None] | None = None
) -> Iterator[ScanRow]:
    """Scan ``paths`` in ``workers`` processes (default: CPU count); yields rows in completion order.

    Never more workers than files, nor than four per core. One worker (or one file) runs in this process.
    """
    paths = list(paths)
    cores = os.cpu_count() or 1
    workers = min(workers or cores, len(paths), 4 * cores)
    if workers <= 1:
        rows: Iterator[ScanRow] = (scan_file(p) for p in paths)
    else:
        if len(paths) >= _PRELOAD_FROM:
            _preload()  # before the workers fork
        rows = _parallel(paths, workers)
    for row in rows:
        if progress:
            progress(row)
        yield row
