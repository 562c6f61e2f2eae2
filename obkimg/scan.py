"""``obkimg scan``: identify every file under a folder, in parallel over the CPU cores.

:func:`scan_file` never raises: a file obkimg cannot read (or whose reading fails in any way, even through
a bug) becomes a row with ``error``, and so does a worker process that dies. :func:`iter_files` reports
folders it cannot list as rows too, instead of skipping them silently.
:func:`scan` runs it in a process pool and yields rows as they complete, calling ``progress`` after
each one (the CLI turns that into a progress bar on stderr).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, field
from typing import Any

from ._record import dataclass
from .errors import ObkImgError

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
    """Import every reader a scan may need in the parent: forked workers inherit them instead of each
    importing them again (a folder that large usually holds several kinds of files)."""
    from . import configs, detect, obk, source, tuya  # noqa: F401
    from .formats import REGISTRY

    for entry in REGISTRY:
        _ = entry.module  # imports it


def scan(
    paths: Iterable[str], *, workers: int | None = None, progress: Callable[[ScanRow], None] | None = None
) -> Iterator[ScanRow]:
    """Scan ``paths`` in ``workers`` processes (default: CPU count); yields rows in completion order.

    Never more workers than files, nor than four per core (a pool starts every worker it is given).
    """
    paths = list(paths)
    cores = os.cpu_count() or 1
    workers = min(workers or cores, len(paths), 4 * cores)
    if workers > 1 and len(paths) >= _PRELOAD_FROM:
        _preload()  # before the pool forks its workers
    if workers <= 1 or len(paths) <= 1:
        for p in paths:
            row = scan_file(p)
            if progress:
                progress(row)
            yield row
        return
    from concurrent.futures import ProcessPoolExecutor, as_completed

    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = {pool.submit(scan_file, p): p for p in paths}
        for fut in as_completed(futures):
            try:
                row = fut.result()
            except Exception as e:  # noqa: BLE001 - a worker that died (killed, out of memory...)
                row = ScanRow(futures[fut], 0, error=f"worker failed: {type(e).__name__}: {e}")
            if progress:
                progress(row)
            yield row
