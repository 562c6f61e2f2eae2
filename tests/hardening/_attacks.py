"""Crafted inputs of issue 12 "Memory and time bounded by the input", built with obkimg's own builders.

Each function returns the bytes (or text) of one attack; ``tests/hardening/test_bounds.py`` runs them
under a 1.5 GiB address-space cap, ``tests/hardening/measure_bounds.py`` measures their peak RSS and time.
Nothing here holds a secret: device keys and values are fixed synthetic bytes.
"""

from __future__ import annotations

from obkimg.codecs.checksums import sum32
from obkimg.formats.config import tuya_kv as kv

DEVICE_KEY = bytes(range(0x40, 0x50))
MiB = 1 << 20


def _data_key(device_key: bytes = DEVICE_KEY) -> bytes:
    return kv.derive_data_key(device_key, dict(kv.BASE_KEYS)["8710+common"])


def kv_amplification(index_blocks: int = 98, *, distinct: bool = True) -> bytes:
    """A Tuya KV storage in which every page of ``index_blocks`` blocks is an index page listing 26
    parts of 31 pages each (all pointing at block 0): 4 KiB of storage name 31 values of 103,168 bytes.

    With 98 index blocks the file is 400 KiB (key block, one value block, 98 index blocks) and the
    values add up to 313 MB; 4094 index blocks fill 16 MiB. ``distinct=False`` gives every index page
    the same name. Index pages are made from one page built by ``IndexEntry.build`` (ids and name
    patched), and all data blocks are encrypted in one AES-ECB call.
    """
    value_pages = tuple(bytes([0x41 + (p % 26)]) * kv.PAGE_SIZE for p in range(1, kv.PAGES))
    parts = tuple(kv.Part(0, 1, kv.PAGES - 1) for _ in range(26))
    length = 26 * (kv.PAGES - 1) * kv.PAGE_SIZE
    checksum = 26 * sum32(b"".join(value_pages)) & 0xFFFFFFFF
    template = kv.IndexEntry(checksum, length, 0, 0, 0, b"kkkkk\0", parts).build()
    plain = [kv.DataBlock(0, 0, 1, bytes(4), value_pages, b"\xff" * (kv.PAGE_SIZE - 19)).build()]
    bitmap = sum(1 << p for p in range(1, kv.PAGES)).to_bytes(4, "little")
    header_tail = bytes([4]) + bitmap + b"\xff" * (kv.PAGE_SIZE - 19)
    for b in range(1, index_blocks + 1):
        pages = []
        for p in range(1, kv.PAGES):
            name = f"{b:03x}{p:02x}".encode()[-5:] if distinct else b"kkkkk"
            pages.append(
                template[:8] + b.to_bytes(2, "little") + bytes([p]) + template[11:18] + name + template[23:]
            )
        body = b.to_bytes(2, "little") + (1).to_bytes(4, "little") + header_tail + b"".join(pages)
        plain.append(kv.DATA_MAGIC.to_bytes(4, "little") + sum32(body).to_bytes(4, "little") + body)
    return kv.KeyBlock(0, DEVICE_KEY).encrypt() + kv.encrypt(_data_key(), b"".join(plain))


def kv_key_blocks(count: int = 4096) -> bytes:
    """``count`` valid key blocks with distinct device keys, one per sector (16 MiB for 4096)."""
    out = bytearray()
    for i in range(count):
        out += kv.KeyBlock(0, i.to_bytes(4, "little") * 4).encrypt()
    return bytes(out)


