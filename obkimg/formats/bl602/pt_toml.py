"""The vendor's partition-table TOML (``partition_cfg_*.toml``, read by Bouffalo's ``bflb_pt_creater.py``).

``[pt_table]`` gives ``address0``/``address1`` (where the two table copies go); each ``[[pt_entry]]``
gives ``type``, ``name``, ``device`` (ignored by the tool), ``address0/1``, ``size0/1``, ``len`` and the
optional ``activeindex`` and ``age``. It is read with tomllib (tomli on 3.10) and checked against that
shape; names are written escaped and every export is read back before it is returned. The binary table
is :mod:`obkimg.formats.bl602.partitions`.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...errors import BuildError, FormatError
from ...text import escape_text
from ...tomlio import Field, check_shape, loads, toml_string, u8, u32
from ...tomlio import text as toml_text
from .partitions import FMT, MAX_ENTRIES, TABLE_ADDRESSES, Partition, PartitionTable

__all__ = ["parse_toml", "layout_errors", "table_from_toml", "table_to_toml"]


_TABLE_SHAPE = {"address0": Field(u32), "address1": Field(u32)}
_ENTRY_SHAPE = {
    "type": Field(u8, required=True),
    "name": Field(toml_text, required=True),
    "device": Field(u8),
    "activeindex": Field(u8),
    **{k: Field(u32) for k in ("address0", "address1", "size0", "size1", "len", "age")},
}


def parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML text (tomllib) into dicts and lists; FormatError/LimitError on anything wrong."""
    return loads(text, fmt=FMT)


def _entry(item: Any, where: str) -> Partition:
    v = check_shape(item, _ENTRY_SHAPE, fmt=FMT, where=where)
    name = v["name"]
    if len(name.encode()) >= 8:
        raise BuildError(
            f"partition name {name!r} is too long (bflb-iot-tool refuses 8 or more characters)",
            fmt=FMT,
            path=f"{where}.name",
        )
    part = Partition(
        name,
        v["type"],
        (v.get("address0", 0), v.get("address1", 0)),
        (v.get("size0", 0), v.get("size1", 0)),
        v.get("len", 0),
        v.get("age", 0),
        v.get("activeindex", 0),
        0,
    )
    try:
        part.name_bytes()
    except BuildError as e:
        raise BuildError(e.message, fmt=FMT, path=f"{where}.name") from None
    return part


def layout_errors(table: PartitionTable) -> list[str]:
    """What a valid table must not have: slots past 4 GiB, overlapping slots, several type-0 entries."""
    errors: list[str] = []
    fws = [e.name for e in table.entries if e.type == 0]
    if len(fws) > 1:
        errors.append(f"{len(fws)} entries of type 0 (FW: {', '.join(fws)}); boot2 runs only the first")
    spans: list[tuple[int, int, str]] = []
    for e in table.entries:
        for slot, addr, size in e.slots():
            label = f"{e.name} slot {slot} ({addr:#x}+{size:#x})"
            if addr + size > 1 << 32:
                errors.append(f"{label} ends past 4 GiB")
            elif size:
                spans.append((addr, addr + size, label))
    spans.sort()
    for (_a0, end0, l0), (a1, _end1, l1) in zip(spans, spans[1:], strict=False):
        if a1 < end0:
            errors.append(f"{l1} overlaps {l0}")
    return errors


