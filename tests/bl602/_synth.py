"""Synthetic BL602 files for tests that must run without ../shared (no real bytes anywhere): bare
firmware and boot2 code that obkimg recognises (RISC-V ``auipc gp`` entry + SDK strings), the
OpenBL602 2 MB partition table as vendor TOML, and whole-flash dumps built with ``build_flash``."""

from __future__ import annotations

from obkimg.formats.bl602 import flash as bl602_flash
from obkimg.formats.bl602.partitions import KNOWN_LAYOUTS

#: the OpenBL602 2 MB layout, as the library knows it
_ROWS = KNOWN_LAYOUTS["openbl602-2M"]


def partition_toml() -> str:
    out = ["[pt_table]", "address0 = 0xE000", "address1 = 0xF000"]
    for name, typ, a0, s0, a1, s1 in _ROWS:
        out += [
            "",
            "[[pt_entry]]",
            f"type = {typ}",
            f'name = "{name}"',
            "device = 0",
            f"address0 = {a0:#x}",
            f"size0 = {s0:#x}",
            f"address1 = {a1:#x}",
            f"size1 = {s1:#x}",
            "len = 0",
        ]
    return "\n".join(out) + "\n"


def firmware(size: int = 0x6000, seed: int = 7) -> bytes:
    """Bare 'OpenBL602' code: auipc gp entry, an SDK string, a compressible pattern."""
    head = b"\x97\x11\x00\x00" + b"synthetic bl602 app, BL602 SDK\0"
    body = bytes(((i * 97 + seed) >> 3) & 0xFF for i in range(size - len(head)))
    return head + body


def boot2() -> bytes:
    head = b"\x97\x11\x00\x00" + b"BLSP_Boot2 synthetic BL602\0"
    return head + bytes((i * 13) & 0xFF for i in range(0x2000 - len(head)))


def dump(fw: bytes | None = None) -> bytes:
    """A 2 MB flash: boot2, both partition table copies, the firmware in FW slot 0."""
    return bl602_flash.build_flash(
        table=partition_toml(), boot2=boot2(), firmware=fw or firmware(), size=0x200000
    )
