"""Tuya KV storage ("simple flash", "vault"): the encrypted key-value area of stock Tuya firmware.

Stock Tuya firmware keeps its configuration (Wi-Fi credentials, uuid / auth key / psk, device id,
local key, the ``user_param_key`` pin map, cloud URLs...) in a small AES-128-ECB encrypted
key-value store near the end of the flash. This module holds the on-flash structures, the locator
(sector scan plus byte-search fallback), the reader that picks the live copy of every block and
reassembles values, and the value encodings (JSON, Tuya pseudo-JSON UPK, the old nested UPK).
The workflow on top (convenience fields, ``tuya-keys`` document) is :mod:`obkimg.tuya`.

Sources: tuya-cloudcutter/bk7231tools
``bk7231tools/analysis/kvstorage.py`` (field names ``IndexPage``/``DataBlock``/``ProtectedBlock``);
openshwprojects/BK7231GUIFlashTool ``BK7231Flasher/Utils/TuyaConfig.cs`` (base-key candidates,
``KEY_NULL``, the 0x135726AB page magic); tuya SDK ``tuya_os_adapter.h`` (``UNI_STORAGE_DESC_S``).

Layout on BK7231T/N, 2 MiB flash (other chips: same structure at another offset, see
:data:`USUAL_KEY_OFFSETS`; never hard-coded, always searched)::

    0x1ED000  0x1000  protected block (KV_PROTECTED_ENABLE firmwares; some keep a copy at 0x1CF000)
    0x1EE000  0x1000  key block        master-key encrypted: magic, sum32(key), device key K
    0x1EF000  0xE000  data blocks 0..13, data-key encrypted, 32 pages x 128 bytes each
    0x1FD000  0x3000  swap blocks      older copies of any data block (the highest generation wins)

Key block plaintext (master key ``qwertyuiopasdfgh``)::

    +0   u32 magic 0x13579753     +4  u32 sum32(device key)     +8  16 device key K   +24 0xFF fill

Data block plaintext (data key ``D[i] = base[i&3] + "HHRRQbyemofrtytf"[i] + K[i]``)::

    page 0:  +0 u32 magic 0x98761234 (or 0x135726AB, "TuyaOS 3")  +4 u32 sum32(bytes 8..4095)
             +8 u16 block_id  +10 u32 generation  +14 u8 map_size  +15 bitmap (bit p = page p is an index)
    page p:  index page: +0 u32 sum32(value) +4 u32 length +8 u16 block_id +10 u8 page_id
             +11 u16 part_count +13 u32 element +17 u8 name_len +18 name\\0, then part_count x
             (u16 block_id, u8 first_page, u8 last_page); value pages are raw 128-byte chunks.

Protected block: master-key outer layer (magic, sum32 of bytes 8..4095 *after* the outer layer,
key, data_length, reserved), inner data-key layer from +32: records ``u32 len, char[32] name, value``.

Seen in the real dumps beyond the spec: 16 block ids (0..15) in any order over all 17 sectors, with
no fixed swap area, on newer BK7231N firmwares (TuyaOS 3.x) and on BK7252U (whose area spans 24
sectors); the physical position is never the block id. Also a second protected copy at 0x1CF000 on five
BK7231N firmwares, protected ``reserved`` words other than 0xFFFFFFFF, and protected records other
than gw_bi / gw_wsm (``rcs.active``, ``kv.ccode.avtive``). Every sector is therefore searched, not a
fixed 0x12000 window, and each protected copy is cross-checked against the KV values.

Bounds (a crafted storage must cost what its bytes cost): data blocks are searched within
:data:`DATA_WINDOW` of at most :data:`MAX_STORAGES` key blocks; a value may not be longer than the value
pages of the live blocks, and all values together not more than twice that (:class:`LimitError`);
values with more than :data:`MAX_JSON_CONTAINERS` JSON objects/arrays stay text.

Limitations: the 0x135726AB generation of the format is read with the same layout (the BK7238
golden case confirms it); a storage whose key block *and* protected block are both lost cannot
be decrypted; the app-image UPK search of bk7231tools is out of scope.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import construct as c

from ..._construct import build_with, parse_with
from ...codecs.checksums import sum32
from ...errors import (
    BuildError,
    ChecksumError,
    FormatError,
    LimitError,
    MagicError,
    NotFoundError,
    ObkImgError,
    Problem,
    TruncatedError,
)
from ...model import MAX_DEPTH, Image, Region, nesting_depth
from .. import Detection, FormatInfo

if TYPE_CHECKING:
    from ...source import Source
    from ...tuya import TuyaKeys

__all__ = [
    "build_storage",
    "FMT",
    "FORMAT",
    "MASTER_KEY",
    "SECTOR_SIZE",
    "PAGE_SIZE",
    "KEY_MAGIC",
    "DATA_MAGIC",
    "DATA_MAGIC_OS3",
    "SEARCH_MAGIC",
    "BASE_KEYS",
    "USUAL_KEY_OFFSETS",
    "KEY_BLOCK",
    "DATA_BLOCK_HEADER",
    "PART",
    "INDEX_PAGE",
    "PROTECTED_HEADER",
    "PROTECTED_RECORD",
    "KeyBlock",
    "Part",
    "IndexEntry",
    "DataBlock",
    "ProtectedRecord",
    "ProtectedBlock",
    "StorageLocation",
    "Entry",
    "TuyaStorage",
    "TuyaKVImage",
    "derive_data_key",
    "decrypt",
    "encrypt",
    "locate",
    "read_storage",
    "decode_value",
    "parse_upk",
    "flatten_upk",
    "detect",
    "load",
]

FMT = "tuya-kv"

MASTER_KEY = b"qwertyuiopasdfgh"
SECTOR_SIZE = 0x1000
PAGE_SIZE = 128
PAGES = SECTOR_SIZE // PAGE_SIZE
KEY_MAGIC = 0x13579753
DATA_MAGIC = 0x98761234
DATA_MAGIC_OS3 = 0x135726AB
DATA_MAGICS = (DATA_MAGIC, DATA_MAGIC_OS3)
_DATA_MAGIC_BYTES = frozenset(m.to_bytes(4, "little") for m in DATA_MAGICS)
#: AES-128-ECB(master key, 16 x 0xFF): every cipher block of a key block from +0x20 on
SEARCH_MAGIC = bytes.fromhex("46dced0e672f3b70ae1276a3f8712e03")
#: second part of the data-key derivation (``KEY_PART_2``)
KEY_PART_2 = b"HHRRQbyemofrtytf"
#: the data area spans at most this much after the key block on BK7231 (14 data + 3 swap blocks);
#: other chips use more (BK7252U: 24 sectors), so blocks found further on are accepted too
USUAL_AREA = 0x12000
#: data blocks are searched this far before and after a key (or protected) block: real storages put
#: them 1..24 sectors after the key block and protected copies up to 31 sectors before it; the bound
#: keeps the search linear when a file holds thousands of key blocks
DATA_WINDOW = 0x80000
#: at most this many distinct device keys are tried (real dumps hold one storage, rarely two)
MAX_STORAGES = 64
#: at most this many JSON objects/arrays are decoded in one value (real values hold a few hundred);
#: a value with more is kept as text, so decoding costs a bounded multiple of the value's bytes
MAX_JSON_CONTAINERS = 4096

#: base-key candidates (spec A3), in the order they are tried; the names follow the GUI tool's
#: ``VaultKeyVariant``. A 16-byte base replaces ``base[i&3] + KEY_PART_2[i]`` entirely.
BASE_KEYS: tuple[tuple[str, bytes], ...] = (
    ("8710+common", b"8710_2M"),  # BK7231T/N, BK7238, ...
    ("common-null", bytes((2 * b) & 0xFF for b in KEY_PART_2)),  # BK7252U (GUI: KEY_NULL)
    ("8721D+common", b"8721D"),  # RTL8720D
    ("common", KEY_PART_2),
    ("8711AM+common", b"8711AM_4M"),  # WRG1
    ("RDA5981+common", b"RDA5981_2M"),
)

#: usual key-block offsets (TuyaConfig.cs ``USUAL_*_MAGIC_POSITION``, spec A1)
USUAL_KEY_OFFSETS: dict[int, tuple[str, ...]] = {
    0x1EE000: ("BK7231T", "BK7231N"),
    0x1DD000: ("BK7231T",),
    0x1F5000: ("BK7238", "XR806"),
    0x1EB000: ("RTL8710B", "XR809", "RDA5981"),
    0x1D5000: ("RTL87X0C", "ECR6600"),
    0x3B6000: ("RTL8720D",),
    0x3D0000: ("BK7236",),
    0x7DD000: ("BK7258",),
    0x1EC000: ("LN882H",),
    0x1E7000: ("LN8825",),
    0xD2000: ("TR6260",),
    0x1C0000: ("W800",),
    0x377000: ("RTL8720CM",),
    0x397000: ("BK7252",),
    0x7D7000: ("WRG1",),
    0x7B000: ("ESP8266",),
}

# --------------------------------------------------------------------------------------------------
# schemas (plaintext, after decryption)

KEY_BLOCK = c.Struct(
    "magic" / c.Const(KEY_MAGIC, c.Int32ul),
    "checksum" / c.Int32ul,  # sum32 of the 16 key bytes only
    "device_key" / c.Bytes(16),  # K
    "fill" / c.Bytes(SECTOR_SIZE - 24),  # 0xFF
)

DATA_BLOCK_HEADER = c.Struct(
    "magic" / c.Int32ul,  # DATA_MAGIC or DATA_MAGIC_OS3
    "checksum" / c.Int32ul,  # sum32 of bytes 8..4095
    "block_id" / c.Int16ul,  # logical id, not the position
    "generation" / c.Int32ul,  # bk7231tools: "unknown"; +1 per rewrite
    "map_size" / c.Int8ul,  # always 4
    "bitmap" / c.Bytes(c.this.map_size),  # bit p set: page p is an index page
)

PART = c.Struct(
    "block_id" / c.Int16ul,
    "first_page" / c.Int8ul,
    "last_page" / c.Int8ul,  # inclusive
)

INDEX_PAGE = c.Struct(
    "checksum" / c.Int32ul,  # sum32 of the value's `length` bytes ("crc")
    "length" / c.Int32ul,
    "block_id" / c.Int16ul,  # the containing block's id
    "page_id" / c.Int8ul,  # the page's own index 1..31
    "part_count" / c.Int16ul,  # "parts_size"
    "element" / c.Int32ul,  # meaning unknown, not monotonic
    "name_len" / c.Int8ul,  # includes the NUL
    "name" / c.Bytes(c.this.name_len),
    "parts" / c.Array(c.this.part_count, PART),
)

PROTECTED_HEADER = c.Struct(
    "magic" / c.Const(KEY_MAGIC, c.Int32ul),
    "checksum" / c.Int32ul,  # sum32 of bytes 8..4095 after the outer layer only
    "device_key" / c.Bytes(16),
    "data_length" / c.Int32ul,  # bytes of records
    "reserved" / c.Int32ul,  # spec: 0xFFFFFFFF; small counters seen in real dumps
)

PROTECTED_RECORD = c.Struct(  # sf_protected_data_s
    "length" / c.Int32ul,
    "name" / c.Bytes(32),  # NUL-padded
    "value" / c.Bytes(c.this.length),
)

_COMPILED: dict[str, Any] = {}


def _schema(name: str) -> Any:
    """The compiled form of a schema constant (compiled once, on first use: 5x faster parsing)."""
    sc = _COMPILED.get(name)
    if sc is None:
        sc = _COMPILED[name] = globals()[name].compile()
    return sc


# --------------------------------------------------------------------------------------------------
# crypto


def _cipher(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(key), modes.ECB())


def decrypt(key: bytes, data: bytes) -> bytes:
    """AES-128-ECB decrypt (no padding; ``len(data)`` must be a multiple of 16)."""
    if len(data) % 16:
        raise FormatError(f"AES-ECB input of {len(data)} bytes is not a multiple of 16", fmt=FMT)
    d = _cipher(key).decryptor()
    return bytes(d.update(data) + d.finalize())


def encrypt(key: bytes, data: bytes) -> bytes:
    """AES-128-ECB encrypt (no padding)."""
    if len(data) % 16:
        raise FormatError(f"AES-ECB input of {len(data)} bytes is not a multiple of 16", fmt=FMT)
    e = _cipher(key).encryptor()
    return bytes(e.update(data) + e.finalize())


def derive_data_key(device_key: bytes, base: bytes) -> bytes:
    """Data key D from the device key K and a base key (spec A3).

    A base of 16 bytes is added byte-wise to K; a shorter base string B (``8710_2M``...) gives
    ``D[i] = B[i & 3] + KEY_PART_2[i] + K[i]`` (only B[0..3] matter).
    """
    if len(device_key) != 16:
        raise FormatError(f"device key must be 16 bytes, not {len(device_key)}", fmt=FMT, path="device_key")
    if len(base) == 16:
        return bytes((base[i] + device_key[i]) & 0xFF for i in range(16))
    if len(base) < 4:
        raise FormatError("base key string must have at least 4 bytes", fmt=FMT)
    return bytes((base[i & 3] + KEY_PART_2[i] + device_key[i]) & 0xFF for i in range(16))


def _u32(b: bytes, off: int = 0) -> int:
    return int.from_bytes(b[off : off + 4], "little")


# --------------------------------------------------------------------------------------------------
# models


@dataclass(frozen=True, slots=True)
class KeyBlock:
    """The key block: holds the device key K (plaintext model; :meth:`encrypt` gives the sector)."""

    offset: int
    device_key: bytes = field(repr=False)
    fill: bytes = field(default=b"\xff" * (SECTOR_SIZE - 24), repr=False)

    @classmethod
    def parse(cls, plain: bytes, *, offset: int = 0) -> KeyBlock:
        """Parse a decrypted key block (4096 bytes of plaintext); ``offset`` is its file offset, for errors.

        Raises :class:`~obkimg.errors.MagicError` when the magic is not 0x13579753 and
        :class:`~obkimg.errors.ChecksumError` when the stored sum32 does not match the device key. A
        ``plain`` shorter than 4096 bytes is not rejected: the key and fill come out short.
        """
        c_ = parse_with(_schema("KEY_BLOCK"), FMT, plain, base=offset)
        if c_.checksum != sum32(c_.device_key):
            raise ChecksumError(
                FMT,
                "key block checksum (sum32 of the device key)",
                c_.checksum,
                sum32(c_.device_key),
                offset=offset + 4,
                path="key_block.checksum",
            )
        return cls(offset, bytes(c_.device_key), bytes(c_.fill))

    @classmethod
    def decrypt(cls, sector: bytes, *, offset: int = 0) -> KeyBlock:
        """Decrypt the first 4096 bytes of ``sector`` with :data:`MASTER_KEY` and :meth:`parse` them.

        Raises :class:`~obkimg.errors.FormatError` when a short ``sector`` is not a multiple of 16 bytes,
        else what :meth:`parse` raises.
        """
        return cls.parse(decrypt(MASTER_KEY, sector[:SECTOR_SIZE]), offset=offset)

    def build(self) -> bytes:
        """The plaintext: magic, sum32 of the device key, the key, the fill (4096 bytes with a 16-byte key
        and a 4072-byte fill; the lengths are not checked)."""
        return build_with(
            _schema("KEY_BLOCK"),
            FMT,
            {"checksum": sum32(self.device_key), "device_key": self.device_key, "fill": self.fill},
        )

    def encrypt(self) -> bytes:
        """The sector as stored: :meth:`build` encrypted with :data:`MASTER_KEY` (AES-128-ECB)."""
        return encrypt(MASTER_KEY, self.build())


@dataclass(frozen=True, slots=True)
class Part:
    """One part of a value: pages ``first_page..last_page`` (inclusive) of block ``block_id``."""

    block_id: int
    first_page: int
    last_page: int

    def to_dict(self) -> dict[str, int]:
        """``block_id``, ``first_page`` and ``last_page`` (inclusive)."""
        return {"block_id": self.block_id, "first_page": self.first_page, "last_page": self.last_page}


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One index page: where a value lives, its length and sum32."""

    checksum: int
    length: int
    block_id: int
    page_id: int
    element: int
    name_raw: bytes  # name_len bytes, NUL included
    parts: tuple[Part, ...]
    fill: bytes = b""  # the rest of the 128-byte page, kept for byte-exact builds
    #: part_count as stored (equals len(parts) unless the GUI's byte-count form was met)
    part_count: int | None = None

    @property
    def name(self) -> str:
        """The key name: ``name_raw`` up to its first NUL, decoded as latin-1."""
        return self.name_raw.split(b"\x00", 1)[0].decode("latin-1")

    @classmethod
    def parse(cls, page: bytes, *, offset: int = 0) -> IndexEntry:
        """Parse an index page (the first 128 bytes of ``page``); ``offset`` is its file offset, for errors.

        A ``part_count`` that only fits as a byte count (the GUI flash tool's form) is read as count / 4 and
        kept in ``part_count``. Raises :class:`~obkimg.errors.FormatError` when the page is shorter than its
        18-byte header, its name is empty or its parts do not fit 128 bytes, and
        :class:`~obkimg.errors.TruncatedError` when a short page ends inside the parts (a name cut short
        is kept short).
        """
        page = page[:PAGE_SIZE]
        # Validate sizes first, so a garbage page fails with a precise FormatError.
        if len(page) < 18:
            raise FormatError("index page shorter than its 18-byte header", fmt=FMT, offset=offset)
        name_len = page[17]
        count = int.from_bytes(page[11:13], "little")
        stored_count = count
        if 18 + name_len + 4 * count > PAGE_SIZE:
            # BK7231GUIFlashTool also accepts a byte count (multiple of 4) here
            if count % 4 == 0 and 18 + name_len + count <= PAGE_SIZE:
                count //= 4
            else:
                raise FormatError(
                    f"index page does not fit 128 bytes (name_len {name_len}, part_count {count})",
                    fmt=FMT,
                    offset=offset + 11,
                    path="index.part_count",
                )
        if name_len == 0:
            raise FormatError(
                "index page has an empty name", fmt=FMT, offset=offset + 17, path="index.name_len"
            )
        fixed = page[:11] + count.to_bytes(2, "little") + page[13:]
        c_ = parse_with(_schema("INDEX_PAGE"), FMT, fixed, base=offset)
        used = 18 + name_len + 4 * count
        return cls(
            c_.checksum,
            c_.length,
            c_.block_id,
            c_.page_id,
            c_.element,
            bytes(c_.name),
            tuple(Part(p.block_id, p.first_page, p.last_page) for p in c_.parts),
            bytes(page[used:]),
            None if stored_count == count else stored_count,
        )

    def build(self) -> bytes:
        """The 128-byte page: header (``part_count`` as stored), name, parts, then the kept fill (0xFF
        when it would not make exactly 128 bytes).

        Raises :class:`~obkimg.errors.BuildError` when header, name and parts need more than 128 bytes.
        """
        count = len(self.parts) if self.part_count is None else self.part_count
        obj = {
            "checksum": self.checksum,
            "length": self.length,
            "block_id": self.block_id,
            "page_id": self.page_id,
            "part_count": len(self.parts),
            "element": self.element,
            "name_len": len(self.name_raw),
            "name": self.name_raw,
            "parts": [p.to_dict() for p in self.parts],
        }
        head = build_with(_schema("INDEX_PAGE"), FMT, obj)
        head = head[:11] + count.to_bytes(2, "little") + head[13:]
        fill = self.fill if len(head) + len(self.fill) == PAGE_SIZE else b"\xff" * (PAGE_SIZE - len(head))
        out = head + fill
        if len(out) != PAGE_SIZE:
            raise BuildError(
                f"index page for {self.name!r} needs {len(head)} bytes, more than {PAGE_SIZE}",
                fmt=FMT,
                path="index",
            )
        return out


