"""Tuya KV storage ("simple flash", "vault"): the encrypted key-value area of stock Tuya firmware.

Stock Tuya firmware keeps its configuration (Wi-Fi credentials, uuid / auth key / psk, device id,
local key, the ``user_param_key`` pin map, cloud URLs...) in a small AES-128-ECB encrypted
key-value store near the end of the flash. This module holds the on-flash structures (one construct
declaration each), their typed models, the key derivation and the value encodings (JSON, Tuya
pseudo-JSON UPK). Finding a storage in a dump, choosing the live blocks,
reassembling values and building a fresh storage is the workflow :mod:`obkimg.tuya_storage`; the
convenience fields and the ``tuya-keys`` document are :mod:`obkimg.tuya`.

Sources: tuya-cloudcutter/bk7231tools
``bk7231tools/analysis/kvstorage.py`` (field names ``IndexPage``/``DataBlock``/``ProtectedBlock``);
openshwprojects/BK7231GUIFlashTool ``BK7231Flasher/Utils/TuyaConfig.cs`` (base-key candidates,
``KEY_NULL``, the 0x135726AB page magic); tuya SDK ``tuya_os_adapter.h`` (``UNI_STORAGE_DESC_S``).

Layout on BK7231T/N, 2 MiB flash (other chips: same structure at another offset, see
:data:`obkimg.tuya_storage.USUAL_KEY_OFFSETS`; never hard-coded, always searched)::

    0x1ED000  0x1000  protected block (KV_PROTECTED_ENABLE firmwares; some keep a copy at 0x1CF000)
    0x1EE000  0x1000  key block        master-key encrypted: magic, sum32(key), device key K
    0x1EF000  0xE000  data blocks 0..13, data-key encrypted, 32 pages x 128 bytes each
    0x1FD000  0x3000  swap blocks      older copies of any data block (the highest generation wins)

The schemas, top-down like spec tables A4-A7 (all plaintext; the AES layer is :func:`encrypted_sector`
with the key as the ``key`` parse/build keyword, spec A3: master key ``qwertyuiopasdfgh`` for the key and
protected blocks, data key ``D[i] = base[i&3] + "HHRRQbyemofrtytf"[i] + K[i]`` for the data blocks)::

    KEY_BLOCK        +0 u32 magic 0x13579753  +4 u32 sum32(device key)  +8 16 device key K  +24 fill 0xFF
    DATA_BLOCK       +0 u32 magic 0x98761234 (or 0x135726AB, "TuyaOS 3")  +4 u32 sum32(bytes 8..4095)
                     +8 u16 block_id  +10 u32 generation  +14 u8 map_size  +15 bitmap (bit p: page p is an
                     index page), fill to 128; then 31 pages of 128 bytes
    INDEX_PAGE       +0 u32 sum32(value) +4 u32 length +8 u16 block_id +10 u8 page_id +11 u16 part_count
                     +13 u32 element +17 u8 name_len +18 name\\0, part_count x PART, fill to 128
    PART             u16 block_id, u8 first_page, u8 last_page (inclusive)
    PROTECTED_BLOCK  +0 u32 magic 0x13579753  +4 u32 sum32(bytes 8..4095, after the outer layer only)
                     +8 16 key  +24 u32 data_length  +28 u32 reserved  +32 inner area (data key):
    PROTECTED_DATA   records ``u32 len, char[32] name, value`` (PROTECTED_RECORD) for data_length bytes,
                     then 0xFF fill

Sums *before* their data are ``Rebuild`` on build plus a ``checksum_ok`` field that
:func:`~obkimg._construct.StrictCheck` enforces on strict parses; the models parse leniently and raise
:class:`~obkimg.errors.ChecksumError` themselves, naming the field and its offset.

Seen in the real dumps beyond the spec: 16 block ids (0..15) in any order over all 17 sectors, with
no fixed swap area, on newer BK7231N firmwares (TuyaOS 3.x) and on BK7252U (whose area spans 24
sectors); the physical position is never the block id. Also a second protected copy at 0x1CF000 on five
BK7231N firmwares, protected ``reserved`` words other than 0xFFFFFFFF, and protected records other
than gw_bi / gw_wsm (``rcs.active``, ``kv.ccode.avtive``).

Limitations: the 0x135726AB generation of the format is read with the same layout (the BK7238
golden case confirms it); a storage whose key block *and* protected block are both lost cannot
be decrypted; the app-image UPK search of bk7231tools is out of scope.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import field
from typing import Any

import construct as c

from ..._construct import CStr, CString0, StrictCheck, build_with, offset_of, parse_with
from ..._record import dataclass
from ...codecs.aes import ecb_decrypt, ecb_encrypt
from ...codecs.checksums import sum32
from ...errors import BuildError, ChecksumError, FormatError, MagicError
from ...model import MAX_DEPTH, nesting_depth
from .. import FormatInfo

__all__ = [
    "FMT",
    "FORMAT",
    "MASTER_KEY",
    "SECTOR_SIZE",
    "PAGE_SIZE",
    "PAGES",
    "KEY_MAGIC",
    "DATA_MAGIC",
    "DATA_MAGIC_OS3",
    "DATA_MAGICS",
    "SEARCH_MAGIC",
    "BASE_KEYS",
    "KEY_BLOCK",
    "DATA_BLOCK",
    "PART",
    "INDEX_PAGE",
    "PROTECTED_BLOCK",
    "PROTECTED_RECORD",
    "PROTECTED_DATA",
    "KEY_SECTOR",
    "DATA_SECTOR",
    "PROTECTED_SECTOR",
    "encrypted_sector",
    "offset_of",
    "KeyBlock",
    "Part",
    "IndexEntry",
    "DataBlock",
    "ProtectedRecord",
    "ProtectedBlock",
    "derive_data_key",
    "decrypt",
    "encrypt",
    "decode_value",
    "parse_upk",
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
#: AES-128-ECB(master key, 16 x 0xFF): every cipher block of a key block from +0x20 on
SEARCH_MAGIC = bytes.fromhex("46dced0e672f3b70ae1276a3f8712e03")
#: at most this many JSON objects/arrays are decoded in one value (real values hold a few hundred);
#: a value with more is kept as text, so decoding costs a bounded multiple of the value's bytes
MAX_JSON_CONTAINERS = 4096
#: second part of the data-key derivation (``KEY_PART_2``)
KEY_PART_2 = b"HHRRQbyemofrtytf"

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

# --------------------------------------------------------------------------------------------------
# crypto (AES-128-ECB is the codec obkimg.codecs.aes; the key derivation is spec A3)


def decrypt(key: bytes, data: bytes) -> bytes:
    """AES-128-ECB decrypt (no padding; ``len(data)`` must be a multiple of 16)."""
    return ecb_decrypt(key, data, fmt=FMT)


def encrypt(key: bytes, data: bytes) -> bytes:
    """AES-128-ECB encrypt (no padding)."""
    return ecb_encrypt(key, data, fmt=FMT)


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


class _AesEcb(c.Tunnel):  # type: ignore[type-arg]
    """An AES-128-ECB layer over ``subcon``; the key comes from the parse/build keyword ``key``."""

    def _decode(self, data: bytes, context: Any, path: str) -> bytes:
        return decrypt(context._params.key, data)

    def _encode(self, data: bytes, context: Any, path: str) -> bytes:
        return encrypt(context._params.key, data)


def encrypted_sector(plain: c.Construct[Any, Any], size: int = SECTOR_SIZE) -> c.Construct[Any, Any]:
    """``plain`` as stored: ``size`` bytes encrypted with the ``key`` keyword
    (``parse_with(KEY_SECTOR, FMT, sector, key=MASTER_KEY)``): schemas hold no keys (S5)."""
    return c.FixedSized(size, _AesEcb(plain))


def _raw(sub: c.Construct[Any, Any]) -> Callable[[Any], int]:
    """sum32 of the RawCopy ``body`` that follows the checksum: its bytes when parsed, built from its
    value when building (the sum is stored before its data, so it is rebuilt)."""

    def total(ctx: Any) -> int:
        data = ctx.body.get("data")
        return sum32(data if data is not None else sub.build(ctx.body["value"]))

    return total


class _Fn(c.Computed):  # type: ignore[type-arg]
    """``Computed`` by a Python function: a compiled schema calls it as is (construct cannot emit it)."""

    def _emitparse(self, code: Any) -> str:
        raise NotImplementedError

    def _emitbuild(self, code: Any) -> str:
        raise NotImplementedError


class _Fast(c.Subconstruct):  # type: ignore[type-arg]
    """Parses with the compiled form of ``subcon`` once compiling pays; building stays interpreted.

    Compiling costs more than one storage's parses save (measured on CPython 3.11: a data block body
    1.6 ms to compile, then 19 us a parse instead of 50 us; an index page 2.1 ms, then 13 us instead
    of 78 us), so the first ``after`` parses of a process run interpreted (one ``tuya-keys`` reads
    about 17 blocks and 25 index pages) and the compiled form takes over from there (``scan``,
    benchmarks). The outcome is the compiled form's in every case: an interpreted parse that
    succeeds gives the same value (tests/tuya/test_compile_on_use.py), and one that fails is parsed again
    compiled, whose error (or value) is the answer, so errors never depend on what a process parsed
    before.
    """

    def __init__(self, subcon: c.Construct[Any, Any], after: int) -> None:
        super().__init__(subcon)
        self.fast: Any = None
        #: interpreted parses left before compiling
        self.after = after

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        if self.fast is None and self.after > 0:
            self.after -= 1
            start = stream.tell()
            try:
                return self.subcon._parse(stream, context, path)
            except Exception:  # noqa: BLE001 - the compiled form's outcome is the answer
                stream.seek(start)
        if self.fast is None:
            self.fast = self.subcon.compile()
        return self.fast._parse(stream, context, path)


def _sum_ok(ctx: Any) -> bool:
    return bool(ctx.checksum == sum32(ctx.body.data))


# --------------------------------------------------------------------------------------------------
# schemas (plaintext, after decryption)

KEY_BLOCK = c.Struct(  # spec A4
    "magic" / c.Const(KEY_MAGIC, c.Int32ul),
    "checksum" / c.Rebuild(c.Int32ul, lambda ctx: sum32(ctx.device_key)),  # sum32 of the 16 key bytes
    "device_key" / c.Bytes(16),  # K
    "fill" / c.Default(c.Bytes(SECTOR_SIZE - 24), b"\xff" * (SECTOR_SIZE - 24)),
    "checksum_ok" / c.Computed(lambda ctx: ctx.checksum == sum32(ctx.device_key)),
    StrictCheck(c.this.checksum_ok),
)

#: bytes of a data block's page 0 before the bitmap: magic, checksum, block_id, generation, map_size
#: (equal to the offsets the schemas give: tests/layouts/test_tuya_kv.py)
PAGE0_HEAD = 4 + 4 + 2 + 4 + 1

DATA_BODY = c.Struct(  # bytes 8..4095 of a data block: what its checksum covers
    "block_id" / c.Int16ul,  # logical id, not the position
    "generation" / c.Int32ul,  # bk7231tools: "unknown"; +1 per rewrite
    "map_size" / c.Rebuild(c.Int8ul, c.len_(c.this.bitmap)),  # always 4
    "bitmap" / c.Bytes(c.this.map_size),  # bit p set: page p is an index page
    "header_fill" / c.Bytes(PAGE_SIZE - PAGE0_HEAD - c.this.map_size),  # 0xFF to the end of page 0
    "pages" / c.Array(PAGES - 1, c.Bytes(PAGE_SIZE)),  # pages 1..31: index, value, stale or free
)

DATA_BLOCK = c.Struct(  # spec A5
    "magic" / c.Enum(c.Int32ul, DATA_MAGIC=DATA_MAGIC, DATA_MAGIC_OS3=DATA_MAGIC_OS3),
    "checksum" / c.Rebuild(c.Int32ul, _raw(DATA_BODY)),  # sum32 of bytes 8..4095
    "body" / c.RawCopy(_Fast(DATA_BODY, after=48)),
    "checksum_ok" / c.Computed(_sum_ok),
    StrictCheck(c.this.checksum_ok),
)

PART = c.Struct(
    "block_id" / c.Int16ul,
    "first_page" / c.Int8ul,
    "last_page" / c.Int8ul,  # inclusive
)


def _part_records(ctx: Any) -> int:
    """Number of PART records: ``part_count``, or part_count / 4 when only the byte-count form the GUI
    flash tool accepts fits the page."""
    count, name_len = ctx.part_count, ctx.name_len
    if ctx.header_end + 4 * count > PAGE_SIZE:
        if count % 4 or ctx.header_end + count > PAGE_SIZE:
            raise c.ExplicitError(
                f"index page does not fit 128 bytes (name_len {name_len}, part_count {count})"
            )
        count //= 4
    if name_len == 0:
        raise c.ExplicitError("index page has an empty name")
    return int(count)


INDEX_PAGE = c.FixedSized(  # spec A6
    PAGE_SIZE,
    _Fast(
        c.Struct(
            "checksum" / c.Int32ul,  # sum32 of the value's `length` bytes ("crc")
            "length" / c.Int32ul,
            "block_id" / c.Int16ul,  # the containing block's id
            "page_id" / c.Int8ul,  # the page's own index 1..31
            "part_count" / c.Int16ul,  # "parts_size": records (or, GUI form, bytes)
            "element" / c.Int32ul,  # meaning unknown, not monotonic
            "name_len" / c.Rebuild(c.Int8ul, c.len_(c.this.name)),  # includes the NUL
            "name" / c.Bytes(c.this.name_len),
            "header_end" / c.Tell,
            "part_records" / _Fn(_part_records),
            "parts" / c.Array(c.this.part_records, PART),
            "fill" / c.GreedyBytes,  # 0xFF (or stale bytes) to the end of the page
        ),
        after=32,
    ),
)

PROTECTED_BODY = c.Struct(  # bytes 8..4095 of the protected block, after the outer layer
    "device_key" / c.Bytes(16),
    "data_length" / c.Int32ul,  # bytes of records
    "reserved" / c.Int32ul,  # spec: 0xFFFFFFFF; small counters seen in real dumps
    "inner" / c.Bytes(SECTOR_SIZE - 32),  # PROTECTED_DATA, encrypted with the data key
)

PROTECTED_BLOCK = c.Struct(  # spec A7
    "magic" / c.Const(KEY_MAGIC, c.Int32ul),
    "checksum" / c.Rebuild(c.Int32ul, _raw(PROTECTED_BODY)),  # sum32 of bytes 8..4095
    "body" / c.RawCopy(PROTECTED_BODY),
    "checksum_ok" / c.Computed(_sum_ok),
    StrictCheck(c.this.checksum_ok),
)

PROTECTED_RECORD = c.Struct(  # sf_protected_data_s
    "length" / c.Rebuild(c.Int32ul, c.len_(c.this.value)),
    "name" / CString0(32, "latin-1"),  # NUL-padded
    "value" / c.Bytes(c.this.length),
)


#: bytes of a protected record before its value
RECORD_HEAD = offset_of(PROTECTED_RECORD, "value")


def _records_done(obj: Any, records: list[Any], ctx: Any) -> bool:
    return bool(sum(RECORD_HEAD + len(r.value) for r in records) >= ctx._params.data_length)


#: the inner area of the protected block: ``data_length`` (parse/build keyword) bytes of records, then
#: fill; encrypted with the ``key`` keyword (the data key of the block's own device key)
PROTECTED_DATA = encrypted_sector(
    c.Struct(
        "records"
        / c.FixedSized(
            c.this._params.data_length,
            c.If(c.this._params.data_length > 0, c.RepeatUntil(_records_done, PROTECTED_RECORD)),
        ),
        "tail" / c.GreedyBytes,  # 0xFF
    ),
    SECTOR_SIZE - 32,
)

#: the sectors as stored (``key`` keyword: MASTER_KEY for key and protected blocks, the data key else)
KEY_SECTOR = encrypted_sector(KEY_BLOCK)
DATA_SECTOR = encrypted_sector(DATA_BLOCK)
PROTECTED_SECTOR = encrypted_sector(PROTECTED_BLOCK)


#: bytes of an index page before the name
_INDEX_HEAD = offset_of(INDEX_PAGE.subcon.subcon, "name")  # type: ignore[attr-defined]


def _enum_int(value: Any) -> int:
    """The integer of a parsed ``Enum`` field (a named or an unnamed value)."""
    return int(getattr(value, "int", value))


# --------------------------------------------------------------------------------------------------
# models


@dataclass(frozen=True, slots=True)
class KeyBlock:
    """The key block: holds the device key K (plaintext model; :meth:`encrypt` gives the sector)."""

    offset: int
    device_key: bytes = field(repr=False)
    fill: bytes = field(default=b"\xff" * (SECTOR_SIZE - 24), repr=False)

    @classmethod
    def parse(cls, plain: bytes, *, offset: int = 0, strict: bool = True) -> KeyBlock:
        """Parse a decrypted key block (4096 bytes of plaintext); ``offset`` is its file offset, for errors.

        Raises :class:`~obkimg.errors.MagicError` when the magic is not 0x13579753,
        :class:`~obkimg.errors.TruncatedError` for a short block and, unless ``strict`` is false,
        :class:`~obkimg.errors.ChecksumError` when the stored sum32 does not match the device key.
        """
        c_ = parse_with(KEY_BLOCK, FMT, plain, base=offset, strict=False)
        if strict and not c_.checksum_ok:
            raise ChecksumError(
                FMT,
                "key block checksum (sum32 of the device key)",
                c_.checksum,
                sum32(c_.device_key),
                offset=offset + offset_of(KEY_BLOCK, "checksum"),
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
        and a 4072-byte fill)."""
        return build_with(KEY_BLOCK, FMT, {"device_key": self.device_key, "fill": self.fill})

    def encrypt(self) -> bytes:
        """The sector as stored: :meth:`build` encrypted with :data:`MASTER_KEY` (AES-128-ECB)."""
        return build_with(KEY_SECTOR, FMT, {"device_key": self.device_key, "fill": self.fill}, key=MASTER_KEY)


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
        kept in ``part_count``. Raises :class:`~obkimg.errors.FormatError` when its name is empty or its
        parts do not fit 128 bytes, and :class:`~obkimg.errors.TruncatedError` when the page is shorter
        than 128 bytes.
        """
        c_ = parse_with(INDEX_PAGE, FMT, page[:PAGE_SIZE], base=offset)
        return cls(
            c_.checksum,
            c_.length,
            c_.block_id,
            c_.page_id,
            c_.element,
            bytes(c_.name),
            tuple(Part(p.block_id, p.first_page, p.last_page) for p in c_.parts),
            bytes(c_.fill),
            None if c_.part_count == c_.part_records else c_.part_count,
        )

    def build(self) -> bytes:
        """The 128-byte page: header (``part_count`` as stored), name, parts, then the kept fill (0xFF
        when it would not make exactly 128 bytes).

        Raises :class:`~obkimg.errors.BuildError` when header, name and parts need more than 128 bytes.
        """
        count = len(self.parts) if self.part_count is None else self.part_count
        used = _INDEX_HEAD + len(self.name_raw) + 4 * len(self.parts)
        if used > PAGE_SIZE:
            raise BuildError(
                f"index page for {self.name!r} needs {used} bytes, more than {PAGE_SIZE}",
                fmt=FMT,
                path="index",
            )
        obj = {
            "checksum": self.checksum,
            "length": self.length,
            "block_id": self.block_id,
            "page_id": self.page_id,
            "part_count": count,
            "element": self.element,
            "name": self.name_raw,
            "parts": [p.to_dict() for p in self.parts],
            "fill": self.fill if used + len(self.fill) == PAGE_SIZE else b"\xff" * (PAGE_SIZE - used),
        }
        return build_with(INDEX_PAGE, FMT, obj)


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
        bm = self.bitmap
        return [p for p in range(1, min(PAGES, 8 * len(bm))) if bm[p >> 3] >> (p & 7) & 1]

    def page(self, n: int) -> bytes:
        """Raw page ``n`` (1..31)."""
        return self.pages[n - 1]

    @classmethod
    def parse(cls, plain: bytes, *, offset: int = 0, strict: bool = True) -> DataBlock:
        """Parse a decrypted data or swap block (4096 bytes of plaintext); ``offset`` is its file offset.

        Raises :class:`~obkimg.errors.TruncatedError` for fewer than 4096 bytes and, unless ``strict`` is
        false, :class:`~obkimg.errors.MagicError` when the magic is neither 0x98761234 nor 0x135726AB and
        :class:`~obkimg.errors.ChecksumError` when the stored sum32 of bytes 8..4095 is wrong.
        """
        c_ = parse_with(DATA_BLOCK, FMT, plain, base=offset, strict=False)
        magic = _enum_int(c_.magic)
        if strict and magic not in DATA_MAGICS:
            found = magic.to_bytes(4, "little")
            raise MagicError(
                FMT, DATA_MAGIC.to_bytes(4, "little"), found, offset=offset, path="data_block.magic"
            )
        if strict and not c_.checksum_ok:
            raise ChecksumError(
                FMT,
                "data block checksum (sum32 of bytes 8..4095)",
                c_.checksum,
                sum32(c_.body.data),
                offset=offset + offset_of(DATA_BLOCK, "checksum"),
                path="data_block.checksum",
            )
        b = c_.body.value
        return cls(
            offset,
            b.block_id,
            b.generation,
            bytes(b.bitmap),
            tuple(b.pages),
            bytes(b.header_fill),
            magic,
        )

    def _obj(self) -> dict[str, Any]:
        if len(self.pages) != PAGES - 1 or any(len(p) != PAGE_SIZE for p in self.pages):
            raise BuildError(
                f"data block {self.block_id} needs {PAGES - 1} pages of {PAGE_SIZE} bytes",
                fmt=FMT,
                path="data_block",
            )
        need = PAGE_SIZE - PAGE0_HEAD - len(self.bitmap)
        fill = self.header_fill if len(self.header_fill) == need else b"\xff" * max(0, need)
        body = {
            "block_id": self.block_id,
            "generation": self.generation,
            "bitmap": self.bitmap,
            "header_fill": fill,
            "pages": list(self.pages),
        }
        return {"magic": self.magic, "body": {"value": body}}

    def build(self) -> bytes:
        """The plaintext sector; the checksum is recomputed.

        Raises :class:`~obkimg.errors.BuildError` when the pages do not make exactly 4096 bytes."""
        return build_with(DATA_BLOCK, FMT, self._obj())

    def encrypt(self, data_key: bytes) -> bytes:
        """The sector as stored: :meth:`build` encrypted with ``data_key`` (AES-128-ECB,
        :func:`derive_data_key`)."""
        return build_with(DATA_SECTOR, FMT, self._obj(), key=data_key)


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
        """Parse the plaintext after the *outer* (master-key) layer; the inner layer is decrypted here
        with the data key of the block's own device key and ``base``.

        Raises :class:`~obkimg.errors.ChecksumError` when the sum32 of bytes 8..4095 does not match and
        :class:`~obkimg.errors.FormatError` when the records do not fill ``data_length`` exactly.
        """
        h = parse_with(PROTECTED_BLOCK, FMT, outer[:SECTOR_SIZE], base=offset, strict=False)
        if not h.checksum_ok:
            raise ChecksumError(
                FMT,
                "protected block checksum (sum32 of bytes 8..4095)",
                h.checksum,
                sum32(h.body.data),
                offset=offset + offset_of(PROTECTED_BLOCK, "checksum"),
                path="protected.checksum",
            )
        b = h.body.value
        if b.data_length > SECTOR_SIZE - 32:
            raise FormatError(
                f"protected data_length {b.data_length} exceeds the block",
                fmt=FMT,
                offset=offset + offset_of(PROTECTED_BLOCK, "body") + offset_of(PROTECTED_BODY, "data_length"),
                path="protected.data_length",
            )
        key = derive_data_key(bytes(b.device_key), base)
        inner = parse_with(PROTECTED_DATA, FMT, b.inner, base=offset + 32, key=key, data_length=b.data_length)
        records = tuple(ProtectedRecord(str(r.name), bytes(r.value), r.name.raw) for r in inner.records or ())
        return cls(offset, bytes(b.device_key), b.data_length, b.reserved, records, bytes(inner.tail))

    def _obj(self, base: bytes) -> dict[str, Any]:
        records = [
            {"name": CStr(r.name, r.name_raw) if len(r.name_raw) == 32 else r.name, "value": r.value}
            for r in self.records
        ]
        size = sum(RECORD_HEAD + len(r.value) for r in self.records)
        free = SECTOR_SIZE - 32 - size
        if free < 0:
            raise BuildError("protected records do not fit one sector", fmt=FMT, path="protected")
        tail = self.inner_tail if len(self.inner_tail) == free else b"\xff" * free
        inner = build_with(
            PROTECTED_DATA,
            FMT,
            {"records": records or None, "tail": tail},
            key=derive_data_key(self.device_key, base),
            data_length=size,
        )
        body = {
            "device_key": self.device_key,
            "data_length": self.data_length,
            "reserved": self.reserved,
            "inner": inner,
        }
        return {"body": {"value": body}}

    def build(self, base: bytes = BASE_KEYS[0][1]) -> bytes:
        """The plaintext after the outer layer (inner area encrypted with the data key)."""
        return build_with(PROTECTED_BLOCK, FMT, self._obj(base))

    def encrypt(self, base: bytes = BASE_KEYS[0][1]) -> bytes:
        """The sector as stored: :meth:`build` (inner area under the data key derived with ``base``),
        encrypted again with :data:`MASTER_KEY`."""
        return build_with(PROTECTED_SECTOR, FMT, self._obj(base), key=MASTER_KEY)


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
