"""Shared plumbing of the atheris harnesses in ``tests/fuzz/`` (not collected by pytest).

Every harness is a script::

    python tests/fuzz/fuzz_rbl.py -runs=200000 [corpus-dir ...] [libFuzzer flags]

and calls :func:`main` with its ``test_one_input`` function, the fixture globs that seed it and the
``-max_len`` that keeps it fast. :func:`main`

- imports every ``obkimg`` module inside ``atheris.instrument_imports(include=["obkimg"])`` (only obkimg
  is instrumented; construct/cryptography are not, which keeps the executions per second high), and
  pre-loads the lazily imported heavy modules (cryptography, lzma) so the first executions do not pay
  for them;
- seeds the corpus: when no corpus folder is given a temporary one is made; an empty (or new) folder is
  filled with the fixture files matching the harness's globs, each cut to ``max_len`` (windows of big
  dumps at the offsets given with ``windows``), plus the harness's own synthetic seeds;
- adds default libFuzzer flags unless given: ``-max_len``, ``-timeout=10`` (a hang is a crash),
  ``-rss_limit_mb=2048`` and ``-malloc_limit_mb=512`` (one allocation above 512 MB is a crash: the
  library must refuse such inputs before allocating).

A crash is any exception other than :class:`obkimg.errors.ObkImgError` (see :func:`clean`), a hang or
unbounded memory. The fixtures live in ``../shared/fixtures`` (``OBKIMG_SHARED`` overrides); without them
the harnesses still run from their synthetic seeds.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import importlib
import os
import pkgutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SHARED = Path(os.environ.get("OBKIMG_SHARED", ROOT.parent / "shared")).resolve()
FIXTURES = SHARED / "fixtures"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

DEFAULT_FLAGS = {"-timeout": "10", "-rss_limit_mb": "2048", "-malloc_limit_mb": "512"}


def import_obkimg(instrument: bool = True) -> None:
    """Import every obkimg module (instrumented when ``instrument``) and warm the lazy heavy imports."""

    def load_all() -> None:
        import obkimg

        for info in pkgutil.walk_packages(obkimg.__path__, "obkimg."):
            if not info.name.endswith("__main__"):
                importlib.import_module(info.name)

    if instrument:
        import atheris

        with atheris.instrument_imports(include=["obkimg"]):
            load_all()
    else:
        load_all()
    import lzma  # noqa: F401
    import zlib  # noqa: F401

    from cryptography.hazmat.primitives.ciphers import Cipher  # noqa: F401


def fixture_files(globs: Iterable[str]) -> list[Path]:
    """Fixture files (under ../shared/fixtures, real/ included) matching any of ``globs``."""
    if not FIXTURES.exists():
        return []
    found: dict[Path, None] = {}
    for g in globs:
        for p in sorted(FIXTURES.glob(g)):
            if p.is_file() and not p.name.endswith((".json", ".txt", ".md", ".toml", ".dts", ".ini", ".log")):
                found[p] = None
    return list(found)


def read_fixture(p: Path) -> bytes:
    data = p.read_bytes()
    if data[:2] == b"\x1f\x8b" and p.suffix == ".gz":
        with contextlib.suppress(OSError):
            data = gzip.decompress(data)
    return data


def seeds_from(globs: Iterable[str], max_len: int, windows: Sequence[int] = (0,)) -> list[bytes]:
    """Fixture seeds cut to ``max_len``; files longer than that also give a window at each offset."""
    out: list[bytes] = []
    for p in fixture_files(globs):
        data = read_fixture(p)
        for w in windows:
            if w == 0 or w < len(data):
                out.append(data[w : w + max_len])
            if len(data) <= max_len:
                break
    return out


def clean(fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    """Call ``fn``; an ObkImgError is the expected outcome for bad input (returns None), anything else
    propagates and is reported by libFuzzer as a crash."""
    from obkimg.errors import ObkImgError

    try:
        return fn(*args, **kw)
    except ObkImgError:
        return None


def _split_args(argv: list[str]) -> tuple[list[str], list[str]]:
    flags = [a for a in argv if a.startswith("-")]
    dirs = [a for a in argv if not a.startswith("-")]
    return flags, dirs


def prepare(argv: list[str], seeds: Iterable[bytes], max_len: int) -> list[str]:
    """libFuzzer argv with the default flags and a seeded corpus folder."""
    prog, rest = argv[0], argv[1:]
    flags, dirs = _split_args(rest)
    given = {f.split("=", 1)[0] for f in flags}
    if "-max_len" not in given:
        flags.append(f"-max_len={max_len}")
    for k, v in DEFAULT_FLAGS.items():
        if k not in given:
            flags.append(f"{k}={v}")
    if not dirs:
        dirs = [tempfile.mkdtemp(prefix="obkimg-fuzz-")]
    corpus = Path(dirs[0])
    corpus.mkdir(parents=True, exist_ok=True)
    if not any(corpus.iterdir()):
        for s in seeds:
            s = s[:max_len]
            (corpus / hashlib.sha1(s).hexdigest()).write_bytes(s)
    return [prog, *flags, *dirs]


def main(
    test_one_input: Callable[[bytes], None],
    *,
    globs: Iterable[str] = (),
    max_len: int = 4096,
    windows: Sequence[int] = (0,),
    extra_seeds: Callable[[], Iterable[bytes]] | None = None,
    after_import: Callable[[], None] | None = None,
) -> None:
    """Run ``test_one_input`` under atheris/libFuzzer (see the module docstring). ``after_import`` runs
    once obkimg is imported (e.g. to swap a hot, branch-free helper for an uninstrumented copy)."""
    if "--replay" in sys.argv:  # rerun saved crash inputs without atheris, with a normal traceback
        replay(test_one_input, [a for a in sys.argv[1:] if not a.startswith("-")])
        return
    if "--seeds-only" in sys.argv:  # smoke test: run the seeds once, without atheris
        import_obkimg(instrument=False)
        seeds = seeds_from(globs, max_len, windows) + list(extra_seeds() if extra_seeds else ())
        for s in seeds:
            test_one_input(s)
        print(f"{len(seeds)} seeds ran cleanly")
        return
    import atheris

    import_obkimg(instrument=True)
    if after_import is not None:
        after_import()
    seeds = seeds_from(globs, max_len, windows)
    if extra_seeds is not None:
        seeds += list(extra_seeds())
    argv = prepare(list(sys.argv), seeds, max_len)
    atheris.Setup(argv, test_one_input)
    atheris.Fuzz()


def replay(test_one_input: Callable[[bytes], None], paths: Iterable[str]) -> None:
    """Run ``test_one_input`` on saved inputs without atheris (for debugging a crash file)."""
    import_obkimg(instrument=False)
    for p in paths:
        test_one_input(Path(p).read_bytes())


def exercise(img: Any) -> None:
    """Everything ``obkimg info/verify/extract`` calls on a model: each may raise an ObkImgError (the CLI
    exits 1 with its message) but nothing else; ``to_dict`` (masked and not) must be JSON-able."""
    import json

    for secrets in (False, True):
        doc = clean(img.to_dict, show_secrets=secrets)
        if doc is not None:
            json.dumps(doc)
        clean(img.describe, show_secrets=secrets)
    clean(img.verify)
    for a in clean(img.artifacts) or []:
        assert isinstance(a.data, bytes), a.name
