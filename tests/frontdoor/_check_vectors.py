"""Synthetic devices and firmware for the `check` tests (no real bytes): Beken N and T QIOs and 2 MiB
dumps whose apps carry an OpenBeken build string, a UG OTA, and BL602 files from tests/bl602/_synth."""

from __future__ import annotations

from functools import cache

from obkimg.bkdump import build_qio_from_app
from obkimg.formats.bk7231 import rbl as bk7231_rbl
from obkimg.formats.bk7231 import ug as bk7231_ug
from tests.bk7231_images import _synth as bk


@cache
def bk_qio(fam: str) -> bytes:
    """An OpenBeken-like QIO for BK7231N (N marker, N layout) or BK7231T (T layout, download 0x132000)."""
    app = bk.app(banner=f"OpenBK7231{fam}_1.18.300\0".encode())
    boot = bk.bootloader(n_marker=fam == "N", download=0x12A000 if fam == "N" else 0x132000)
    return build_qio_from_app(app, boot, version="1.18.300", layout=f"bk7231{fam.lower()}", timestamp=1)


@cache
def bk_dump(fam: str) -> bytes:
    """A 2 MiB backup of a device running that QIO."""
    q = bk_qio(fam)
    d = bytearray(b"\xff" * 0x200000)
    d[: len(q)] = q
    return bytes(d)


@cache
def bk_ug(fam: str = "N", size: int = 0x8000) -> bytes:
    app = bk.app(size=size, banner=f"OpenBK7231{fam}_1.18.300\0".encode())
    return bk7231_ug.wrap(bk7231_rbl.pack(app, version="1.18.300"), "1.18.300")
