"""BK7231 FAL partition table: the "01PE" entries at the end of the bootloader image.

Purpose: parse and build the RT-Thread FAL (Flash Abstraction Layer) partition table that Beken
bootloaders carry in plaintext in their last 0xC0 bytes, and find it inside a (CRC-stripped)
bootloader. It says where the bootloader, app and download partitions are; ``beken_onchip_crc``
partitions are CRC-framed and addressed logically (physical = logical × 34 / 32).

Source: RT-Thread FAL ``struct fal_partition`` (``magic_word`` 0x45503130, ``name[FAL_DEV_NAME_MAX]``,
``flash_name[FAL_DEV_NAME_MAX]``, ``offset``, ``len``, ``reserved``) as used by the Beken bootloader;
libretiny-eu/libretiny bootloader-dump test program; checked against the Tuya SDK bootloaders
(tuya-iotos-embeded-sdk-wifi-ble-bk7231n/t) and 2 MiB dumps.

Entry layout (64 bytes, little endian)::

    off  size  field       notes
    0x00    4  magic       b"01PE" (u32 0x45503130)
    0x04   24  name        "bootloader", "app", "download"; NUL padded (garbage after the NUL kept)
    0x1C   24  flash_name  "beken_onchip_crc" (CRC-framed, logical addresses) or "beken_onchip"
    0x34    4  offset      partition start (logical for *_crc flashes)
    0x38    4  length      partition length
    0x3C    4  reserved    0 in Tuya bootloaders, non-zero in some OpenBeken ones (kept as is)

Observed tables: N Tuya ``bootloader 0x0+0x10000, app 0x10000+0x108700, download 0x12A000+0xA6000``;
T Tuya ``... download 0x132000+0xA6000``; zero-key N (reversed order) ``download 0x132000+0xAE000, app
0x10000+0x110000, bootloader 0x0+0x10000``.

Declared once as :data:`FAL_ENTRY` (one ``struct fal_partition``) and :data:`FAL_TABLE` (a run of them).

Limitations: only contiguous runs of entries are read (a table split by garbage is read up to the
first non-entry); at most 16 entries; names are at most 23 bytes (C strings keep their NUL).
"""

from __future__ import annotations

from dataclasses import field
from typing import Any

from construct import Const, GreedyRange, Int32ul, Struct

from ..._construct import CString0, build_with, offset_of, parse_with
from ..._record import dataclass
from ...codecs import crcframe
from ...errors import BuildError, FormatError, MagicError, TruncatedError

__all__ = [
    "FMT",
    "FAL_MAGIC",
    "FAL_ENTRY_SIZE",
    "FAL_ENTRY",
    "FAL_TABLE",
    "FalEntry",
    "FalTable",
    "find_fal",
]

FMT = "bk7231-fal"
FAL_MAGIC = b"01PE"
FAL_ENTRY_SIZE = 64
MAX_ENTRIES = 16

#: ``struct fal_partition``
FAL_ENTRY = Struct(
    "magic" / Const(FAL_MAGIC),  # magic_word 0x45503130
    "name" / CString0(24, "latin-1"),  # name[FAL_DEV_NAME_MAX]
    "flash_name" / CString0(24, "latin-1"),  # flash_name[FAL_DEV_NAME_MAX]
    "offset" / Int32ul,
    "length" / Int32ul,  # len
    "reserved" / Int32ul,
)

#: the table: consecutive entries, up to the first bytes that are not one (no count is stored)
FAL_TABLE = GreedyRange(FAL_ENTRY)

_NAMES = ("name", "flash_name")


