"""The layout of a whole BL602 flash: where boot2 and the partition table copies sit, and the one test of
"is this a BL602 flash dump".

boot2 occupies 0..0xE000 (boot header, code at 0x2000); the partition table is stored twice, at 0xE000
and 0xF000 (:data:`~obkimg.formats.bl602.partitions.TABLE_ADDRESSES`); every other region is where the
table in use says (:func:`table_in_use`). The whole-flash model is :mod:`obkimg.formats.bl602.flash`;
this module stays light (it imports only the partition table format), so workflows that only need the
test do not load the OTA and DTB formats.

Sources: pine64/bl_iot_sdk ``customer_app/bl602_boot2/bl602_boot2/blsp_media_boot.c``;
openshwprojects/OpenBL602 ``hal_boot2.c`` (the table copies and the active one).
"""

from __future__ import annotations

from .partitions import PT_MAGIC, TABLE_ADDRESSES, PartitionTable, TableCopy, select_active

__all__ = ["BOOT2_AREA", "FLASH_SIZES", "is_flash_dump", "table_in_use"]

#: boot2's area at flash 0, up to the first partition table copy
BOOT2_AREA = TABLE_ADDRESSES[0]
#: flash sizes a dump is expected to have
FLASH_SIZES = (0x100000, 0x200000, 0x400000, 0x800000, 0x1000000)


def is_flash_dump(data: bytes) -> bool:
    """The one test of "is this a whole BL602 flash": the partition table magic (``BFPT``) at 0xE000 or
    0xF000, with room for a table header after the second address."""
    return len(data) >= TABLE_ADDRESSES[1] + 20 and any(data[a : a + 4] == PT_MAGIC for a in TABLE_ADDRESSES)


def table_in_use(copies: list[TableCopy] | tuple[TableCopy, ...]) -> PartitionTable | None:
    """The table boot2 uses: that of the active copy (:func:`~.partitions.select_active`), else the first
    readable copy's (damaged tables still say where the partitions are), else None."""
    active = select_active(copies)
    if active is not None:
        return copies[active].table
    return next((c.table for c in copies if c.table is not None), None)
