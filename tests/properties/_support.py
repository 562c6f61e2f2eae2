"""Shared pieces of the property tests: input files, mutation strategies, the "never hang" guard.

- :data:`MAGICS`: the signatures of every format (spliced into inputs so mutations reach past the
  first magic check);
- :func:`inputs`: the vendor vectors and real files of a family (gzip-compressed fixtures are offered
  both as stored and decompressed);
- :func:`mutations` / :func:`mutate`: a list of edits (truncation, bit flips, byte writes, 0x00/0xFF
  runs, spliced magics, spliced headers of other files, deleted and duplicated chunks) drawn by
  hypothesis and applied to a file; positions are biased towards the places where structures live;
- :func:`no_hang`: a wall-clock guard (SIGALRM) around an in-process call;
- :func:`only_obkimg_errors`: run a callable under the guard; ObkImgError is fine, anything else fails;
- :func:`scaled`: a per-test example count that follows the loaded profile (ci = 200 examples).
"""

from __future__ import annotations

import contextlib
import gzip
import signal
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st

from obkimg.errors import ObkImgError
from tests.conftest import FIXTURES, REAL

#: signatures of the formats obkimg reads (and a few near misses)
MAGICS: tuple[bytes, ...] = (
    b"RBL\0",
    b"\x55\xaa\x55\xaa",
    b"\xaa\x55\xaa\x55",
    b"BFNP",
    b"BFAP",
    b"FCFG",
    b"PCFG",
    b"BFPT",
    b"\xfd7zXZ\0",
    b"YZ",
    b"\x1f\x8b\x08\x00",
    b"BL60X_OTA_Ver1.0",
    b"XZ  ",
    b"RAW ",
    b"\xd0\x0d\xfe\xed",
    b"CFG\0",
    b"EF40",
    b"EF41",
    b"KV40",
    b"01PE",
    b"TLV\0",
    b"littlefs",
    b"BK7231\0\0",
    *(m.to_bytes(4, "little") for m in (0x13579753, 0x98761234, 0x135726AB)),
    bytes.fromhex("46dced0e672f3b70ae1276a3f8712e03"),
    b"\xff" * 34,
    b"\x00" * 34,
    b":00000001FF\n",
)

#: offsets where structures sit in BK7231 / BL602 dumps and containers (mutations aim near them)
HOT_OFFSETS = (
    0,
    4,
    8,
    0x10,
    0x1C,
    0x20,
    0x5C,
    0x60,
    0x74,
    0x80,
    0xB0,
    0x100,
    0x200,
    0x1000,
    0x2000,
    0xE000,
    0xF000,
    0x10000,
    0x10F9A,
    0x11000,
    0x12000,
    0x129F0A,
    0x1D2000,
    0x1E2000,
    0x1ED000,
    0x1EE000,
    0x1EF000,
    0x1FD000,
)

_DOC_SUFFIXES = (".json", ".txt", ".md", ".log", ".toml", ".dts", ".ini", ".py")


def _files(folder: Path, pattern: str) -> list[Path]:
    if not folder.exists():
        return []
    return sorted(p for p in folder.rglob(pattern) if p.is_file() and not p.name.endswith(_DOC_SUFFIXES))


def vector_files(pattern: str = "*") -> list[Path]:
    """Vendor-tool vectors (fixtures outside real/) matching ``pattern``."""
    return [p for p in _files(FIXTURES, pattern) if REAL not in p.parents]


def real_files(pattern: str = "*") -> list[Path]:
    return _files(REAL, pattern)


@cache
def read(path: Path, unzip: bool = False) -> bytes:
    data = path.read_bytes()
    if unzip:
        data = gzip.decompress(data)
    return data


def inputs(paths: list[Path]) -> list[tuple[Path, bool]]:
    """(path, unzip) pairs: every file as stored, and gzip files decompressed too."""
    out = []
    for p in paths:
        out.append((p, False))
        if p.suffix == ".gz":
            out.append((p, True))
    return out


def label(item: tuple[Path, bool]) -> str:
    p, unzip = item
    return p.name + (" (gunzipped)" if unzip else "")


OPS = ("truncate", "flip", "byte", "run00", "runff", "magic", "header", "delete", "dup", "word")


@st.composite
def _op(draw: st.DrawFn) -> tuple[Any, ...]:
    op = draw(st.sampled_from(OPS))
    where = draw(
        st.one_of(
            st.floats(0, 1, allow_nan=False),  # anywhere
            st.tuples(st.sampled_from(HOT_OFFSETS), st.integers(-64, 64)),  # near a structure
            st.tuples(st.just(-1), st.integers(1, 4096)),  # near the end
        )
    )
    value = draw(st.integers(0, 0xFFFFFFFF))
    return op, where, value