@dataclass(frozen=True, slots=True)
class DataBlock:
    """One decrypted data (or swap) block: header page and 31 raw pages."""

    offset: int
    block_id: int
    generation: int
    bitmap: bytes
    pages: tuple[bytes, ...]  # pages 1..31, raw 128 bytes each
    header_fill: bytes = b""  # rest of page 0 after the bitmap
    magic: int = DATA_MAGIC

    @property
    def index_pages(self) -> list[int]:
        """Numbers (1..31) of the pages the bitmap marks as index pages."""
        bm = int.from_bytes(self.bitmap, "little")
        return [p for p in range(1, PAGES) if bm >> p & 1]

    def page(self, n: int) -> bytes:
        """Raw page ``n`` (1..31)."""
        return self.pages[n - 1]

    @classmethod
    def parse(cls, plain: bytes, *, offset: int = 0) -> DataBlock:
        """Parse a decrypted data or swap block (4096 bytes of plaintext); ``offset`` is its file offset.

        Raises :class:`~obkimg.errors.TruncatedError` for fewer than 4096 bytes,
        :class:`~obkimg.errors.MagicError` when the magic is neither 0x98761234 nor 0x135726AB and
        :class:`~obkimg.errors.ChecksumError` when the stored sum32 of bytes 8..4095 is wrong.
        """
        if len(plain) < SECTOR_SIZE:
            raise TruncatedError(FMT, SECTOR_SIZE, len(plain), offset=offset, path="data_block")
        h = parse_with(_schema("DATA_BLOCK_HEADER"), FMT, plain[:PAGE_SIZE], base=offset)
        if h.magic not in DATA_MAGICS:
            raise MagicError(
                FMT, DATA_MAGIC.to_bytes(4, "little"), plain[:4], offset=offset, path="data_block.magic"
            )
        body = sum32(plain[8:SECTOR_SIZE])
        if h.checksum != body:
            raise ChecksumError(
                FMT,
                "data block checksum (sum32 of bytes 8..4095)",
                h.checksum,
                body,
                offset=offset + 4,
                path="data_block.checksum",
            )
        end = 15 + h.map_size
        return cls(
            offset,
            h.block_id,
            h.generation,
            bytes(h.bitmap),
            tuple(plain[i : i + PAGE_SIZE] for i in range(PAGE_SIZE, SECTOR_SIZE, PAGE_SIZE)),
            bytes(plain[end:PAGE_SIZE]),
            h.magic,
        )

    def build(self) -> bytes:
        """The plaintext sector; the checksum is recomputed."""
        head = build_with(
            _schema("DATA_BLOCK_HEADER"),
            FMT,
            {
                "magic": self.magic,
                "checksum": 0,
                "block_id": self.block_id,
                "generation": self.generation,
                "map_size": len(self.bitmap),
                "bitmap": self.bitmap,
            },
        )
        fill = (
            self.header_fill
            if len(head) + len(self.header_fill) == PAGE_SIZE
            else b"\xff" * (PAGE_SIZE - len(head))
        )
        body = head[8:] + fill + b"".join(self.pages)
        if len(body) != SECTOR_SIZE - 8:
            raise BuildError(
                f"data block {self.block_id} is {len(body) + 8} bytes, not {SECTOR_SIZE}",
                fmt=FMT,
                path="data_block",
            )
        return head[:4] + sum32(body).to_bytes(4, "little") + body

    def encrypt(self, data_key: bytes) -> bytes:
        """The sector as stored: :meth:`build` encrypted with ``data_key`` (AES-128-ECB,
        :func:`derive_data_key`)."""
        return encrypt(data_key, self.build())


