"""BL602 partition-table workflows: find the active table of any input, vendor TOML in and out, show.

- :func:`table_from`: the active table of a flash dump (both copies read, the active one chosen as boot2
  does), of a ``partition.bin`` (one copy or both) or of the vendor ``partition_cfg_*.toml``.
- :func:`table_from_toml` / :func:`table_to_toml` (:mod:`obkimg.formats.bl602.pt_toml`): the vendor
  TOML (``[pt_table]`` with ``address0/1``,
  where the copies go, and one ``[[pt_entry]]`` per entry: ``type``, ``name``, ``device`` (ignored by the
  tool), ``address0/1``, ``size0/1``, ``len``, optional ``activeindex``, ``age``). It is read with
  tomllib (tomli on 3.10) and checked against that shape; names are written escaped and every export is
  read back before it is returned.
- :func:`build_table` (``obkimg partitions build``), :func:`export_toml` (``partitions export``) and
  :func:`show_lines` (the text of ``partitions show``).

The binary layout itself is :mod:`obkimg.formats.bl602.partitions`.
"""

from __future__ import annotations

from typing import Any

from ._record import dataclass
from .errors import FormatError, NotFoundError, ObkImgError
from .formats.bl602.bootheader import foreign_error
from .formats.bl602.layout import is_flash_dump
from .formats.bl602.partitions import (
    FMT,
    PT_MAGIC,
    PartitionTable,
    TableCopy,
    TableRegion,
)
from .formats.bl602.pt_toml import layout_errors, parse_toml, table_from_toml, table_to_toml
from .source import SourceLike, load
from .text import escape_text

__all__ = [
    "TableSource",
    "table_from",
    "parse_toml",
    "layout_errors",
    "table_from_toml",
    "table_to_toml",
    "build_table",
    "export_toml",
    "show_lines",
]

#: the copies of a sector-sized build: the table padded with 0xFF to 4 KiB, twice
SECTOR = 0x1000


# --------------------------------------------------------------------------------------------------
# inputs


def read_input(src: SourceLike, what: str) -> bytes:
    """The bytes of an input given as a path, bytes or a binary file object (``.gz`` undone)."""
    try:
        data = load(src).data
    except ObkImgError:
        raise
    except (OSError, TypeError, ValueError, AttributeError) as e:
        raise FormatError(f"cannot read {what}: {type(e).__name__}: {e}", fmt="input") from e
    if not isinstance(data, bytes):  # a file object opened in text mode
        raise FormatError(f"cannot read {what}: open it in binary mode ('rb')", fmt="input")
    return data


def refuse_foreign(data: bytes, what: str, fmt: str) -> None:
    """Raise the plain "this is a BK7231... file" error when ``data`` is another chip's file."""
    err = foreign_error(data, fmt=fmt, what=what)
    if err is not None:
        raise err


# --------------------------------------------------------------------------------------------------
# the active table of any input


@dataclass(frozen=True, slots=True)
class TableSource:
    """The partition table to check against, where it came from, and the running FW slot if known."""

    table: PartitionTable
    #: dump | table | toml
    source: str
    description: str
    active_slot: int | None = None
    copies: tuple[TableCopy, ...] = ()
    active_copy: int | None = None

    @property
    def layout(self) -> str:
        """The partition layout's name (the table's ``layout``)."""
        return self.table.layout

    def to_dict(self) -> dict[str, Any]:
        """The ``obkimg partitions show --json`` document."""
        try:
            fw = self.table.firmware
            fw_doc: dict[str, Any] | None = {
                "name": fw.name,
                "active_slot": fw.active_slot,
                "slots": [{"slot": s, "address": a, "size": n} for s, a, n in fw.slots()],
            }
        except NotFoundError:
            fw_doc = None
        return {
            "schema": "obkimg.partitions/1",
            "source": self.source,
            "description": self.description,
            "layout": self.layout,
            "copies": [c.to_dict() for c in self.copies],
            "active_copy": self.active_copy,
            "firmware": fw_doc,
            "table": self.table.to_dict(),
        }


