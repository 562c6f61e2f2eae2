"""``obkimg check``: is this firmware safe to flash onto that device, and how is it written?

Seven rows decide it, each ``pass``, ``fail`` or ``unknown`` (with what to provide to settle it):

- ``readable``: the file is a format obkimg knows;
- ``integrity``: every checksum in it is right (UG sums, RBL CRC/hash, OTA SHA-256, CRC16 blocks);
- ``family``: BK72xx firmware for a BK72xx device, BL602 firmware for a BL602 device;
- ``chip``: the chip the firmware is built for runs on the device's chip (T-class BK7231T/S/U, N-class
  BK7231N/M/BL2028N, BK7231Q, BK7238, BK7252, BK7252N, BK7236, BK7258 and BL602 are kept apart);
- ``container``: the file can be written as it is, and where (UA at 0x11000, QIO at 0, UG/RBL and
  ``.xz.ota`` by OTA, a BL602 FW image at its partition); a decrypted or unframed app, a bootloader, a
  config or a partition table is not a firmware to flash;
- ``key``: the app is encrypted with the code key of the device (Beken), or both sides run plain images
  (BL602); an OTA file carries no code key;
- ``size``: the file fits the partition it goes to on the device.

The verdict is ``SAFE`` only when all seven rows ran and passed; ``NOT SAFE`` when one failed (the
reasons are the failed rows); ``CANNOT TELL`` otherwise, naming what to provide (usually ``--for DUMP``).
Once the family or the chip differs, the rows that assume the firmware belongs on the device are not
run: they could only contradict the failure. Every report also says how the file is written and which
conversion gives the other form (QIO -> UA, UA -> QIO, OTA <-> FW image).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ._check_report import (
    _GROUP_NAMES,
    CANNOT_TELL,
    CHIP_GROUPS,
    CHIPS,
    GIVE_DUMP,
    NOT_SAFE,
    ROWS,
    SAFE,
    CheckReport,
    Conversion,
    Device,
    Finding,
    Status,
    WritePlan,
)
from .detect import open_image
from .errors import ObkImgError, UnknownChipError
from .model import Image
from .source import Source, SourceLike, load

__all__ = [
    "Status",
    "Finding",
    "WritePlan",
    "Conversion",
    "CheckReport",
    "Device",
    "UnknownChipError",
    "read_device",
    "check_firmware",
    "family_of",
    "chip_group",
    "CHIPS",
    "ROWS",
    "SAFE",
    "NOT_SAFE",
    "CANNOT_TELL",
]


# ------------------------------------------------------------------------------------ chips
def family_of(kind: str | None, chip: str | None) -> str | None:
    """ "BK7231" (any Beken BK72xx) or "BL602" from a chip name, else from the format id."""
    if chip:
        up = chip.upper()
        if up in CHIPS:
            return CHIPS[up]
        if up.startswith(("BK72", "BL2028")):
            return "BK7231"
        if up.startswith("BL60"):
            return "BL602"
    if kind:
        if kind.startswith("bk7231"):
            return "BK7231"
        if kind.startswith("bl602"):
            return "BL602"
    return None


def chip_group(chip: str | None) -> str | None:
    """The group of chips that run the same builds (``T``, ``N``, or the chip itself), None if unknown."""
    return CHIP_GROUPS.get(chip.upper()) if chip else None


def _normalise_chip(chip: str) -> str:
    from .chipid import known_chip

    return known_chip(chip, fmt="check")


def _candidate_name(c: Any) -> Any:
    if isinstance(c, str):
        return c
    if isinstance(c, dict):
        return c.get("chip") or c.get("name")
    return getattr(c, "chip", None) or getattr(c, "name", None)


def _candidate_names(raw: Any) -> list[str]:
    """Chip names from a model's ``chip_candidates`` (names, dicts with ``chip``/``name``, or objects)."""
    out: list[str] = []
    for c in raw or ():
        name = _candidate_name(c)
        if isinstance(name, str) and name.upper() not in out:
            out.append(name.upper())
    return out


def chips_of(img: Image) -> tuple[str | None, list[str]]:
    """(chip, candidates) of a model: ``chip`` when the evidence names one, else its candidates."""
    chip = img.chip
    if chip:
        return chip.upper(), [chip.upper()]
    cands = _candidate_names(img.chip_candidates)
    if cands or getattr(img, "chip_id", None) is not None:
        return None, cands  # the evidence model ran: no guess from the app string alone
    ident = img.app_identity()
    if ident is not None and ident.get("chip_family") in ("N", "T"):
        name = "BK7231" + ident["chip_family"]
        return name, [name]
    return None, []