def mutations(max_ops: int = 4) -> st.SearchStrategy[list[tuple[Any, ...]]]:
    """A list of edits for :func:`mutate`."""
    return st.lists(_op(), min_size=1, max_size=max_ops)


def _pos(where: Any, n: int) -> int:
    if isinstance(where, float):
        p = int(where * n)
    elif where[0] == -1:
        p = n - where[1]
    else:
        p = where[0] + where[1]
    return min(max(p, 0), n)


def header_pool() -> list[bytes]:
    """The first 512 bytes of every vector (headers to splice into other files)."""
    return [read(p)[:512] for p in vector_files() if p.stat().st_size <= 4 << 20 and p.suffix != ".gz"]


_POOL: list[bytes] | None = None


def mutate(data: bytes, ops: list[tuple[Any, ...]]) -> bytes:
    """Apply the edits of :func:`mutations` to ``data``."""
    global _POOL
    buf = bytearray(data)
    for op, where, value in ops:
        n = len(buf)
        pos = _pos(where, n)
        size = 1 + value % 256
        if op == "truncate":
            del buf[pos:]
        elif op == "flip" and n:
            buf[min(pos, n - 1)] ^= 1 << (value % 8)
        elif op == "byte" and n:
            buf[min(pos, n - 1)] = value & 0xFF
        elif op == "word":
            buf[pos : pos + 4] = value.to_bytes(4, "little")
        elif op in ("run00", "runff"):
            buf[pos : pos + size] = (b"\x00" if op == "run00" else b"\xff") * size
        elif op == "magic":
            m = MAGICS[value % len(MAGICS)]
            buf[pos : pos + len(m)] = m
        elif op == "header":
            if _POOL is None:
                _POOL = header_pool() or [b"RBL\0" + bytes(92)]
            h = _POOL[value % len(_POOL)][: 16 + (value >> 8) % 497]
            buf[pos : pos + len(h)] = h
        elif op == "delete":
            del buf[pos : pos + size]
        elif op == "dup":
            buf[pos:pos] = buf[pos : pos + size]
    return bytes(buf)


def garbage() -> st.SearchStrategy[bytes]:
    """Random bytes, and random bytes behind a known magic (so parsers get past their first check)."""
    return st.one_of(
        st.binary(max_size=2048),
        st.builds(
            lambda m, pre, tail: pre + m + tail,
            st.sampled_from(MAGICS),
            st.binary(max_size=4),
            st.binary(max_size=2048),
        ),
    )


class Hang(BaseException):
    """Raised by :func:`no_hang` (a BaseException, so library ``except Exception`` cannot swallow it)."""


@contextlib.contextmanager
def no_hang(seconds: float = 20.0) -> Iterator[None]:
    """Fail with :class:`Hang` if the block runs longer than ``seconds`` of wall-clock time."""

    def fire(signum: int, frame: Any) -> None:
        raise Hang(f"did not return within {seconds} s")

    old = signal.signal(signal.SIGALRM, fire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def only_obkimg_errors(fn: Callable[..., Any], *args: Any, seconds: float = 20.0, **kw: Any) -> Any:
    """``fn(*args, **kw)`` under :func:`no_hang`; an ObkImgError gives None, any other exception fails."""
    with no_hang(seconds):
        try:
            return fn(*args, **kw)
        except ObkImgError as e:
            # every error must render (format, field, offset) without failing itself
            assert isinstance(e.render(), str) and isinstance(e.to_dict(), dict)
            return None


def exercise(img: Any) -> None:
    """What ``obkimg info/verify/extract`` call on a model: each may raise an ObkImgError (the CLI then
    exits 1 with the message) but nothing else, and ``to_dict`` must be JSON-able."""
    import json

    for secrets in (False, True):
        doc = only_obkimg_errors(img.to_dict, show_secrets=secrets)
        if doc is not None:
            json.dumps(doc)
        only_obkimg_errors(img.describe, show_secrets=secrets)
    only_obkimg_errors(img.verify)
    for a in only_obkimg_errors(img.artifacts) or []:
        assert isinstance(a.data, bytes)


def scaled(n: int) -> int:
    """``n`` examples in the ci profile (200 examples by default), proportionally fewer in dev."""
    return max(1, n * settings().max_examples // 200)
