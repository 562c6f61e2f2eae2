"""Structure-aware fuzzing of the Tuya KV reader: the input chooses the *shape* of a storage, which is
built with obkimg's own structures (KeyBlock, DataBlock, IndexEntry, ProtectedBlock) and encrypted, so
every execution reaches the index walk and value assembly (issue 12: index pages naming the same pages
again and again, values longer than the area, many key blocks, duplicate block ids and names).

Checked on top of "only ObkImgError": the values read add up to at most twice the storage area and none
is longer than the area; the tuya-keys JSON is at most a small multiple of the input.

JSON nesting is kept below 200 levels: deeper values are the depth-bound item of issue 12 ("Only
ObkImgError leaves the library"), handled on its own branch; ``OBKIMG_FUZZ_DEEP=1`` lifts the cap.
"""

from __future__ import annotations

import contextlib
import json
import os
import struct

import fuzzlib
from shapes import Shape

DEEP = 1500 if os.environ.get("OBKIMG_FUZZ_DEEP") else 190
NAMES = (b"gw_bi", b"gw_wsm", b"gw_ai", b"gw_di", b"user_param_key", b"em_sys_env", b"ssid", b"passwd")
SNIPPETS = (
    b'{"ssid":"x","passwd":"y","wfb64":0}',
    b'{"Jsonver":"1.1.8","module":"CB2S","rl1_pin":6}',
    b"{Jsonver:1.1.0,module:CB3S,bt1_pin:7,}",
    b"[1,2,3]",
    b'"text"',
    b"\x00\x00",
    b"\xff" * 16,
)


def _page(sh: Shape, depth: list[int]) -> bytes:
    kind = sh.int(0, 5)
    if kind == 0:
        return b"\xff" * 128
    if kind == 1:
        n = min(sh.int(1, 120), DEEP - depth[0])
        depth[0] += n
        return (b"[" * n).ljust(128, b"]" if sh.bool() else b"\x00")
    if kind == 2:
        return b"".join(sh.pick(SNIPPETS) for _ in range(4))[:128].ljust(128, b"\x00")
    return sh.raw(128).ljust(128, b"\xff")


def _index(sh: Shape, block_id: int, page: int, nblocks: int, names: list[bytes]) -> bytes:
    """One index page (layout of tuya_kv.INDEX_PAGE, packed directly: IndexEntry.build is the slow
    part of a harness run, and its output for these fields is checked in tests/tuya)."""
    mode = sh.int(0, 3)
    name = sh.pick(NAMES) if mode == 0 else (sh.pick(names) if mode == 1 and names else sh.bytes(1, 12))
    names.append(name)
    room = (128 - 18 - len(name) - 1) // 4
    parts = b""
    count = sh.int(0, min(room, 27))
    for _ in range(count):
        whole = sh.bool()
        first, last = (1, 31) if whole else (sh.int(0, 33), sh.int(0, 33))
        parts += struct.pack("<HBB", sh.int(0, nblocks + 1), first, last)
    length = sh.pick((0, sh.int(1, 4096), count * 31 * 128, sh.u32()))
    head = struct.pack(
        "<IIHBHIB",
        sh.u32(),
        length,
        block_id if sh.int(0, 7) else sh.int(0, 40),
        page if sh.int(0, 7) else sh.int(0, 255),
        count,
        sh.u32(),
        len(name) + 1,
    )
    return (head + name + b"\x00" + parts).ljust(128, b"\xff")


def _block(sh: Shape, nblocks: int, names: list[bytes], depth: list[int]) -> bytes:
    """The plaintext of one data block (magic, sum32, id, generation, bitmap, 31 pages)."""
    from obkimg.codecs.checksums import sum32
    from obkimg.formats.config import tuya_kv as kv

    block_id = sh.int(0, nblocks + 1)
    mode = sh.int(0, 3)  # none / all / every other / chosen
    index = {p for p in range(1, 32) if mode == 1 or (mode == 2 and p % 2) or (mode == 3 and sh.bool())}
    pages = b"".join(
        _index(sh, block_id, p, nblocks, names) if p in index else _page(sh, depth) for p in range(1, 32)
    )
    bitmap = sum(1 << p for p in index)
    body = struct.pack("<HIBI", block_id, sh.int(0, 3), 4, bitmap).ljust(120, b"\xff") + pages
    magic = kv.DATA_MAGIC_OS3 if sh.int(0, 7) == 0 else kv.DATA_MAGIC
    check = sum32(body) ^ (1 if sh.int(0, 15) == 0 else 0)  # now and then a damaged copy
    return struct.pack("<II", magic, check) + body


def storage(sh: Shape) -> bytes:
    from obkimg.errors import ObkImgError
    from obkimg.formats.config import tuya_kv as kv

    device_key = bytes(range(0x20, 0x30)) if sh.int(0, 3) else sh.raw(16).ljust(16, b"\x00")
    variant = sh.pick([name for name, _ in kv.BASE_KEYS])
    data_key = kv.derive_data_key(device_key, dict(kv.BASE_KEYS)[variant])
    out = bytearray(sh.raw(sh.int(0, 3) * sh.int(0, 40)))  # unaligned prefix now and then
    for _ in range(sh.pick((0, 0, 0, 1, 2, sh.int(0, 70)))):  # foreign key blocks before the storage
        out += kv.KeyBlock(0, sh.raw(16).ljust(16, b"\x01")).encrypt()
    if sh.int(0, 3) == 0:
        recs = tuple(
            kv.ProtectedRecord(sh.pick(NAMES).decode(), sh.bytes(0, 60)) for _ in range(sh.int(0, 3))
        )
        pb = kv.ProtectedBlock(0, device_key, sum(36 + len(r.value) for r in recs), 0xFFFFFFFF, recs)
        with contextlib.suppress(ObkImgError):
            out += pb.encrypt(dict(kv.BASE_KEYS)[variant])
    if sh.int(0, 7):
        out += kv.KeyBlock(0, device_key).encrypt()
    nblocks = sh.int(1, 4)
    names: list[bytes] = []
    depth = [0]
    plain = [
        b"\xff" * 4096 if sh.int(0, 15) == 0 else _block(sh, nblocks, names, depth) for _ in range(nblocks)
    ]
    return bytes(out) + kv.encrypt(data_key, b"".join(plain))


def test_one_input(data: bytes) -> None:
    from obkimg import tuya

    blob = storage(Shape(data))
    keys = fuzzlib.clean(tuya.extract_keys, blob)
    if keys is None:
        return
    st = keys.storage
    area = len(st.live) * 31 * 128
    sizes = [len(e.value) for e in st.entries]
    assert all(n <= area for n in sizes) and sum(sizes) <= 2 * area, (sizes, area)
    text = json.dumps(keys.to_dict(show_secrets=True))
    assert len(text) <= 16 * len(blob) + (1 << 16), (len(text), len(blob))
    keys.describe(show_secrets=False)
    fuzzlib.exercise(tuya.TuyaKVImage(keys, len(blob)))


def seeds() -> list[bytes]:
    """A few shapes: empty (minimum of every choice), every index page naming whole blocks, random."""
    import random

    rnd = random.Random(12)
    whole = b"\x01\x00\x00\x01" + b"\x01\x01\x00\x01\x01" * 600
    return [b"", whole] + [rnd.randbytes(3000) for _ in range(6)]


if __name__ == "__main__":
    fuzzlib.main(test_one_input, max_len=0x4000, extra_seeds=seeds)