def dtb_amplification(size: int = 181 * 1024) -> bytes:
    """An FDT of about ``size`` bytes whose properties all name offset 0 of a strings block without a
    NUL: before the fix every property name was a copy of the whole strings block."""
    import struct

    from obkimg.formats.bl602.dtb import FDT_MAGIC, HEADER_SIZE

    props = (size // 2) // 12
    strings = b"n" * (size - props * 12 - 80)
    body = struct.pack(">II", 1, 0)  # FDT_BEGIN_NODE, empty root name (padded)
    body += struct.pack(">III", 3, 0, 0) * props
    body += struct.pack(">II", 2, 9)  # FDT_END_NODE, FDT_END
    off_struct = HEADER_SIZE + 16
    off_strings = off_struct + len(body)
    total = off_strings + len(strings)
    head = struct.pack(
        ">4s9I", FDT_MAGIC, total, off_struct, off_strings, HEADER_SIZE, 17, 16, 0, len(strings), len(body)
    )
    return head + bytes(16) + body + strings


def dtb_name_suffixes(size: int = 256 * 1024) -> bytes:
    """An FDT whose properties name every offset of one long NUL-terminated string (dtc's suffix
    reuse taken to the extreme): quadratic name bytes without a name-length bound."""
    import struct

    from obkimg.formats.bl602.dtb import FDT_MAGIC, HEADER_SIZE

    n = (size - 80) // 13
    strings = b"s" * n + b"\0"
    body = struct.pack(">II", 1, 0)
    body += b"".join(struct.pack(">III", 3, 0, i) for i in range(n))
    body += struct.pack(">II", 2, 9)
    off_struct = HEADER_SIZE + 16
    off_strings = off_struct + len(body)
    total = off_strings + len(strings)
    head = struct.pack(
        ">4s9I", FDT_MAGIC, total, off_struct, off_strings, HEADER_SIZE, 17, 16, 0, len(strings), len(body)
    )
    return head + bytes(16) + body + strings


def _rec(kind: int, addr: int, payload: bytes) -> bytes:
    body = bytes([len(payload), addr >> 8 & 0xFF, addr & 0xFF, kind]) + payload
    return b":" + (body + bytes([-sum(body) & 0xFF])).hex().upper().encode() + b"\n"


def hex_full_flash(size: int = 16 * MiB) -> bytes:
    """Intel HEX of ``size`` bytes (a multiple of 64 KiB; repeating 0x00..0xFF) from address 0, 16 bytes
    per record, LF line ends: a whole 16 MiB flash exported as HEX is 44 MiB of text. Every 64 KiB
    segment has the same data records, so one is built and repeated after each segment's address record.
    """
    chunk = bytes(range(256))
    segment = b"".join(_rec(0, a, chunk[a & 0xF0 : (a & 0xF0) + 16]) for a in range(0, 0x10000, 16))
    return b"".join(_rec(4, 0, s.to_bytes(2, "big")) + segment for s in range(size >> 16)) + _rec(1, 0, b"")


def hex_spread(segments: int = 65536, per_segment: int = 256) -> bytes:
    """Intel HEX with ``per_segment`` bytes in each of ``segments`` 64 KiB segments: 16 MiB of data
    spread over the whole 4 GiB address space (45 MiB of text)."""
    rec = bytes(range(16))
    body = b"".join(_rec(0, off, rec) for off in range(0, per_segment, 16))
    return b"".join(_rec(4, 0, s.to_bytes(2, "big")) + body for s in range(segments)) + _rec(1, 0, b"")


def hex_one_byte_records(count: int) -> bytes:
    """``count`` one-byte data records at consecutive addresses (15 text bytes per data byte)."""
    lines = []
    upper = -1
    for addr in range(count):
        if addr >> 16 != upper:
            upper = addr >> 16
            lines.append(_rec(4, 0, upper.to_bytes(2, "big")))
        lines.append(_rec(0, addr & 0xFFFF, b"\x5a"))
    lines.append(_rec(1, 0, b""))
    return b"".join(lines)


PT_TOML = """\
[pt_table]
address0 = {table0}
address1 = 0xF000

[[pt_entry]]
type = 0
name = "FW"
device = 0
address0 = {fw0}
size0 = 0xC8000
address1 = 0xD8000
size1 = 0x88000
len = 0

[[pt_entry]]
type = 8
name = "factory"
device = 0
address0 = 0x1FF000
size0 = 0x1000
address1 = 0
size1 = 0
len = 0
"""


def build_flash_toml(*, table0: str = "0xE000", fw0: str = "0x10000") -> str:
    """A BL602 partition TOML whose first table copy / FW slot 0 sit where the caller says."""
    return PT_TOML.format(table0=table0, fw0=fw0)
