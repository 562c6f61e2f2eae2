"""Chip evidence and layout guessing for BK7231 images and dumps.

Workflow between the parsed parts (:mod:`obkimg.formats.bk7231.parts`) and the evidence model of
:mod:`obkimg.chipid`: which facts of a bootloader, an app, its RBL trailers and its trailer position
count as evidence (:func:`boot_evidence`, :func:`rbl_evidence`, :func:`app_chip`), the chip whose
flash layout applies (:func:`layout_chip`) and the layout of the data table
:data:`obkimg.formats.bk7231.layout.LAYOUTS` that fits (:func:`guess_layout`).

Rules (spec §7; the download partition of the FAL table wins over everything else):

- FAL download at 0x12A000: ``bk7231n``; download size 0xCC000: ``bk7231q``; FAL app 0x108700:
  ``bk7231t`` (``bk7231t-obk`` with the app trailer at 0xFFF9A); a U-class chip: ``bk7231u``; any other
  FAL: ``bk7231n-beken``;
- without FAL, by chip: N/M ``bk7231n``, T ``bk7231t``/``bk7231t-obk``, BL2028N ``bk7231n-beken``,
  U-class ``bk7231u``, Q ``bk7231q``; an app trailer at 0x131F9A or a 0x132000-byte file: ``bk7231u``.
"""

from __future__ import annotations

from typing import Any

from . import chipid
from .chipid import ChipId
from .formats.bk7231.layout import LAYOUTS, FlashLayout, KeyClass
from .formats.bk7231.parts import BootInfo, CodePart

__all__ = [
    "boot_evidence",
    "rbl_evidence",
    "rtthread_evidence",
    "layout_chip",
    "guess_layout",
    "layout_for_trailer",
    "app_chip",
    "chip_family",
    "decide_chip",
]

#: flash offsets of app trailers and the chips whose layouts put it there
_APP_TRAILER_CHIPS = {
    0xFFF9A: ("app trailer at flash 0xFFF9A (OpenBeken BK7231T layout)", frozenset({"BK7231T"})),
    0x131F9A: (
        "app trailer at flash 0x131F9A (app partition to 0x132000: Beken SDK layout)",
        chipid.U_CLASS | chipid.N_FAMILY | {"BK7231Q"},
    ),
}


def boot_evidence(info: BootInfo) -> dict[str, Any]:
    """The bootloader facts :func:`obkimg.chipid.for_code` takes, as its keyword arguments."""
    return {
        "fingerprint": info.fingerprint,
        "marker": info.marker,
        "version": info.version,
        "fal_download": info.fal_download,
        "fal_app_length": info.fal_app_length,
    }


def rbl_evidence(*parts: CodePart | None) -> tuple[chipid.Evidence | None, ...]:
    """What the in-flash RBL trailers' name/version fields say of the chip (mostly nothing: "app")."""
    out = []
    for p in parts:
        h = p.trailer.header if p is not None and p.trailer is not None else None
        if h is not None:
            out.append(chipid.from_rbl_name(h.name, h.version))
    return tuple(out)


def rtthread_evidence(rtthread: bool) -> chipid.Evidence | None:
    """RT-Thread OTA bootloader strings: a Beken bootloader, chip not narrowed (N-family and BK7252
    bootloaders both print them)."""
    if not rtthread:
        return None
    return chipid.Evidence(
        "strings", "RT-Thread OTA bootloader strings ('[I/OTA] bootloader build', 'beken_onchip_crc')"
    )


def layout_chip(cid: ChipId) -> str | None:
    """The chip whose layout applies: the named chip, else the family all candidates share."""
    if cid.chip or not cid.candidates or cid.conflict:
        return cid.chip
    cands = set(cid.candidates)
    if cands <= chipid.N_FAMILY:
        return "BK7231N"
    if cands <= chipid.U_CLASS:
        return "BK7231U"
    return None


def _t_layout(app_trailer: int | None) -> FlashLayout:
    return LAYOUTS["bk7231t-obk" if app_trailer == 0xFFF9A else "bk7231t"]


