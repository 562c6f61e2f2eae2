"""Shared helpers for the OpenBeken config tests (synthetic data only)."""

from __future__ import annotations

import gzip
import hashlib
import json
from pathlib import Path

from tests.conftest import fixture_path

SECTOR_FIXTURE = "obk_cfg_v5_bk7231_sector.bin"
V3_FIXTURE = "obk_cfg_v3_bk7231_2016.bin"
EF_FIXTURE = "obk_cfg_v5_bl602_easyflash_gran8.bin"


def obk_fixture(name: str) -> bytes:
    return fixture_path("obk", name).read_bytes()


def expected() -> dict:
    return json.loads(fixture_path("obk", "expected.json").read_text())


def read_any(path: Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def dump_with(config: bytes, offset: int, size: int = 0x200000) -> bytes:
    """A synthetic erased flash image with ``config`` at ``offset``."""
    buf = bytearray(b"\xff" * size)
    buf[offset : offset + len(config)] = config
    return bytes(buf)