@dataclass(frozen=True, slots=True)
class FalEntry:
    """One FAL partition."""

    name: str
    flash_name: str
    offset: int
    length: int
    reserved: int = 0
    #: the parsed 64 bytes (garbage after the NULs survives a rebuild)
    raw: bytes | None = field(default=None, repr=False, compare=False)

    @property
    def crc_framed(self) -> bool:
        """``beken_onchip_crc``: CRC-framed code partition with logical addresses."""
        return self.flash_name.endswith("_crc")

    @property
    def end(self) -> int:
        """``offset + length``: the address just past the partition (logical for CRC-framed ones)."""
        return self.offset + self.length

    @property
    def physical_offset(self) -> int:
        """The partition start in flash: ``offset``, plus 2 CRC bytes per 32 bytes when CRC-framed."""
        return crcframe.logical_to_physical(self.offset) if self.crc_framed else self.offset

    @property
    def physical_end(self) -> int:
        """The flash offset just past the partition: :attr:`end` mapped like :attr:`physical_offset`."""
        return crcframe.logical_to_physical(self.end) if self.crc_framed else self.end

    @classmethod
    def _from_parsed(cls, c: Any, raw: bytes) -> FalEntry:
        return cls(c.name, c.flash_name, c.offset, c.length, c.reserved, raw)

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview, *, base: int = 0) -> FalEntry:
        """Parse one 64-byte entry from the start of ``data`` (names cut at their first NUL).

        ``base`` is the offset of ``data`` in the input, for error offsets. Raises
        :class:`~obkimg.errors.MagicError` when ``data`` does not start with ``01PE`` and
        :class:`~obkimg.errors.TruncatedError` when the entry is cut short.
        """
        raw = bytes(data[:FAL_ENTRY_SIZE])
        n = len(FAL_MAGIC)
        if len(raw) < FAL_ENTRY_SIZE and raw[:n] == FAL_MAGIC[: len(raw[:n])]:
            raise TruncatedError(FMT, FAL_ENTRY_SIZE, len(raw), offset=base + len(raw), path="entry")
        return cls._from_parsed(parse_with(FAL_ENTRY, FMT, raw, base=base), raw)

    def _names(self) -> dict[str, str]:
        """The names to build: at most 23 bytes (C strings keep a NUL); a name equal to the one in
        ``raw`` keeps its bytes there (garbage after the NUL)."""
        texts = {k: str(getattr(self, k)) for k in _NAMES}
        for k, v in texts.items():
            try:
                size = len(v.encode("latin-1"))
            except UnicodeEncodeError as e:
                raise BuildError(f"{k} {v!r} is not latin-1 text", fmt=FMT, path=k) from e
            if size > 23 or "\0" in v:
                raise BuildError(f"{k} {v!r} must be at most 23 bytes without NUL", fmt=FMT, path=k)
        if self.raw is None or len(self.raw) != FAL_ENTRY_SIZE or self.raw[: len(FAL_MAGIC)] != FAL_MAGIC:
            return texts
        old = FAL_ENTRY.parse(self.raw)
        return {k: old[k] if str(old[k]) == v else v for k, v in texts.items()}

    def build(self) -> bytes:
        """The 64 bytes of the entry; an unchanged name keeps its parsed bytes (garbage after the NUL).

        Raises :class:`~obkimg.errors.BuildError` when a name is not latin-1, longer than 23 bytes or
        contains a NUL, or a number is out of range for a u32.
        """
        obj = {**self._names(), "offset": self.offset, "length": self.length, "reserved": self.reserved}
        return build_with(FAL_ENTRY, FMT, obj)

    def to_dict(self) -> dict[str, object]:
        """The entry as JSON: its fields (no raw bytes), ``crc_framed`` and the physical start and end."""
        return {
            "name": self.name,
            "flash_name": self.flash_name,
            "offset": self.offset,
            "length": self.length,
            "reserved": self.reserved,
            "crc_framed": self.crc_framed,
            "physical_offset": self.physical_offset,
            "physical_end": self.physical_end,
        }


@dataclass(frozen=True, slots=True)
class FalTable:
    """A run of consecutive FAL entries."""

    entries: tuple[FalEntry, ...]

    @classmethod
    def parse(cls, data: bytes | bytearray | memoryview, *, base: int = 0) -> FalTable:
        """Parse consecutive entries from the start of ``data`` (at least one, at most 16)."""
        buf = bytes(data[: MAX_ENTRIES * FAL_ENTRY_SIZE])
        n = len(FAL_MAGIC)
        if buf[:n] != FAL_MAGIC:
            raise MagicError(FMT, FAL_MAGIC, buf[:n], offset=base + offset_of(FAL_ENTRY, "magic"))
        parsed = parse_with(FAL_TABLE, FMT, buf, base=base)
        pos = len(parsed) * FAL_ENTRY_SIZE
        if len(parsed) < MAX_ENTRIES and buf[pos : pos + n] == FAL_MAGIC:  # a cut entry ends the run
            FalEntry.parse(buf[pos:], base=base + pos)
        return cls(
            tuple(
                FalEntry._from_parsed(c, buf[i * FAL_ENTRY_SIZE : (i + 1) * FAL_ENTRY_SIZE])
                for i, c in enumerate(parsed)
            )
        )

    def build(self) -> bytes:
        """The entries' bytes, back to back (64 per entry).

        Raises :class:`~obkimg.errors.BuildError` when the table has no entry or an entry does not build.
        """
        if not self.entries:
            raise BuildError("a FAL table needs at least one entry", fmt=FMT)
        return b"".join(e.build() for e in self.entries)

    @property
    def size(self) -> int:
        """The table's size in bytes: 64 per entry."""
        return FAL_ENTRY_SIZE * len(self.entries)

    def get(self, name: str) -> FalEntry | None:
        """The first entry named ``name`` (``"app"``, ``"download"``...), or None."""
        for e in self.entries:
            if e.name == name:
                return e
        return None

    def to_dict(self) -> dict[str, object]:
        """The table as JSON: ``{"entries": [...]}`` (see :meth:`FalEntry.to_dict`)."""
        return {"entries": [e.to_dict() for e in self.entries]}


def find_fal(logical: bytes | bytearray | memoryview, *, base: int = 0) -> tuple[int, FalTable] | None:
    """The last FAL table in a logical (CRC-stripped) bootloader: (offset in ``logical``, table).

    Strings in the bootloader code also contain "01PE" (the format string of the table walker);
    a candidate counts only when its flash name starts with ``beken`` or it parses with sane sizes.
    """
    buf = bytes(logical)
    pos = buf.rfind(FAL_MAGIC)
    while pos >= 0:
        start = pos
        # walk back over preceding entries of the same run
        while (
            start >= FAL_ENTRY_SIZE and buf[start - FAL_ENTRY_SIZE : start - FAL_ENTRY_SIZE + 4] == FAL_MAGIC
        ):
            start -= FAL_ENTRY_SIZE
        try:
            table = FalTable.parse(buf[start:], base=base + start)
        except (FormatError, TruncatedError):
            table = None
        if table is not None and all(_sane(e) for e in table.entries):
            return start, table
        pos = buf.rfind(FAL_MAGIC, 0, start)
    return None


def _sane(e: FalEntry) -> bool:
    return (
        e.flash_name.startswith("beken")
        and e.name.isprintable()
        and 0 < e.length <= 0x1000000
        and e.offset < 0x1000000
    )