def _layout_by_fal(chip: str | None, info: BootInfo, app_trailer: int | None) -> FlashLayout | None:
    fal_dl = info.fal_download
    if fal_dl is None:
        return None
    if fal_dl[0] == 0x12A000:
        return LAYOUTS["bk7231n"]
    if fal_dl[1] == 0xCC000:
        return LAYOUTS["bk7231q"]
    if info.fal_app_length == 0x108700:
        return _t_layout(app_trailer)
    if chip in chipid.U_CLASS:
        return LAYOUTS["bk7231u"]
    return LAYOUTS["bk7231n-beken"]


def guess_layout(
    chip: str | None, info: BootInfo | None, app_trailer: int | None, size: int
) -> FlashLayout | None:
    """The layout that fits: by the FAL table, else by the chip, else by the app trailer or file size."""
    by_fal = _layout_by_fal(chip, info, app_trailer) if info is not None else None
    if by_fal is not None:
        return by_fal
    if chip in ("BK7231N", "BK7231M"):
        return LAYOUTS["bk7231n"]
    if chip == "BK7231T":
        return _t_layout(app_trailer)
    if chip == "BL2028N":
        return LAYOUTS["bk7231n-beken"]
    if chip in chipid.U_CLASS:
        return LAYOUTS["bk7231u"]
    if chip == "BK7231Q":
        return LAYOUTS["bk7231q"]
    if app_trailer == 0x131F9A or size == 0x132000:
        return LAYOUTS["bk7231u"]
    return None


def chip_family(chip: str | None) -> str | None:
    """ "N" for the N family (BK7231N, BK7231M, BL2028N), "T" for BK7231T, else the chip itself."""
    if chip in ("BK7231N", "BK7231M", "BL2028N"):
        return "N"
    if chip == "BK7231T":
        return "T"
    return chip


def _layout_fits_chip(lay: FlashLayout, chip: str) -> bool:
    fam = chip_family(chip)
    if fam == "N":
        return lay.name.startswith("bk7231n")
    return lay.name.startswith("bk7231t") if fam == "T" else True


def layout_for_trailer(cid: ChipId, trailer_flash: int) -> FlashLayout | None:
    """The first layout whose app trailer is at flash offset ``trailer_flash`` and that fits the chip."""
    lchip = layout_chip(cid)
    for lay in LAYOUTS.values():
        if lay.app_rbl == trailer_flash and (lchip is None or _layout_fits_chip(lay, lchip)):
            return lay
    return None


def app_chip(
    key_class: KeyClass | None,
    ident: dict[str, str] | None,
    trailer_flash: int | None,
    extra: tuple[chipid.Evidence | None, ...] = (),
) -> ChipId:
    """Chip of a bare app / UA from its build strings, key and trailer position (no bootloader)."""
    ev = list(extra)
    if trailer_flash in _APP_TRAILER_CHIPS:
        text, chips = _APP_TRAILER_CHIPS[trailer_flash]
        ev.append(chipid.Evidence("layout", text, chips))
    return chipid.for_code(key_class=key_class, app_ident=ident, extra=ev)


def decide_chip(
    *,
    fp: Any,
    marker: bool,
    version: str | None,
    key_class: str | None,
    fal_download: tuple[int, int] | None,
    plain_u_layout: bool = False,
    fal_app_length: int | None = None,
) -> tuple[str | None, str]:
    """Chip name (None unless the evidence proves one) and the evidence, by :func:`obkimg.chipid.for_code`.

    ``fp`` is a :class:`~obkimg.formats.bk7231.layout.Fingerprint` (or None); ``key_class`` is that of
    the code (the app, else the bootloader)."""
    cid = chipid.for_code(
        fingerprint=fp,
        marker=marker,
        version=version,
        fal_download=fal_download,
        fal_app_length=fal_app_length,
        key_class=key_class,
        freertos_layout=plain_u_layout,
    )
    return cid.chip, cid.reason