def chip_conflict(img: Image | None) -> bool:
    """True when the image's own chip evidence contradicts itself (e.g. a T bootloader with an N app)."""
    cid = getattr(img, "chip_id", None)
    return bool(getattr(cid, "conflict", False))


def _chip_text(chip: str | None, cands: list[str]) -> str:
    return chip or (" or ".join(cands) if cands else "an unknown chip")


# ------------------------------------------------------------------------------------ target
def _bl602_table(data: bytes) -> Any:
    from . import ota

    try:
        return ota.table_from(data)
    except ObkImgError:
        return None


def read_device(target: SourceLike | None = None, chip: str | None = None) -> Device:
    """Read the device once (a dump, QIO image or BL602 partition table, and/or a chip name), to check
    many firmwares against it: ``check_firmware(fw, target=device)``. Raises UnknownChipError for a chip
    name it does not know, ObkImgError when the target cannot be read."""
    t = Device()
    if target is not None:
        src = load(target)
        t.data = src.data
        try:
            t.img = open_image(src)
        except ObkImgError:
            t.table = _bl602_table(src.data)  # a vendor partition TOML is no image
            if t.table is None:
                raise
        if t.img is not None:
            t.chip, t.cands = chips_of(t.img)
            if family_of(t.img.kind, t.chip) == "BL602":
                t.table = _bl602_table(src.data)
        else:
            t.chip, t.cands = "BL602", ["BL602"]
    if chip is not None:  # the user's word settles an ambiguous identification
        name = _normalise_chip(chip)
        t.disagree = _disagreement(name, t)
        t.chip, t.cands = name, [name]
    fams = {family_of(t.kind, c) for c in t.cands} - {None}
    t.family = fams.pop() if len(fams) == 1 else (family_of(t.kind, None) if not fams else None)
    return t


def _disagreement(name: str, dev: Device) -> str | None:
    """Why the chip ``name`` cannot be the one the target file proves (None: it can)."""
    if not dev.cands or chip_conflict(dev.img):
        return None
    if chip_group(name) in _groups(dev.cands):
        return None
    return f"--chip {name} contradicts the target file, which is for {_chip_text(dev.chip, dev.cands)}"


# ------------------------------------------------------------------------------------ rows
def _integrity_row(rep: CheckReport, fw: Image) -> None:
    problems = fw.verify()
    if problems:
        rep.add(
            "integrity",
            "fail",
            "; ".join(str(p) for p in problems[:5])
            + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""),
        )
    else:
        rep.add("integrity", "pass", "every checksum and hash in the file is right")


def _family_row(rep: CheckReport, fw_fam: str | None, tgt: Device) -> bool:
    """False when the family differs (the rows that follow would be meaningless)."""
    names = {"BK7231": "Beken BK72xx", "BL602": "BL602"}
    if tgt.disagree:  # which is the device? Nothing after this could be trusted
        row = "family" if fw_fam != tgt.family else "chip"
        if row == "chip":
            rep.add("family", "pass", f"{names[tgt.family or 'BK7231']} firmware, as --chip says")
        rep.add(
            row,
            "unknown",
            tgt.disagree,
            needs="--for DUMP of this device and --chip that agree (or one of them)",
        )
        return False
    if tgt.family is None:
        rep.add(
            "family", "unknown", "the device's chip family is unknown", needs=f"{GIVE_DUMP} or --chip CHIP"
        )
        return True
    if fw_fam != tgt.family:
        rep.add(
            "family",
            "fail",
            f"this is {names.get(fw_fam or '', fw_fam)} firmware ({rep.firmware_kind}), "
            f"the device is a {_chip_text(tgt.chip, tgt.cands) if tgt.cands else names[tgt.family]}: "
            "it will not boot",
        )
        return False
    rep.add("family", "pass", f"{names[tgt.family]} firmware for a {names[tgt.family]} device")
    return True


def _groups(cands: Iterable[str]) -> set[str | None]:
    return {chip_group(c) for c in cands}


