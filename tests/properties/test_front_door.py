"""The front door on damaged input: random bytes, and truncations, bit flips and spliced headers of
every vector and real file, through ``obkimg.detect`` / ``obkimg.open`` and what ``info``, ``verify`` and
``extract`` then do, raise only ObkImgError and return within a wall-clock bound."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import obkimg
from obkimg.extract import extract
from tests.properties._support import (
    exercise,
    garbage,
    inputs,
    label,
    mutate,
    mutations,
    only_obkimg_errors,
    read,
    real_files,
    scaled,
    vector_files,
)

ALL = inputs(vector_files() + real_files())
#: files up to 256 KiB (gzip files that expand to 2 MiB dumps count as big)
SMALL = [
    i for i in ALL if i[0].stat().st_size <= 256 * 1024 and not (i[1] and i[0].stat().st_size > 32 * 1024)
]
BIG = [i for i in ALL if i not in SMALL]


def front_door(data: bytes, seconds: float = 30.0) -> None:
    for d in only_obkimg_errors(obkimg.detect, data, seconds=seconds) or []:
        d.to_dict()
    img = only_obkimg_errors(obkimg.open, data, seconds=seconds)
    if img is not None:
        exercise(img)
    only_obkimg_errors(extract, data, seconds=seconds)


@given(garbage())
def test_any_bytes(data: bytes) -> None:
    front_door(data)


@given(garbage())
def test_any_bytes_in_containers(data: bytes) -> None:
    """gzip and Intel HEX wrappers around anything."""
    front_door(gzip.compress(data, mtime=0))
    front_door(ihex(data[:512]))


def ihex(data: bytes, base: int = 0x11000) -> bytes:
    """Intel HEX text for ``data`` at ``base`` (extended linear address records, valid checksums)."""

    def rec(kind: int, addr: int, payload: bytes) -> str:
        body = bytes([len(payload), addr >> 8 & 0xFF, addr & 0xFF, kind]) + payload
        return ":" + (body + bytes([-sum(body) & 0xFF])).hex().upper()

    lines = [rec(4, 0, (base >> 16).to_bytes(2, "big"))]
    lines += [rec(0, (base + i) & 0xFFFF, data[i : i + 16]) for i in range(0, len(data), 16)]
    return ("\n".join([*lines, rec(1, 0, b"")]) + "\n").encode()


@pytest.mark.skipif(not SMALL, reason="../shared/fixtures is not present")
@settings(max_examples=scaled(200))
@given(st.sampled_from(SMALL or [(Path("."), False)]), mutations())
def test_mutated_small_files(item: tuple[Path, bool], ops: list) -> None:
    front_door(mutate(read(*item), ops))


@pytest.mark.skipif(not BIG, reason="../shared/fixtures is not present")
@settings(max_examples=scaled(20))
@given(st.sampled_from(BIG or [(Path("."), False)]), mutations())
def test_mutated_big_files(item: tuple[Path, bool], ops: list) -> None:
    front_door(mutate(read(*item), ops))


@pytest.mark.skipif(not ALL, reason="../shared/fixtures is not present")
@pytest.mark.parametrize("item", ALL, ids=label)
def test_every_file_opens_and_survives_truncation(item: tuple[Path, bool]) -> None:
    """Every vector and real file: opened as is, then cut in the middle, after a header and 1 byte short."""
    data = read(*item)
    img = only_obkimg_errors(obkimg.open, data, seconds=30)
    if img is not None:
        exercise(img)
    for cut in sorted({len(data) // 2, min(len(data), 176), min(len(data), 512), max(len(data) - 1, 0)}):
        img = only_obkimg_errors(obkimg.open, data[:cut], seconds=30)
        if img is not None:
            only_obkimg_errors(img.to_dict)