def build_storage(
    values: dict[str, bytes], *, device_key: bytes, variant: str = "8710+common", element: int = 0x410000
) -> bytes:
    """A fresh, encrypted KV area (key block + data blocks) holding ``values``, as a device writes it.

    Each value gets one index page followed by its value pages, in the same block (a new block is
    started when a value does not fit the current one). Names are stored NUL-terminated. This is the
    builder behind tests and the synthetic demo dump; it writes no swap copies or protected block.
    """
    if variant not in dict(BASE_KEYS):
        raise BuildError(f"unknown key variant {variant!r}", fmt=FMT, path="variant")
    data_key = derive_data_key(device_key, dict(BASE_KEYS)[variant])
    blocks: list[tuple[dict[int, bytes], set[int]]] = [({}, set())]
    next_page = 1
    for name, value in values.items():
        npages = 1 + -(-len(value) // PAGE_SIZE)
        if npages > PAGES - 1:
            raise BuildError(
                f"value {name!r} ({len(value)} bytes) does not fit one block", fmt=FMT, path=name
            )
        if next_page + npages > PAGES:
            blocks.append(({}, set()))
            next_page = 1
        pages, index = blocks[-1]
        block_id = len(blocks) - 1
        first = next_page + 1
        last = next_page + npages - 1 if len(value) else first
        pages[next_page] = IndexEntry(
            sum32(value),
            len(value),
            block_id,
            next_page,
            element,
            name.encode() + b"\x00",
            (Part(block_id, first, last),),
        ).build()
        index.add(next_page)
        for i in range(0, len(value), PAGE_SIZE):
            pages[first + i // PAGE_SIZE] = value[i : i + PAGE_SIZE].ljust(PAGE_SIZE, b"\xff")
        next_page += npages
    out = KeyBlock(0, device_key).encrypt()
    for block_id, (pages, index) in enumerate(blocks):
        bitmap = sum(1 << p for p in index).to_bytes(4, "little")
        raw = tuple(pages.get(p, b"\xff" * PAGE_SIZE) for p in range(1, PAGES))
        out += DataBlock(0, block_id, 1, bitmap, raw, b"\xff" * (PAGE_SIZE - 19)).encrypt(data_key)
    return out


@dataclass(frozen=True, slots=True, repr=False)
class ProtectedRecord:
    """One record of the protected block: ``u32 len, char[32] name, value``."""

    name: str
    value: bytes
    #: the 32 stored name bytes (NUL padding as found), kept for byte-exact builds
    name_raw: bytes = field(default=b"", compare=False)

    def __repr__(self) -> str:
        return f"ProtectedRecord({self.name!r}, {len(self.value)} bytes)"


@dataclass(frozen=True, slots=True)
class ProtectedBlock:
    """The protected block: a master-key sector whose inner area (data key) holds value records."""

    offset: int
    device_key: bytes = field(repr=False)
    data_length: int
    reserved: int
    records: tuple[ProtectedRecord, ...]
    inner_tail: bytes = b""  # inner plaintext after the records (0xFF fill)

    @classmethod
    def parse(cls, outer: bytes, *, offset: int = 0, base: bytes = BASE_KEYS[0][1]) -> ProtectedBlock:
        """Parse the plaintext after the *outer* (master-key) layer; the inner layer is decrypted here."""
        h = parse_with(_schema("PROTECTED_HEADER"), FMT, outer[:32], base=offset)
        body = sum32(outer[8:SECTOR_SIZE])
        if h.checksum != body:
            raise ChecksumError(
                FMT,
                "protected block checksum (sum32 of bytes 8..4095)",
                h.checksum,
                body,
                offset=offset + 4,
                path="protected.checksum",
            )
        if h.data_length > SECTOR_SIZE - 32:
            raise FormatError(
                f"protected data_length {h.data_length} exceeds the block",
                fmt=FMT,
                offset=offset + 24,
                path="protected.data_length",
            )
        inner = decrypt(derive_data_key(bytes(h.device_key), base), outer[32:SECTOR_SIZE])
        records = []
        pos = 0
        while pos < h.data_length:
            r = parse_with(
                _schema("PROTECTED_RECORD"), FMT, inner[pos : h.data_length], base=offset + 32 + pos
            )
            name = bytes(r.name).split(b"\x00", 1)[0].decode("latin-1")
            records.append(ProtectedRecord(name, bytes(r.value), bytes(r.name)))
            pos += 36 + r.length
        return cls(offset, bytes(h.device_key), h.data_length, h.reserved, tuple(records), inner[pos:])

    def build(self, base: bytes = BASE_KEYS[0][1]) -> bytes:
        """The plaintext after the outer layer (inner area encrypted with the data key)."""
        inner = b"".join(
            build_with(
                _schema("PROTECTED_RECORD"),
                FMT,
                {
                    "length": len(r.value),
                    "value": r.value,
                    "name": r.name_raw
                    if len(r.name_raw) == 32
                    else r.name.encode("latin-1").ljust(32, b"\x00"),
                },
            )
            for r in self.records
        )
        inner += (
            self.inner_tail
            if len(inner) + len(self.inner_tail) == SECTOR_SIZE - 32
            else b"\xff" * (SECTOR_SIZE - 32 - len(inner))
        )
        if len(inner) != SECTOR_SIZE - 32:
            raise BuildError("protected records do not fit one sector", fmt=FMT, path="protected")
        cipher = encrypt(derive_data_key(self.device_key, base), inner)
        head = build_with(
            _schema("PROTECTED_HEADER"),
            FMT,
            {
                "checksum": 0,
                "device_key": self.device_key,
                "data_length": self.data_length,
                "reserved": self.reserved,
            },
        )
        body = head[8:] + cipher
        return head[:4] + sum32(body).to_bytes(4, "little") + body

    def encrypt(self, base: bytes = BASE_KEYS[0][1]) -> bytes:
        """The sector as stored: :meth:`build` (inner area under the data key derived with ``base``),
        encrypted again with :data:`MASTER_KEY`."""
        return encrypt(MASTER_KEY, self.build(base))


# --------------------------------------------------------------------------------------------------
# locating the storage


@dataclass(frozen=True, slots=True)
class StorageLocation:
    """Where one storage is: found cheaply (first cipher block of every sector only)."""

    key_offset: int
    device_key: bytes = field(repr=False)
    key_variant: str | None  # None: no data block decrypts with any base key
    data_magic: int | None
    block_offsets: tuple[int, ...]  # sectors whose first 16 bytes decrypt to a data magic
    protected_offsets: tuple[int, ...]
    #: offset of the sector grid (0 for sector-aligned dumps)
    phase: int = 0
    #: True when the device key comes from a protected block (key block missing or damaged)
    key_from_protected: bool = False
    problems: tuple[Problem, ...] = ()

    @property
    def start(self) -> int:
        """The key block, or the protected block right before it (other protected copies, such as
        0x1CF000 on some BK7231N firmwares, are separate regions)."""
        if self.key_offset - SECTOR_SIZE in self.protected_offsets:
            return self.key_offset - SECTOR_SIZE
        return self.key_offset

    @property
    def end(self) -> int:
        """Offset just past the last sector of this storage (key, data or protected block)."""
        return max((self.key_offset, *self.block_offsets, *self.protected_offsets)) + SECTOR_SIZE

    @property
    def data_key(self) -> bytes | None:
        """The data key D from the device key and the base key of ``key_variant``; None when no base key
        decrypts a data block."""
        if self.key_variant is None:
            return None
        return derive_data_key(self.device_key, dict(BASE_KEYS)[self.key_variant])

    def regions(self) -> list[Region]:
        """Regions for a dump model: protected block(s), key block, data area."""
        out = [
            Region("tuya-protected", off, SECTOR_SIZE, "tuya-kv", "valid") for off in self.protected_offsets
        ]
        if not self.key_from_protected:
            out.append(
                Region(
                    "tuya-kv-key",
                    self.key_offset,
                    SECTOR_SIZE,
                    "tuya-kv",
                    "valid",
                    detail={"key_variant": self.key_variant},
                )
            )
        if self.block_offsets:
            lo = min(self.block_offsets)
            hi = max(self.block_offsets) + SECTOR_SIZE
            out.append(
                Region(
                    "tuya-kv-data",
                    lo,
                    hi - lo,
                    "tuya-kv",
                    "valid",
                    detail={"blocks": len(self.block_offsets)},
                )
            )
        return sorted(out, key=lambda r: r.offset)

    def to_dict(self) -> dict[str, Any]:
        """JSON form: ``key_offset``, ``key_variant``, ``protected_offsets``, ``block_count``, ``start``,
        ``end`` and ``phase`` (offsets in the input); the device key is left out."""
        return {
            "key_offset": self.key_offset,
            "key_variant": self.key_variant,
            "protected_offsets": list(self.protected_offsets),
            "block_count": len(self.block_offsets),
            "start": self.start,
            "end": self.end,
            "phase": self.phase,
        }


def _grid(data: bytes, phase: int) -> tuple[list[int], bytes]:
    starts = list(range(phase, len(data) - SECTOR_SIZE + 1, SECTOR_SIZE))
    return starts, b"".join([data[o : o + 16] for o in starts])


def _scan_grid(
    data: bytes, phase: int
) -> tuple[list[int], bytes, list[KeyBlock], list[tuple[int, bytes]], list[Problem]]:
    """Sector scan on one grid: key blocks, protected blocks (offset, outer plaintext), damaged ones."""
    starts, heads = _grid(data, phase)
    keys: list[KeyBlock] = []
    prot: list[tuple[int, bytes]] = []
    problems: list[Problem] = []
    if not heads:
        return starts, heads, keys, prot, problems
    plain_heads = decrypt(MASTER_KEY, heads)
    magic = KEY_MAGIC.to_bytes(4, "little")
    hits = [starts[i] for i in range(len(starts)) if plain_heads[16 * i : 16 * i + 4] == magic]
    if hits:
        plain = decrypt(MASTER_KEY, b"".join(data[o : o + SECTOR_SIZE] for o in hits))
        for n, off in enumerate(hits):
            s = plain[n * SECTOR_SIZE : (n + 1) * SECTOR_SIZE]
            stored = _u32(s, 4)
            if stored == sum32(s[8:24]) and s[24:32] == b"\xff" * 8:
                keys.append(KeyBlock(off, s[8:24], s[24:]))  # magic and checksum checked above
            elif stored == sum32(s[8:]):
                prot.append((off, s))
            else:
                problems.append(
                    Problem(
                        "warning",
                        "sector has the key-block magic but neither the key-block "
                        "nor the protected-block checksum matches (damaged)",
                        off,
                        FMT,
                    )
                )
    return starts, heads, keys, prot, problems


def locate(data: bytes) -> list[StorageLocation]:
    """Every Tuya KV storage in ``data`` (a dump, a region read, a bare storage). Cheap, never raises.

    Sector scan for key/protected blocks (master key, first cipher block of each sector), the
    byte search for ``SEARCH_MAGIC`` as a fallback for dumps that are not sector aligned, then
    the base-key candidates of spec A3 tried on the first cipher block of every sector.
    """
    try:
        return _locate(bytes(data))
    except ObkImgError:
        return []


def _find_data_blocks(
    device_key: bytes, heads: bytes, starts: list[int], lo_i: int, hi_i: int
) -> tuple[str | None, int | None, tuple[int, ...]]:
    """(base-key name, data magic, offsets) of the sectors ``lo_i..hi_i`` whose first cipher block
    decrypts to a data magic under the first base key that gives any (spec A12.2: a wrong key matches
    a 32-bit magic by chance once in 2**32 sectors)."""
    window = heads[16 * lo_i : 16 * hi_i]
    if not window:
        return None, None, ()
    for name, base in BASE_KEYS:
        plain = decrypt(derive_data_key(device_key, base), window)
        found: list[tuple[int, bytes]] = []
        for m in _DATA_MAGIC_BYTES:
            pos = plain.find(m)
            while pos >= 0:
                if pos % 16 == 0:
                    found.append((lo_i + pos // 16, m))
                pos = plain.find(m, pos + 1)
        if found:
            found.sort()
            magics = [m for _, m in found]
            return name, _u32(max(set(magics), key=magics.count)), tuple(starts[i] for i, _ in found)
    return None, None, ()


def _locate(data: bytes) -> list[StorageLocation]:
    phase = 0
    starts, heads, keys, prot, problems = _scan_grid(data, 0)
    if not keys:
        pos = data.find(SEARCH_MAGIC)
        while pos != -1 and pos < 0x20:
            pos = data.find(SEARCH_MAGIC, pos + 1)
        if pos != -1 and (pos - 0x20) % SECTOR_SIZE:
            phase = (pos - 0x20) % SECTOR_SIZE
            starts, heads, keys2, prot2, problems2 = _scan_grid(data, phase)
            if keys2 or prot2:
                keys, prot, problems = keys2, prot2, problems + problems2
            else:
                phase = 0
                starts, heads = _grid(data, 0)
    # one candidate per distinct device key; key blocks first, then keys only a protected block has
    cands: list[tuple[int, bytes, bool]] = []
    seen: set[bytes] = set()
    for kb in keys:
        if kb.device_key in seen:
            problems.append(Problem("info", "another key block with the same device key", kb.offset, FMT))
            continue
        seen.add(kb.device_key)
        cands.append((kb.offset, kb.device_key, False))
    for off, s in prot:
        k = s[8:24]
        if k not in seen:
            seen.add(k)
            cands.append((off, k, True))
    if len(cands) > MAX_STORAGES:
        problems.append(
            Problem(
                "warning",
                f"{len(cands)} key and protected blocks with distinct device "
                f"keys; only the first {MAX_STORAGES} were searched for data blocks",
                cands[MAX_STORAGES][0],
                FMT,
            )
        )
        del cands[MAX_STORAGES:]
    out = []
    prot_by_key: dict[bytes, list[int]] = {}
    for o, s in prot:
        prot_by_key.setdefault(s[8:24], []).append(o)
    problems.sort(key=lambda p: -1 if p.offset is None else p.offset)
    where = [-1 if p.offset is None else p.offset for p in problems]
    for off, k, from_prot in cands:
        # data blocks are searched near their key block only, so many key blocks cost linear time
        lo_i = max(0, (off - DATA_WINDOW - phase) // SECTOR_SIZE)
        hi_i = min(len(starts), max(0, (off + DATA_WINDOW - phase) // SECTOR_SIZE + 1))
        name, magic, offsets = _find_data_blocks(k, heads, starts, lo_i, hi_i)
        p_offs = tuple(prot_by_key.get(k, ()))
        probs = problems[bisect_left(where, off - DATA_WINDOW) : bisect_left(where, off + DATA_WINDOW)]
        if from_prot:
            probs.append(
                Problem(
                    "warning",
                    "no valid key block for this storage: the device key was taken from the protected block",
                    off,
                    FMT,
                )
            )
        out.append(
            StorageLocation(off, bytes(k), name, magic, offsets, p_offs, phase, from_prot, tuple(probs))
        )
    # the storage with most data blocks first
    out.sort(key=lambda loc: -len(loc.block_offsets))
    return out


# --------------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True, slots=True, repr=False)
class Entry:
    """One reassembled value: its index, its raw bytes and where they came from."""

    name: str
    value: bytes
    index: IndexEntry
    block_offset: int  # absolute offset of the block holding the index page
    page: int  # page of the index in that block
    checksum_ok: bool

    def __repr__(self) -> str:  # values hold user secrets: never in a repr
        return f"Entry({self.name!r}, {len(self.value)} bytes, block {self.index.block_id} page {self.page})"

    def to_dict(self) -> dict[str, Any]:
        """JSON form without the value: name, length (bytes), block_id, page, block_offset, element, parts
        (``[block_id, first_page, last_page]``), checksum_ok."""
        return {
            "name": self.name,
            "length": len(self.value),
            "block_id": self.index.block_id,
            "page": self.page,
            "block_offset": self.block_offset,
            "element": self.index.element,
            "parts": [[p.block_id, p.first_page, p.last_page] for p in self.index.parts],
            "checksum_ok": self.checksum_ok,
        }


@dataclass(frozen=True, slots=True, repr=False)
class TuyaStorage:
    """A read storage: live blocks chosen by generation, reassembled raw values, findings."""

    location: StorageLocation
    size: int  # size of the input it was read from
    blocks: tuple[DataBlock, ...]  # every valid data/swap block, physical order
    live: tuple[DataBlock, ...]  # the live copy of each block id, by id
    entries: tuple[Entry, ...]  # one per key name (duplicates resolved)
    protected: tuple[ProtectedBlock, ...]
    bad_offsets: tuple[int, ...]  # sectors with a data magic but a bad checksum
    problems: tuple[Problem, ...] = ()

    def __repr__(self) -> str:
        return (
            f"TuyaStorage(key block at {self.location.key_offset:#x}, {len(self.blocks)} blocks, "
            f"{len(self.entries)} values, {len(self.problems)} problems)"
        )

    @property
    def raw_values(self) -> dict[str, bytes]:
        """Every value by key name, raw bytes as stored (not decoded, secrets included)."""
        return {e.name: e.value for e in self.entries}

    @property
    def key_offset(self) -> int:
        """Offset of the key block (``location.key_offset``)."""
        return self.location.key_offset

    def block_states(self) -> list[dict[str, Any]]:
        """One row per data block found, sorted by offset: ``offset``, ``block_id``, ``generation``,
        ``state`` (``live``, ``superseded`` or ``bad-checksum``) and ``index_pages`` (a count)."""
        live = {b.offset for b in self.live}
        rows: list[dict[str, Any]] = [
            {
                "offset": b.offset,
                "block_id": b.block_id,
                "generation": b.generation,
                "state": "live" if b.offset in live else "superseded",
                "index_pages": len(b.index_pages),
            }
            for b in self.blocks
        ]
        rows += [
            {"offset": o, "block_id": None, "generation": None, "state": "bad-checksum", "index_pages": 0}
            for o in self.bad_offsets
        ]
        return sorted(rows, key=lambda r: r["offset"])

    def to_dict(self, *, show_secrets: bool = True) -> dict[str, Any]:
        """The storage as JSON: location and key variant, block counts, :meth:`block_states`, entries
        (:meth:`Entry.to_dict`, no values) and protected record names. The device key is masked unless
        ``show_secrets`` (the default shows it)."""
        from ...model import Secret, jsonable

        loc = self.location
        live_ids = {b.block_id for b in self.live}
        doc: dict[str, Any] = jsonable(
            {
                "key_offset": loc.key_offset,
                "key_from_protected": loc.key_from_protected,
                "device_key": Secret(loc.device_key.hex()),
                "key_variant": loc.key_variant,
                "data_magic": loc.data_magic,
                "phase": loc.phase,
                "protected_offsets": list(loc.protected_offsets),
                "data_start": min((b.offset for b in self.blocks), default=None),
                "data_end": max((b.offset + SECTOR_SIZE for b in self.blocks), default=None),
                "start": loc.start,
                "end": loc.end,
                "block_count": len(self.blocks),
                "live_block_count": len(live_ids),
                "swap_copies": len(self.blocks) - len(self.live),
                "bad_blocks": list(self.bad_offsets),
                "blocks": self.block_states(),
                "entries": [e.to_dict() for e in self.entries],
                "protected": [
                    {
                        "offset": p.offset,
                        "reserved": p.reserved,
                        "data_length": p.data_length,
                        "records": [r.name for r in p.records],
                    }
                    for p in self.protected
                ],
                "usual_for": list(USUAL_KEY_OFFSETS.get(loc.key_offset, ())),
            },
            show_secrets=show_secrets,
        )
        return doc


def read_storage(data: bytes, location: StorageLocation | None = None) -> TuyaStorage:
    """Read the storage at ``location`` (default: the best one :func:`locate` finds).

    Raises :class:`NotFoundError` when there is no storage at all; everything else (bad or erased
    sectors, broken index pages, value checksum mismatches) is reported in ``problems``.
    """
    data = bytes(data)
    if location is None:
        found = _locate(data)
        if not found:
            raise NotFoundError(
                "no Tuya KV storage (no key block, protected block or key-block search magic) in the input",
                fmt=FMT,
                hint="the storage lives near the end of the flash, e.g. 0x1EE000 on BK7231",
            )
        location = found[0]
    problems: list[Problem] = list(location.problems)
    dkey = location.data_key
    blocks: list[DataBlock] = []
    bad: list[int] = []
    if dkey is None:
        problems.append(
            Problem(
                "error",
                "no data block decrypts with the device key and any known base key "
                "(storage empty, erased or of an unknown variant)",
                location.key_offset,
                FMT,
            )
        )
    elif location.block_offsets:
        offs = location.block_offsets
        plain = decrypt(dkey, b"".join(data[o : o + SECTOR_SIZE] for o in offs))
        for n, off in enumerate(offs):
            s = plain[n * SECTOR_SIZE : (n + 1) * SECTOR_SIZE]
            try:
                blocks.append(DataBlock.parse(s, offset=off))
            except ObkImgError as e:
                bad.append(off)
                bid = int.from_bytes(s[8:10], "little")
                problems.append(
                    Problem(
                        "warning",
                        f"data block (id {bid}, generation {_u32(s, 10)}) skipped: {e.message}",
                        off,
                        FMT,
                    )
                )
    _report_area(data, location, blocks, bad, problems)
    live = _choose_live(blocks, problems)
    entries = _walk(live, problems)
    protected = _read_protected(data, location, problems)
    _cross_check(entries, protected, problems)
    return TuyaStorage(
        location,
        len(data),
        tuple(blocks),
        tuple(live),
        tuple(entries),
        tuple(protected),
        tuple(bad),
        tuple(problems),
    )


def _report_area(
    data: bytes, loc: StorageLocation, blocks: list[DataBlock], bad: list[int], problems: list[Problem]
) -> None:
    """Report sectors of the data area that hold no data block (erased or foreign)."""
    if loc.key_from_protected:
        return
    used = {b.offset for b in blocks} | set(bad)
    end = min(loc.key_offset + USUAL_AREA, len(data) - (len(data) - loc.phase) % SECTOR_SIZE)
    end = max([end] + [o + SECTOR_SIZE for o in used])
    for off in range(loc.key_offset + SECTOR_SIZE, end, SECTOR_SIZE):
        if off in used:
            continue
        sector = data[off : off + SECTOR_SIZE]
        if sector.count(0xFF) == len(sector):
            problems.append(Problem("info", "erased sector in the KV data area", off, FMT))
        else:
            problems.append(
                Problem("warning", "sector in the KV data area is not a data block of this storage", off, FMT)
            )


def _choose_live(blocks: list[DataBlock], problems: list[Problem]) -> list[DataBlock]:
    """The highest generation of each block id wins (spec A5); ties keep the first physical copy."""
    by_id: dict[int, list[DataBlock]] = {}
    for b in blocks:
        by_id.setdefault(b.block_id, []).append(b)
    live = []
    for bid in sorted(by_id):
        copies = sorted(by_id[bid], key=lambda b: (-b.generation, b.offset))
        winner = copies[0]
        live.append(winner)
        for other in copies[1:]:
            if other.generation == winner.generation:
                problems.append(
                    Problem(
                        "warning",
                        f"two copies of block {bid} with the same generation "
                        f"{other.generation}; kept the one at {winner.offset:#x}",
                        other.offset,
                        FMT,
                    )
                )
            else:
                problems.append(
                    Problem(
                        "info",
                        f"older copy of block {bid} (generation {other.generation}) "
                        f"superseded by the copy at {winner.offset:#x} (generation "
                        f"{winner.generation})",
                        other.offset,
                        FMT,
                    )
                )
    return live


def _walk(live: list[DataBlock], problems: list[Problem]) -> list[Entry]:
    """Index pages of the live blocks -> values (spec A6).

    Bounded by the storage: a value may not be longer than the value pages of the live blocks (the
    "area"), and the values together may not exceed twice the area (real storages never share pages
    between values; the slack covers duplicate index pages). Past that, :class:`LimitError`.
    """
    blocks = {b.block_id: b for b in live}
    index_sets = {b.block_id: frozenset(b.index_pages) for b in live}
    area = len(live) * (PAGES - 1) * PAGE_SIZE
    remaining = 2 * area
    found: dict[str, Entry] = {}
    for b in live:
        if b.bitmap and b.bitmap[0] & 1:
            problems.append(
                Problem(
                    "warning", f"block {b.block_id}: bitmap marks the header page as an index", b.offset, FMT
                )
            )
        for p in sorted(index_sets[b.block_id]):
            where = b.offset + p * PAGE_SIZE
            try:
                idx = IndexEntry.parse(b.page(p), offset=where)
            except ObkImgError as e:
                problems.append(
                    Problem(
                        "error",
                        f"block {b.block_id} page {p}: unreadable index page: {e.message}",
                        where,
                        FMT,
                    )
                )
                continue
            name = idx.name
            if idx.block_id != b.block_id or idx.page_id != p:
                problems.append(
                    Problem(
                        "error",
                        f"index {name!r}: stored block/page "
                        f"{idx.block_id}/{idx.page_id} but found in block {b.block_id} "
                        f"page {p}",
                        where,
                        FMT,
                    )
                )
            if idx.length > area:
                problems.append(
                    Problem(
                        "error",
                        f"value {name!r}: {idx.length} bytes announced, more than "
                        f"the {area} value bytes of the storage's {len(live)} live blocks; "
                        "value dropped",
                        where,
                        FMT,
                    )
                )
                continue
            if idx.length > remaining:
                raise LimitError(
                    f"the values add up to more than {2 * area} bytes, twice the {area} value "
                    f"bytes of the storage's {len(live)} live blocks (pages shared between "
                    f"values); refusing to read further than value {name!r}",
                    fmt=FMT,
                    offset=where,
                    path="index.parts",
                )
            value = _assemble(name, idx, blocks, index_sets, where, problems)
            if value is None:
                continue
            remaining -= len(value)
            _add_entry(
                found,
                Entry(name, value, idx, b.offset, p, sum32(value) == idx.checksum),
                b.block_id,
                problems,
            )
    return list(found.values())


def _add_entry(found: dict[str, Entry], entry: Entry, block_id: int, problems: list[Problem]) -> None:
    """Record ``entry``; a second live index of the same name keeps the one whose checksum matches."""
    name, idx, where = entry.name, entry.index, entry.block_offset + entry.page * PAGE_SIZE
    if not entry.checksum_ok:
        problems.append(
            Problem(
                "error",
                f"value {name!r}: sum32 {sum32(entry.value):#x} does not match the index ({idx.checksum:#x})",
                where,
                FMT,
            )
        )
    prev = found.get(name)
    if prev is None:
        found[name] = entry
        return
    keep = prev if prev.checksum_ok or not entry.checksum_ok else entry
    found[name] = keep
    problems.append(
        Problem(
            "warning",
            f"duplicate index for {name!r} in live blocks (block "
            f"{prev.index.block_id} page {prev.page} and block {block_id} "
            f"page {entry.page}); kept block {keep.index.block_id} page {keep.page}",
            where,
            FMT,
        )
    )


def _assemble(
    name: str,
    idx: IndexEntry,
    blocks: dict[int, DataBlock],
    index_sets: dict[int, frozenset[int]],
    where: int,
    problems: list[Problem],
) -> bytes | None:
    """The value of ``idx``, assembled once: pages are copied until ``idx.length`` bytes are there."""
    value = bytearray()
    for part in idx.parts:
        blk = blocks.get(part.block_id)
        if blk is None:
            problems.append(
                Problem(
                    "error",
                    f"value {name!r}: part in block {part.block_id}, which has no valid copy; value dropped",
                    where,
                    FMT,
                )
            )
            return None
        if not 1 <= part.first_page <= part.last_page < PAGES:
            problems.append(
                Problem(
                    "error",
                    f"value {name!r}: bad page range "
                    f"{part.first_page}..{part.last_page} in block {part.block_id}; "
                    "value dropped",
                    where,
                    FMT,
                )
            )
            return None
        pages = range(part.first_page, part.last_page + 1)
        if not index_sets[part.block_id].isdisjoint(pages):
            problems.append(
                Problem(
                    "warning",
                    f"value {name!r}: a part overlaps an index page of block {part.block_id}",
                    where,
                    FMT,
                )
            )
        for pg in pages:
            if len(value) < idx.length:
                value += blk.pages[pg - 1][: idx.length - len(value)]
    if len(value) < idx.length:
        problems.append(
            Problem(
                "error",
                f"value {name!r}: {idx.length} bytes announced, its parts hold only "
                f"{len(value)}; value dropped",
                where,
                FMT,
            )
        )
        return None
    return bytes(value)


def _read_protected(data: bytes, loc: StorageLocation, problems: list[Problem]) -> list[ProtectedBlock]:
    out = []
    base = dict(BASE_KEYS)[loc.key_variant] if loc.key_variant else BASE_KEYS[0][1]
    for off in loc.protected_offsets:
        try:
            outer = decrypt(MASTER_KEY, data[off : off + SECTOR_SIZE])
            out.append(ProtectedBlock.parse(outer, offset=off, base=base))
        except ObkImgError as e:
            problems.append(Problem("warning", f"protected block unreadable: {e.message}", off, FMT))
    return out


def _cross_check(entries: list[Entry], protected: list[ProtectedBlock], problems: list[Problem]) -> None:
    """Compare the protected block's records with the KV values (spec A12.7: KV is preferred)."""
    kv = {e.name: e.value for e in entries}
    for pb in protected:
        for r in pb.records:
            if r.name not in kv:
                problems.append(
                    Problem(
                        "warning",
                        f"protected block holds {r.name!r}, which the KV storage "
                        "lacks; the protected copy is used",
                        pb.offset,
                        FMT,
                    )
                )
            elif kv[r.name] != r.value:
                problems.append(
                    Problem(
                        "warning",
                        f"protected copy of {r.name!r} differs from the KV value (the KV value is used)",
                        pb.offset,
                        FMT,
                    )
                )


# --------------------------------------------------------------------------------------------------
# value encodings (spec A6 "value bytes", A8, A9)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-standard JSON constant {name}")


def decode_value(name: str, raw: bytes) -> tuple[Any, str]:
    """Decode one raw value: strip trailing NULs, then JSON, UPK pseudo-JSON, text, else bytes.

    Returns ``(value, encoding)`` with encoding one of ``json``, ``upk``, ``text``, ``bytes``. A value with
    more than :data:`MAX_JSON_CONTAINERS` ``{`` and ``[`` is not decoded (kept as text).
    """
    stripped = raw.rstrip(b"\x00")
    try:
        text = stripped.decode("utf-8")
    except UnicodeDecodeError:
        return stripped, "bytes"
    if _CONTROL.search(text):
        return stripped, "bytes"
    if text.count("{") + text.count("[") > MAX_JSON_CONTAINERS:
        return text, "text"  # decoding would cost far more than the value's bytes
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        pass
    else:
        if nesting_depth(value) <= MAX_DEPTH:
            return value, "json"
        return text, "text"  # valid JSON, but nested deeper than any real value: kept as its text
    if name == "user_param_key":
        try:
            return parse_upk(text), "upk"
        except FormatError:
            pass
    return text, "text"


_UPK_TOKEN = re.compile(r"[^{}\[\]:,]+")
_UPK_INT = re.compile(r'"([1-9][0-9]*|0)"')


def parse_upk(text: str) -> dict[str, Any]:
    """Parse Tuya's unquoted pseudo-JSON ``{Jsonver:1.1.0,module:CB2S,rl1_pin:6,crc:42,}`` (spec A9).

    Every run of characters other than ``{}[]:,`` is quoted, decimal integers without a leading
    zero are unquoted again, and ``,}`` becomes ``}``; the result must be a JSON object.
    """
    s = _UPK_TOKEN.sub(lambda m: json.dumps(m.group(0)), text.strip())
    s = _UPK_INT.sub(r"\1", s)
    s = s.replace(",}", "}").replace("{,", "{")
    try:
        obj = json.loads(s)
    except (ValueError, RecursionError) as e:
        raise FormatError(
            f"user_param_key is not Tuya pseudo-JSON: {e}", fmt=FMT, path="user_param_key"
        ) from e
    if not isinstance(obj, dict):
        raise FormatError("user_param_key is not an object", fmt=FMT, path="user_param_key")
    if nesting_depth(obj) > MAX_DEPTH:
        raise FormatError(
            f"user_param_key nests more than {MAX_DEPTH} levels deep", fmt=FMT, path="user_param_key"
        )
    return obj


_OLD_UPK_RENAMES = (
    ("dltj_ct", "chip_type"),
    ("dltj_ivcpin_pin", "sel_pin_pin"),
    ("dltj_ivcpin_lv", "sel_pin_lv"),
    ("dltj_ivpin_pin", "vi_pin"),
    ("dltj_epin_pin", "ele_pin"),
    ("dltj_ri", "resistor"),
    ("net_wfst", "netled"),
)


def flatten_upk(upk: dict[str, Any]) -> dict[str, Any]:
    """The flat UPK: a new-style UPK as is, the old nested format (``{"sw": {...}}``) flattened.

    Old format (upk2esphome ``oldfmt.py``): nested keys joined with ``_``, ``sw_`` and ``_value``
    dropped, ``ch_<n>_bt``/``ch_<n>_rl`` renamed ``bt<n+1>``/``rl<n+1>``, ``net_wfst`` to ``netled``,
    BL0937 ``dltj_*`` pins to their new names, ``true``/``false`` to 1/0.
    """
    if not isinstance(upk.get("sw"), dict):
        return dict(upk)
    flat: dict[str, Any] = {}

    def walk(prefix: str, v: Any) -> None:
        if isinstance(v, dict):
            for k, sub in v.items():
                walk(f"{prefix}_{k}" if prefix else str(k), sub)
        elif isinstance(v, list):
            for i, sub in enumerate(v):
                walk(f"{prefix}_{i}" if prefix else str(i), sub)
        else:
            flat[prefix] = v

    walk("", upk)
    out: dict[str, Any] = {}
    for k, v in flat.items():
        if k.startswith("sw_"):
            k = k[3:]
        if k.endswith("_value"):
            k = k[:-6]
        m = re.match(r"ch_(\d+)_(bt|rl)(_.*)?$", k)
        if m:
            k = f"{m.group(2)}{int(m.group(1)) + 1}{m.group(3) or ''}"
        for old, new in _OLD_UPK_RENAMES:
            if k == old or k.startswith(old + "_"):
                k = new + k[len(old) :]
                break
        if v is True or v == "true":
            v = 1
        elif v is False or v == "false":
            v = 0
        out[k] = v
    return dict(sorted(out.items()))


# --------------------------------------------------------------------------------------------------
# Image model, detect, load

FORMAT = FormatInfo(
    id=FMT,
    name="Tuya KV storage",
    family="tuya",
    description="Encrypted key-value storage of stock Tuya firmware (Wi-Fi, uuid/auth key, local key, "
    "pin map): a full dump, a region read or a bare storage, at any offset.",
    references=(
        "tuya-cloudcutter/bk7231tools bk7231tools/analysis/kvstorage.py",
        "openshwprojects/BK7231GUIFlashTool BK7231Flasher/Utils/TuyaConfig.cs",
    ),
    limitations=(
        "a storage whose key block and protected block are both lost cannot be decrypted",
        "the UPK compiled into old application images is not searched",
        "BL602 Tuya storage (location, base key) is unknown",
    ),
)


@dataclass(frozen=True, slots=True)
class TuyaKVImage(Image):
    """A file whose content is (mainly) a Tuya KV storage: a region read, a reduced golden dump..."""

    keys: TuyaKeys
    file_size: int
    container: str = "raw"
    kind: str = field(default=FMT, init=False)

    @property
    def chip(self) -> str | None:
        return self.keys.chip

    @property
    def chip_candidates(self) -> list[str]:
        return self.keys.chip_candidates

    @property
    def size(self) -> int:
        return self.file_size

    def regions(self) -> list[Region]:
        st = self.keys.storage
        out = []
        bad = set(st.bad_offsets)
        live = {b.offset for b in st.live}
        for off in st.location.protected_offsets:
            out.append(Region("tuya-protected", off, SECTOR_SIZE, "tuya-kv", "valid"))
        if not st.location.key_from_protected:
            out.append(Region("tuya-kv-key", st.location.key_offset, SECTOR_SIZE, "tuya-kv", "valid"))
        for b in st.blocks:
            out.append(
                Region(
                    f"tuya-kv-block-{b.block_id}" + ("" if b.offset in live else "-old"),
                    b.offset,
                    SECTOR_SIZE,
                    "tuya-kv",
                    "valid",
                    detail={"block_id": b.block_id, "generation": b.generation, "live": b.offset in live},
                )
            )
        for off in bad:
            out.append(
                Region(
                    "tuya-kv-bad-block",
                    off,
                    SECTOR_SIZE,
                    "tuya-kv",
                    "bad-crc",
                    (Problem("warning", "data block with a bad checksum", off, FMT),),
                )
            )
        return sorted(out, key=lambda r: r.offset)

    def problems(self) -> list[Problem]:
        return list(self.keys.problems)

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        st = self.keys.storage
        loc = st.location
        return {
            "key_offset": loc.key_offset,
            "key_variant": loc.key_variant,
            "data_magic": loc.data_magic,
            "phase": loc.phase,
            "protected_offsets": list(loc.protected_offsets),
            "live_blocks": len(st.live),
            "older_copies": len(st.blocks) - len(st.live),
            "bad_blocks": list(st.bad_offsets),
            "keys": list(self.keys.values),
            "summary": self.keys.summary(show_secrets=show_secrets),
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        # the Wi-Fi / key summary is printed by `obkimg info` itself (obkimg.configs); only the layout here
        st = self.keys.storage
        loc = st.location
        return [
            f"tuya storage: key block at {loc.key_offset:#x} ({loc.key_variant or 'no data key'}), "
            f"{len(st.live)} live blocks + {len(st.blocks) - len(st.live)} older copies, "
            f"{len(st.entries)} keys"
        ]


def detect(data: bytes) -> Detection | None:
    """A Tuya storage found in a file that holds little else (region read, bare or reduced dump)."""
    try:
        if len(data) < 2 * SECTOR_SIZE:
            return None
        found = _locate(bytes(data))
        if not found:
            return None
        loc = found[0]
        if not loc.block_offsets:
            return None
        outside = data[: min((loc.start, *loc.protected_offsets))] + data[loc.end :]
        alone = outside.count(0xFF) == len(outside)
        small = len(data) <= 0x40000
        conf = 90 if (alone or small) else 30
        why = (
            "only a Tuya KV storage"
            if alone
            else ("a Tuya KV region read" if small else "contains a Tuya KV storage")
        )
        return Detection(
            FMT,
            conf,
            f"{why}: key block at {loc.key_offset:#x}, {len(loc.block_offsets)} data "
            f"blocks ({loc.key_variant})",
            None,
            loc.start,
            loc.end - loc.start,
        )
    except Exception:  # noqa: BLE001 - a probe never raises
        return None


def load(source: Source) -> TuyaKVImage:
    """A :class:`TuyaKVImage` read by :func:`obkimg.tuya.extract_keys`; raises what it raises
    (:class:`~obkimg.errors.NotFoundError` when the input holds no storage)."""
    from ...tuya import extract_keys

    keys = extract_keys(source)
    return TuyaKVImage(keys, len(source.data), source.container)