def table_from_toml(
    text: str | bytes, *, allow_overlap: bool = False
) -> tuple[PartitionTable, tuple[int, int]]:
    """The table bflb-iot-tool builds from a ``partition_cfg_*.toml`` and the two copy addresses.

    Like the tool: ``device`` is read but not written, names of 8 or more characters are refused. The
    TOML is checked against the shape the tool reads (a bad key is named by its path, e.g.
    ``pt_entry[1].size0``). Overlapping slots, slots past 4 GiB and several type-0 entries are refused
    unless ``allow_overlap`` (for a table a vendor really ships).
    """
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as e:
            raise FormatError(f"TOML is not UTF-8: {e}", fmt=FMT, offset=e.start) from None
    doc = parse_toml(text)
    pt = check_shape(doc.get("pt_table", {}), _TABLE_SHAPE, fmt=FMT, where="pt_table")
    entries = doc.get("pt_entry")
    if not isinstance(entries, list) or not entries:
        raise FormatError("no [[pt_entry]] tables in the TOML", fmt=FMT, path="pt_entry")
    if len(entries) > MAX_ENTRIES:
        raise BuildError(
            f"{len(entries)} entries; boot2 reads at most {MAX_ENTRIES}", fmt=FMT, path="pt_entry"
        )
    table = PartitionTable(tuple(_entry(item, f"pt_entry[{i}]") for i, item in enumerate(entries)))
    bad = layout_errors(table)
    if bad and not allow_overlap:
        raise BuildError(
            "; ".join(bad),
            fmt=FMT,
            path="pt_entry",
            hint="`partitions build --allow-overlap` builds it anyway",
        )
    addrs = (pt.get("address0", TABLE_ADDRESSES[0]), pt.get("address1", TABLE_ADDRESSES[1]))
    return table, addrs


def _comment(text: str) -> list[str]:
    """``text`` as TOML comment lines (control characters escaped: TOML refuses them in comments)."""
    return [f"# {escape_text(line)}" for line in text.split("\n")]


def table_to_toml(
    table: PartitionTable, *, addresses: tuple[int, int] = TABLE_ADDRESSES, comment: str | None = None
) -> str:
    """The vendor TOML for ``table`` (reads back to the same binary with :func:`table_from_toml`).

    The layout is the vendor files' (hex numbers, key order, their comments); names are written as
    escaped TOML strings, and the text is parsed back before it is returned: an export that would not
    read back as the same table raises BuildError instead of being written.
    """
    out = []
    if comment:
        out += [*_comment(comment), ""]
    out += [
        "[pt_table]",
        "#partition table is 4K in size",
        f"address0 = {addresses[0]:#X}".replace("0X", "0x"),
        f"address1 = {addresses[1]:#X}".replace("0X", "0x"),
    ]
    if table.version or table.age:
        out.append(
            f"# stored table header: version {table.version}, age {table.age} (not settable from TOML)"
        )
    for e in table.entries:
        if e.raw_name is not None:
            out.append(f"# raw name bytes: {e.raw_name.hex()}")
        out += [
            "",
            "[[pt_entry]]",
            f"type = {e.type}",
            f"name = {toml_string(e.name)}",
            f"device = {e.device}",
        ]
        if e.active_index:
            out.append(f"activeindex = {e.active_index}")
        out += [
            f"address0 = {_hex(e.address[0])}",
            f"size0 = {_hex(e.size[0])}",
            f"address1 = {_hex(e.address[1])}",
            f"size1 = {_hex(e.size[1])}",
            "# compressed image must set len,normal image can left it to 0",
            f"len = {_hex(e.length)}",
        ]
        if e.age:
            out.append(f"age = {e.age}")
    doc = "\n".join(out) + "\n"
    _check_round_trip(table, addresses, doc)
    return doc


def _check_round_trip(table: PartitionTable, addresses: tuple[int, int], doc: str) -> None:
    try:
        back, addrs = table_from_toml(doc, allow_overlap=True)
    except FormatError as e:  # pragma: no cover - a writer bug, never the input's fault
        raise BuildError(f"the exported TOML does not read back: {e}", fmt=FMT) from None
    want = [dataclasses.replace(e, raw_name=None, device=0) for e in table.entries]
    if list(back.entries) != want or addrs != addresses:
        raise BuildError(
            "the table cannot be written as TOML that reads back the same (name bytes TOML cannot hold)",
            fmt=FMT,
        )


def _hex(v: int) -> str:
    return "0" if v == 0 else f"0x{v:X}"
