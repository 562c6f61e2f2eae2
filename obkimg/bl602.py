"""BL602 workflows: every boot header of a file (``obkimg bl602 header show|rebuild``) and a whole flash
built from its parts (``obkimg bl602 build-flash``).

The layouts live in :mod:`obkimg.formats.bl602`: the boot header and images in
:mod:`~obkimg.formats.bl602.bootheader`, the partition table in :mod:`~obkimg.formats.bl602.partitions`
and the whole flash in :mod:`~obkimg.formats.bl602.flash`. This module finds the headers of a dump (boot2
at 0 and the firmware in the FW/mfg slots of the table in use), reports and rebuilds them, and turns the
inputs of ``build-flash`` (TOML or ``partition.bin``, images) into a flash image.
"""

from __future__ import annotations

from typing import Any

from .errors import MagicError, ObkImgError
from .formats.bl602.bootheader import (
    FMT,
    HEADER_SIZE,
    MAGIC,
    MAGICS,
    BootHeader,
    BootImage,
    foreign_error,
    looks_like_bl602_code,
)
from .formats.bl602.layout import is_flash_dump, table_in_use
from .formats.bl602.partitions import PT_MAGIC, TABLE_ADDRESSES, read_copies

__all__ = ["find_headers", "header_report", "rebuild_headers", "build_flash_image"]

#: the header fields a rebuild may change, as the change lines name them
_REBUILT_FIELDS = (
    ("img_len", "img_len"),
    ("hash", "hash"),
    ("flash_crc", "flash_cfg CRC"),
    ("clk_crc", "clk_cfg CRC"),
    ("crc", "header CRC"),
)


def _header_spans(data: bytes) -> list[tuple[int, int, str | None]]:
    """(offset, end, role) of every boot header: at 0, and in the FW/mfg slots of a flash dump."""
    spans: list[tuple[int, int, str | None]] = []
    dump = is_flash_dump(data)
    if data[:4] in MAGICS:
        spans.append((0, TABLE_ADDRESSES[0] if dump else len(data), "boot2" if dump else None))
    table = table_in_use(read_copies(data)) if dump else None
    for e in table.entries if table is not None else ():
        for _slot, addr, size in e.slots():
            if addr and data[addr : addr + 4] == MAGIC:
                spans.append((addr, min(addr + size, len(data)), "firmware"))
    return spans


def _no_header_error(data: bytes) -> ObkImgError:
    err = foreign_error(data, fmt=FMT)
    if err is not None:
        return err
    hint = (
        "a bare image without a header: `obkimg ota pack` adds one"
        if looks_like_bl602_code(data)
        else "no BFNP boot header at 0 (nor in the FW slots of a flash dump)"
    )
    return MagicError(FMT, MAGIC, data[:4], offset=0, hint=hint)


def find_headers(data: bytes, *, offset: int | None = None) -> list[BootImage]:
    """Every boot header in ``data`` (one at ``offset`` if given): a header file, an image, or each header
    of a flash dump (boot2 and the FW/mfg slots). Raises :class:`~obkimg.errors.MagicError` when there is
    none (:class:`~obkimg.errors.MismatchError` for another chip's file)."""
    data = bytes(data)
    if offset is not None:
        if data[offset : offset + 4] not in MAGICS:
            raise MagicError(FMT, MAGIC, data[offset : offset + 4], offset=offset)
        spans = [s for s in _header_spans(data) if s[0] == offset] or [(offset, len(data), None)]
    else:
        spans = _header_spans(data)
    if not spans:
        raise _no_header_error(data)
    return [BootImage.parse(data[a:b], base=a, role=role) for a, b, role in spans]


def header_report(data: bytes, *, offset: int | None = None) -> dict[str, Any]:
    """The ``obkimg bl602 header show --json`` document (schema obkimg.bl602-header/1)."""
    out = []
    for img in find_headers(data, offset=offset):
        d = img.details()
        d["offset"] = img.base
        d["code_offset"] = img.base + img.code_offset if img.code_offset is not None else None
        d["problems"] = [p.to_dict() for p in img.problems()]
        out.append(d)
    return {"schema": "obkimg.bl602-header/1", "size": len(data), "headers": out}


def rebuild_headers(
    data: bytes, *, offset: int | None = None, fill_ignored: bool = False
) -> tuple[bytes, list[str]]:
    """``data`` with the header(s) rebuilt (img_len, hash and CRCs recomputed; 0xDEADBEEF placeholders
    of ignored fields kept unless ``fill_ignored``). Returns the bytes and one line per change."""
    out = bytearray(data)
    changes = []
    for img in find_headers(data, offset=offset):
        new = img.rebuilt(fill_ignored=fill_ignored)[:HEADER_SIZE]
        old = bytes(out[img.base : img.base + HEADER_SIZE])
        if new != old:
            a, b = BootHeader.parse(old), BootHeader.parse(new)
            diffs = [label for name, label in _REBUILT_FIELDS if getattr(a, name) != getattr(b, name)]
            changes.append(f"header at {img.base:#x}: updated {', '.join(diffs)}")
        else:
            changes.append(f"header at {img.base:#x}: already consistent")
        out[img.base : img.base + HEADER_SIZE] = new
    return bytes(out), changes


def build_flash_image(
    table: bytes,
    *,
    boot2: bytes | None = None,
    firmware: bytes | None = None,
    dtb: bytes | None = None,
    size: int | None = None,
) -> bytes:
    """``obkimg bl602 build-flash``: a whole flash image from the contents of its input files.

    ``table`` is a ``partition.bin`` (``BFPT``) or the vendor partition TOML (as bytes); the rest as
    :func:`~obkimg.formats.bl602.flash.build_flash` takes them.
    """
    from .formats.bl602.flash import build_flash

    spec: bytes | str = table if table[:4] == PT_MAGIC else table.decode("utf-8", "replace")
    return build_flash(table=spec, boot2=boot2, firmware=firmware, dtb=dtb, size=size)
