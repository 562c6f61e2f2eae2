"""Helpers for the Tuya tests: secret-safe comparisons and a small storage builder on the library's models."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from obkimg.codecs.checksums import sum32
from obkimg.formats.config import tuya_kv as kv
from obkimg.model import jsonable


def digest(obj: Any) -> str:
    """sha256 of a canonical JSON form: compare these, so a failing assert never shows a secret."""
    if isinstance(obj, (bytes, bytearray)):
        return hashlib.sha256(bytes(obj)).hexdigest()
    return hashlib.sha256(json.dumps(jsonable(obj), sort_keys=True).encode()).hexdigest()


def differing(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Names (and, for objects, 'name.field') whose values differ: names only, never values."""
    out = []
    for k in sorted(set(a) | set(b)):
        if k not in a or k not in b:
            out.append(k)
            continue
        va, vb = jsonable(a[k]), jsonable(b[k])
        if va == vb:
            continue
        if isinstance(va, dict) and isinstance(vb, dict):
            out += [f"{k}.{f}" for f in sorted(set(va) | set(vb)) if va.get(f, ...) != vb.get(f, ...)]
        else:
            out.append(k)
    return out


DEVICE_KEY = b"TestDeviceKey-42"


def index_page(
    name: str,
    value: bytes,
    block_id: int,
    page: int,
    parts: list[tuple[int, int, int]],
    element: int = 0x410000,
) -> bytes:
    return kv.IndexEntry(
        sum32(value),
        len(value),
        block_id,
        page,
        element,
        name.encode() + b"\x00",
        tuple(kv.Part(*p) for p in parts),
    ).build()


def block(
    block_id: int, generation: int, pages: dict[int, bytes], index: set[int], magic: int = kv.DATA_MAGIC
) -> kv.DataBlock:
    bitmap = sum(1 << p for p in index).to_bytes(4, "little")
    raw = tuple(pages.get(p, b"\xff" * 128).ljust(128, b"\xff") for p in range(1, 32))
    return kv.DataBlock(0, block_id, generation, bitmap, raw, b"\xff" * (128 - 19), magic)


def storage(
    blocks: list[kv.DataBlock | None],
    *,
    device_key: bytes = DEVICE_KEY,
    variant: str = "8710+common",
    protected: kv.ProtectedBlock | None = None,
) -> bytes:
    """Key block + the given data blocks (None: erased sector) [+ protected block first]."""
    dkey = kv.derive_data_key(device_key, dict(kv.BASE_KEYS)[variant])
    out = b""
    if protected is not None:
        out += protected.encrypt(dict(kv.BASE_KEYS)[variant])
    out += kv.KeyBlock(0, device_key).encrypt()
    for b in blocks:
        out += b"\xff" * kv.SECTOR_SIZE if b is None else b.encrypt(dkey)
    return out


def value_pages(value: bytes, first: int) -> dict[int, bytes]:
    return {first + i // 128: value[i : i + 128] for i in range(0, len(value), 128)}