def table_from(data: SourceLike | TableSource) -> TableSource:
    """The active partition table of a dump, a table file (one or two copies) or vendor TOML."""
    if isinstance(data, TableSource):
        return data
    data = read_input(data, "the partition table")
    if data[:4] == PT_MAGIC:
        region = TableRegion.parse(data)
        t = region.table
        act = region.active
        where = "" if act is None else f", active copy {act}"
        return TableSource(
            t,
            "table",
            f"partition table file ({len(region.copies)} cop"
            f"{'ies' if len(region.copies) > 1 else 'y'}{where})",
            t.firmware.active_slot if _has_fw(t) else None,
            region.copies,
            act,
        )
    if is_flash_dump(data):
        from .formats.bl602.flash import FlashDump

        dump = FlashDump.parse(data)
        t = dump.table
        act = dump.active_copy
        where = (
            f"active copy {act} at {dump.copies[act].offset:#x}"
            if act is not None
            else "no valid copy, using a damaged one"
        )
        return TableSource(t, "dump", f"flash dump ({where})", dump.fw_active_slot, dump.copies, act)
    text = _as_text(data)
    if text is not None and ("[[pt_entry]]" in text or "[pt_table]" in text):
        t, _addrs = table_from_toml(text)
        return TableSource(t, "toml", "vendor partition TOML", t.firmware.active_slot if _has_fw(t) else None)
    refuse_foreign(data, "a BL602 dump or partition table", FMT)
    raise FormatError("not a BL602 flash dump, partition table (BFPT) or partition TOML", fmt=FMT, offset=0)


def _has_fw(t: PartitionTable) -> bool:
    return any(e.type == 0 for e in t.entries)


def _as_text(data: bytes) -> str | None:
    if len(data) > 1 << 20 or b"\0" in data[:4096]:
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


# --------------------------------------------------------------------------------------------------
# what the CLI does


def build_table(toml: SourceLike, *, sector: bool = False, allow_overlap: bool = False) -> bytes:
    """``partition.bin`` from a vendor partition TOML (byte-identical to bflb-iot-tool); ``sector`` gives
    both copies as an 8 KiB region (the table 0xFF-padded to 4 KiB, twice). Raises what
    :func:`table_from_toml` raises."""
    table, _addrs = table_from_toml(read_input(toml, "the partition TOML"), allow_overlap=allow_overlap)
    raw = table.build()
    return raw.ljust(SECTOR, b"\xff") * 2 if sector else raw


def export_toml(data: SourceLike | TableSource, name: str) -> str:
    """The active table of ``data`` (:func:`table_from`) as vendor TOML, with a comment naming ``name``."""
    ts = table_from(data)
    return table_to_toml(ts.table, comment=f"exported by obkimg from {name}: {ts.description}")


def show_lines(ts: TableSource) -> list[str]:
    """The text of ``obkimg partitions show``: source, layout, the copies, then one row per entry."""
    out = [f"source: {escape_text(ts.description)}", f"layout: {ts.layout}"]
    for i, c in enumerate(ts.copies):
        state = "valid" if c.valid else "erased" if c.erased else "INVALID"
        age = c.table.age if c.table else "-"
        active = "  (active)" if i == ts.active_copy else ""
        out.append(f"copy {i} at {c.offset:#07x}: {state}, age {age}{active}")
    out.append(
        f"{'name':<8} {'type':>4} {'address0':>10} {'size0':>9} {'address1':>10} {'size1':>9} "
        f"{'active':>6} {'len':>8} {'age':>4}"
    )
    for e in ts.table.entries:
        out.append(
            f"{escape_text(e.name):<8} {e.type:>4} {e.address[0]:#010x} {e.size[0]:#9x} {e.address[1]:#010x} "
            f"{e.size[1]:#9x} {e.active_index:>6} {e.length:#8x} {e.age:>4}"
        )
    return out