def _chip_row(
    rep: CheckReport, fw_chip: str | None, fw_cands: list[str], tgt: Device, fw_conflict: bool = False
) -> bool:
    """False when the firmware's chip cannot be the device's."""
    fg, tg = _groups(fw_cands), _groups(tgt.cands)
    fw_text, tgt_text = _chip_text(fw_chip, fw_cands), _chip_text(tgt.chip, tgt.cands)
    settle = "a file whose bootloader, code key and app agree, or the marking on the chip"
    if fw_conflict:
        rep.add(
            "chip",
            "unknown",
            f"the file's chip evidence contradicts itself ({fw_text}): "
            "its parts were built for different chips",
            needs=f"firmware for one chip ({settle})",
        )
        return True
    if tgt.cands and tgt.img is not None and chip_conflict(tgt.img) and tgt.chip is None:
        rep.add(
            "chip",
            "unknown",
            f"the device's chip evidence contradicts itself ({tgt_text})",
            needs=f"--chip CHIP ({settle})",
        )
        return True
    if fg and tg and None not in fg and None not in tg and not (fg & tg):
        rep.add(
            "chip",
            "fail",
            f"firmware for {fw_text}, the device is a {tgt_text}: their builds differ "
            "(bootloader, code key and flash layout)",
        )
        return False
    if not fw_cands or None in fg:
        rep.add(
            "chip",
            "unknown",
            f"the file does not prove which chip it is built for ({fw_text})",
            needs="firmware whose chip obkimg can prove (an OpenBeken/Tuya build string, a bootloader), "
            "or check its release name yourself",
        )
    elif not tgt.cands or None in tg:
        rep.add("chip", "unknown", "the device's chip is unknown", needs="--chip CHIP")
    elif len(tg) > 1:
        rep.add("chip", "unknown", f"the device could be a {tgt_text}", needs="--chip CHIP")
    elif len(fg) > 1:
        rep.add(
            "chip",
            "unknown",
            f"the firmware could be for {fw_text}; the device is a {tgt_text}",
            needs="firmware whose chip obkimg can prove, or check its release name yourself",
        )
    else:
        group = _GROUP_NAMES.get(next(iter(tg)) or "", tgt_text)
        rep.add(
            "chip",
            "pass",
            f"{fw_text} firmware for a {tgt_text}" + (f" (both {group})" if group != tgt_text else ""),
        )
    return True


def check_firmware(
    firmware: SourceLike, *, target: SourceLike | Device | None = None, chip: str | None = None
) -> CheckReport:
    """Check ``firmware`` against a device: ``target`` (a dump, QIO image or BL602 partition table of
    the device, or a :class:`Device` from :func:`read_device`) and/or ``chip`` (a name from :data:`CHIPS`;
    it settles a chip the target leaves open; one that contradicts the target gives CANNOT TELL).

    Raises :class:`UnknownChipError` for a chip name it does not know, and ObkImgError when the target
    cannot be read. Without a target nothing can be SAFE: the target rows say CANNOT TELL.
    """
    from . import _check_rules as rules

    fw_src = load(firmware)
    tgt = _override(target, chip) if isinstance(target, Device) else read_device(target, chip)
    rep = CheckReport(None, None, tgt.kind, tgt.chip, target_chip_candidates=list(tgt.cands))
    try:
        fw = open_image(fw_src)
    except ObkImgError as e:
        rep.add("readable", "fail", f"not a firmware obkimg knows: {e}")
        rep.write = WritePlan("none", None, "do not flash a file obkimg cannot read")
        return rep
    fw_chip, fw_cands = chips_of(fw)
    rep.firmware_kind, rep.firmware_chip, rep.firmware_chip_candidates = fw.kind, fw_chip, fw_cands
    rep.add("readable", "pass", f"{fw.kind}" + (f" for {_chip_text(fw_chip, fw_cands)}" if fw_cands else ""))
    _integrity_row(rep, fw)
    rule = rules.rule_for(fw)
    rep.write, rep.conversions = rule.write(fw, tgt, _file_name(fw_src)), rule.conversions(_file_name(fw_src))
    if not rule.firmware:  # a config, partition table, bootloader...: nothing to compare with the device
        rep.add("container", "fail", rule.not_firmware)
        return rep
    fw_fam = family_of(fw.kind, fw_chip)
    if not _family_row(rep, fw_fam, tgt) or not _chip_row(rep, fw_chip, fw_cands, tgt, chip_conflict(fw)):
        return rep
    rule.container(rep, fw, tgt)
    rule.key(rep, fw, tgt)
    rule.size(rep, fw, fw_src.data, tgt)
    return rep


def _override(dev: Device, chip: str | None) -> Device:
    if chip is None:
        return dev
    name = _normalise_chip(chip)
    fam = CHIPS[name]
    return Device(dev.img, dev.data, name, [name], fam, dev.table, _disagreement(name, dev))


def _file_name(src: Source) -> str:
    name = getattr(src, "name", None)
    return name if isinstance(name, str) and name and not name.startswith("<") else "FILE"
