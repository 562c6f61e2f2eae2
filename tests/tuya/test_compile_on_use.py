"""The data block body and the index page compile only when it pays (issue 14): one storage is read
interpreted, a process that reads more compiles each schema once, and the outcome (value or error) is
the compiled form's either way.

Values are compared, never shown: a failure names the case, not the bytes.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from obkimg.errors import ObkImgError
from obkimg.formats.config import tuya_kv as kv
from obkimg.tuya import extract_keys
from obkimg.tuya_storage import locate
from tests.conftest import real_files
from tests.tuya.helpers import block, index_page, storage

DATA_FAST = kv.DATA_BLOCK.body.subcon.subcon  # Renamed -> RawCopy -> _Fast
INDEX_FAST = kv.INDEX_PAGE.subcon


@contextmanager
def _state(fast: Any, *, after: int, compiled: Any = None) -> Iterator[None]:
    """Run with ``fast`` in a chosen state (interpreted parses left, compiled form), then restore it."""
    saved = fast.after, fast.fast
    fast.after, fast.fast = after, compiled
    try:
        yield
    finally:
        fast.after, fast.fast = saved


def _outcome(fn: Callable[[bytes], Any], data: bytes) -> tuple[str, Any]:
    try:
        return "ok", fn(data)
    except ObkImgError as e:
        return type(e).__name__, (str(e), e.offset)


def _interpreted_and_compiled(fast: Any, fn: Callable[[bytes], Any], cases: list[bytes]) -> tuple[int, int]:
    """(cases whose outcome differs, cases the interpreted form parsed) between a fresh _Fast that may
    still parse interpreted and one that is compiled."""
    compiled = fast.subcon.compile()
    differ = interpreted = 0
    for data in cases:
        with _state(fast, after=1):
            first = _outcome(fn, data)
            interpreted += fast.fast is None  # no fallback to the compiled form was needed
        with _state(fast, after=0, compiled=compiled):
            second = _outcome(fn, data)
        differ += first != second
    return differ, interpreted


def _index_cases(rnd: random.Random, n: int) -> list[bytes]:
    goods = [
        index_page("gw_bi", b"x" * 300, 2, 4, [(2, 5, 7), (3, 1, 1)]),
        index_page("a", b"", 0, 1, []),
        kv.IndexEntry(1, 2, 0, 1, 0, b"n" * 10 + b"\x00", tuple(kv.Part(0, 2, 2) for _ in range(24))).build(),
    ]
    out = []
    for _ in range(n):
        b = bytearray(rnd.choice(goods))
        for _ in range(rnd.randint(1, 5)):
            b[rnd.randrange(0, 40 if rnd.random() < 0.8 else 128)] = rnd.randrange(256)
        out.append(bytes(b[: rnd.choice([128] * 6 + [rnd.randrange(0, 128)])]))
    return out


def _data_cases(rnd: random.Random, n: int) -> list[bytes]:
    good = block(3, 7, {1: index_page("a", b"1", 3, 1, [(3, 2, 2)]), 2: b"1"}, {1}).build()
    out = []
    for _ in range(n):
        b = bytearray(good)
        for _ in range(rnd.randint(1, 4)):
            b[rnd.randrange(0, 24 if rnd.random() < 0.8 else 4096)] = rnd.randrange(256)
        out.append(bytes(b[: rnd.choice([4096] * 6 + [rnd.randrange(0, 4096)])]))
    return out


def test_index_pages_read_the_same_interpreted_or_compiled() -> None:
    differ, interpreted = _interpreted_and_compiled(
        INDEX_FAST, kv.IndexEntry.parse, _index_cases(random.Random(14), 3000)
    )
    assert differ == 0
    assert 1000 < interpreted < 3000  # both paths ran: many pages read interpreted, the others fell back


def test_data_blocks_read_the_same_interpreted_or_compiled() -> None:
    def parse(d: bytes) -> kv.DataBlock:
        return kv.DataBlock.parse(d, strict=False)

    differ, interpreted = _interpreted_and_compiled(DATA_FAST, parse, _data_cases(random.Random(14), 400))
    assert differ == 0 and interpreted > 300


REAL = [p for p in real_files("bk7231*/*.bin") if p.stat().st_size == 0x200000]


@pytest.mark.skipif(not REAL, reason="../shared/fixtures/real is not present")
def test_real_storages_read_the_same_interpreted_or_compiled() -> None:
    blocks: list[bytes] = []
    for path in REAL:
        data = path.read_bytes()
        for loc in locate(data):
            if loc.data_key is not None:
                blocks += [kv.decrypt(loc.data_key, data[o : o + kv.SECTOR_SIZE]) for o in loc.block_offsets]
    parsed = [kv.DataBlock.parse(b, strict=False) for b in blocks]
    pages = [b.page(p) for b in parsed for p in b.index_pages]
    # results in plain ints first: an assert on an expression over the bytes would print them
    blocks_differ = _interpreted_and_compiled(DATA_FAST, kv.DataBlock.parse, blocks)[0]
    pages_differ = _interpreted_and_compiled(INDEX_FAST, kv.IndexEntry.parse, pages)[0]
    n_blocks, n_pages = len(blocks), len(pages)
    assert blocks_differ == 0 and pages_differ == 0
    assert n_blocks > 200 and n_pages > 400


def _counting_compiles(monkeypatch: pytest.MonkeyPatch, fast: Any) -> list[int]:
    calls: list[int] = []
    real = fast.subcon.compile

    def compile_() -> Any:
        calls.append(1)
        return real()

    monkeypatch.setattr(fast.subcon, "compile", compile_, raising=False)
    return calls


def test_one_storage_compiles_nothing_and_many_compile_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = storage(
        [
            block(0, 1, {1: index_page("a", b"1", 0, 1, [(0, 2, 2)]), 2: b"1"}, {1}),
            block(1, 1, {}, set()),
        ]
    )
    compiles = {id(f): _counting_compiles(monkeypatch, f) for f in (DATA_FAST, INDEX_FAST)}
    with _state(DATA_FAST, after=48), _state(INDEX_FAST, after=32):
        assert extract_keys(data).values == {"a": 1}
        assert [len(c) for c in compiles.values()] == [0, 0]  # one storage: no compile
        assert DATA_FAST.after == 48 - 2 and INDEX_FAST.after == 32 - 1
        for _ in range(40):
            extract_keys(data)
        assert [len(c) for c in compiles.values()] == [1, 1]  # compiled once each, when it paid
        assert DATA_FAST.fast is not None and INDEX_FAST.fast is not None
