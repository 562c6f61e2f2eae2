"""``obkimg check``: is this firmware safe to flash onto that device?

The checks are the ones that would have saved the people in the forum threads:

- ``readable``: the firmware is a format obkimg knows;
- ``integrity``: every checksum in it is right (UG sums, RBL CRC/hash, OTA SHA-256, CRC16 blocks);
- ``family``: BK7231 firmware for a BK7231 device, BL602 firmware for a BL602 device;
- ``chip``: BK7231T vs BK7231N family (their bootloaders, keys and layouts differ);
- ``key``: an encrypted QIO/UA app uses the same code key as the device's bootloader;
- ``bootloader``: a QIO (which rewrites the bootloader region) given for a BK7231T/U, where flashers
  only write the UA part at 0x11000;
- ``size``: an OTA (UG/RBL for BK7231, ``.xz.ota`` for BL602) fits its partition on the device.

Targets come from a dump (or QIO/partition table) of the device, or just a chip name. Checks that
cannot be decided are reported as ``skipped`` with the reason, never as passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import chipid
from .detect import open_image
from .errors import ObkImgError
from .model import Image
from .source import SourceLike, load

__all__ = ["Finding", "CheckReport", "check_firmware", "family_of", "CHIPS"]

#: chip names accepted by --chip, with their family
CHIPS = {
    "BK7231T": "BK7231", "BK7231N": "BK7231", "BK7231M": "BK7231", "BL2028N": "BK7231", "BK7231U": "BK7231",
    "BK7231Q": "BK7231", "BK7252": "BK7231", "BL602": "BL602",
}
_T_LIKE = {"BK7231T", "BK7231U", "BK7252", "BK7231Q"}
_N_LIKE = {"BK7231N", "BK7231M", "BL2028N"}
#: Tuya download/OTA partition (0xA6000) when the device's FAL table is not available
DEFAULT_BK_OTA_PARTITION = 0xA6000


@dataclass(frozen=True, slots=True)
class Finding:
    name: str
    #: "pass", "fail" or "skipped"
    status: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "status": self.status, "message": self.message}


@dataclass(slots=True)
class CheckReport:
    firmware_kind: str | None
    firmware_chip: str | None
    target_kind: str | None
    target_chip: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.status == "fail" for f in self.findings)

    def add(self, name: str, status: str, message: str) -> None:
        self.findings.append(Finding(name, status, message))

    def to_dict(self) -> dict[str, Any]:
        return {"schema": "obkimg.check/1", "ok": self.ok,
                "firmware": {"kind": self.firmware_kind, "chip": self.firmware_chip},
                "target": {"kind": self.target_kind, "chip": self.target_chip},
                "findings": [f.to_dict() for f in self.findings]}


def family_of(kind: str | None, chip: str | None) -> str | None:
    """"BK7231" or "BL602" from a chip name, else from the format id."""
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


def _subfamily(chip: str | None) -> str | None:
    if chip in _T_LIKE:
        return "T"
    if chip in _N_LIKE:
        return "N"
    return None


def _app_chip(img: Image) -> str | None:
    """A chip named by the firmware content, where the model only put it in details (e.g. OBK identity)."""
    if img.chip:
        return img.chip
    details = img.details()
    app = details.get("app") if isinstance(details.get("app"), dict) else None
    ident = (app or {}).get("identity") if app else None
    if isinstance(ident, dict) and ident.get("chip_family") in ("N", "T"):
        return "BK7231" + ident["chip_family"]
    return None


def _key_class(img: Image) -> str | None:
    d = img.details()
    for part in ("app", "bootloader"):
        sub = d.get(part)
        if isinstance(sub, dict) and sub.get("key_class"):
            kc = str(sub["key_class"])
            return "zero" if kc == "plain" else kc
    kc = d.get("key_class")
    return ("zero" if kc == "plain" else str(kc)) if kc else None


def _ota_partition_size(target: Image | None) -> tuple[int, str]:
    if target is not None:
        boot = target.details().get("bootloader")
        for entry in (boot or {}).get("fal") or []:
            if entry.get("name") == "download":
                return int(entry["length"]), "the device's FAL partition table"
    return DEFAULT_BK_OTA_PARTITION, "the Tuya default (0xA6000); give --for DUMP for the device's own table"


def _check_size(rep: CheckReport, fw: Image, fw_data: bytes, target: Image | None, target_data: bytes | None
                ) -> None:
    if fw.kind in ("bk7231-ug", "bk7231-rbl"):
        size, where = _ota_partition_size(target)
        n = len(fw_data)
        if n > size:
            rep.add("size", "fail", f"the OTA file is {n} bytes, larger than the download partition ({size} bytes, "
                    f"from {where}): the bootloader cannot take it")
        else:
            rep.add("size", "pass", f"the OTA file ({n} bytes) fits the download partition ({size} bytes, "
                    f"from {where})")
        return
    if fw.kind.startswith("bl602") and fw.kind in ("bl602-ota", "bl602-xz"):
        if target_data is None:
            rep.add("size", "skipped", "no device dump or partition table given (--for): slot sizes unknown")
            return
        from . import ota

        res = ota.check(fw_data, target_data)
        msg = "; ".join(res.lines()[1:3])
        rep.add("size", "pass" if res.ok else "fail",
                msg if res.ok else "; ".join(p.message for p in res.problems if p.severity == "error") or msg)
        return
    if fw.kind in ("bk7231-qio", "bk7231-ua"):
        app = fw.details().get("app") or {}
        fal = {e.get("name"): e for e in ((target.details().get("bootloader") or {}).get("fal") or [])} \
            if target is not None else {}
        part = fal.get("app")
        if not app.get("size") or part is None:
            rep.add("size", "skipped", "the device's FAL app partition is unknown (give --for DUMP)"
                    if part is None else "the firmware's app size is unknown")
            return
        room = int(part["physical_end"]) - 0x11000
        used = int(app["size"])
        rep.add("size", "pass" if used <= room else "fail",
                f"the CRC-framed app ({used} bytes) {'fits' if used <= room else 'does not fit'} the device's "
                f"app partition ({room} bytes from 0x11000)")
        return
    rep.add("size", "skipped", f"no size rule for {fw.kind}")


def check_firmware(firmware: SourceLike, *, target: SourceLike | None = None, chip: str | None = None
                   ) -> CheckReport:
    """Run every check of ``firmware`` against a device (``target`` dump/image, or a ``chip`` name)."""
    fw_src = load(firmware)
    tgt_img: Image | None = None
    tgt_data: bytes | None = None
    if target is not None:
        tgt_src = load(target)
        tgt_data = tgt_src.data
        tgt_img = open_image(tgt_src)
    tgt_chip = chip.upper() if chip else (tgt_img.chip if tgt_img is not None else None)
    try:
        fw = open_image(fw_src)
    except ObkImgError as e:
        rep = CheckReport(None, None, tgt_img.kind if tgt_img else None, tgt_chip)
        rep.add("readable", "fail", f"not a firmware obkimg knows: {e}")
        return rep
    fw_chip = _app_chip(fw)
    rep = CheckReport(fw.kind, fw_chip, tgt_img.kind if tgt_img else None, tgt_chip)
    rep.add("readable", "pass", f"{fw.kind}" + (f" for {fw_chip}" if fw_chip else ""))

    problems = fw.verify()
    if problems:
        rep.add("integrity", "fail", "; ".join(str(p) for p in problems[:5])
                + (f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""))
    else:
        rep.add("integrity", "pass", "every checksum and hash in the firmware is right")

    fw_fam, tgt_fam = family_of(fw.kind, fw_chip), family_of(tgt_img.kind if tgt_img else None, tgt_chip)
    if fw_fam and tgt_fam:
        if fw_fam != tgt_fam:
            rep.add("family", "fail", f"this is {fw_fam} firmware ({fw.kind}), the device is a {tgt_chip or tgt_fam}: "
                    "it will not boot")
        else:
            rep.add("family", "pass", f"{fw_fam} firmware for a {fw_fam} device")
    else:
        rep.add("family", "skipped", "device chip unknown: give --for DUMP or --chip")

    # no chip named (several fit the evidence): the family every candidate shares still decides
    tgt_cands = tgt_img.chip_candidates if tgt_img is not None and not chip else []
    sub_fw = _subfamily(fw_chip) or chipid.subfamily(fw.chip_candidates)
    sub_tgt = _subfamily(tgt_chip) or chipid.subfamily(tgt_cands)
    fw_name, tgt_name = fw_chip or "/".join(fw.chip_candidates), tgt_chip or "/".join(tgt_cands)
    if fw_fam == tgt_fam == "BK7231":
        if sub_fw and sub_tgt and sub_fw != sub_tgt:
            rep.add("chip", "fail", f"firmware for {fw_name}, device is {tgt_name}: T and N families differ in "
                    "bootloader, code key and flash layout")
        elif sub_fw and sub_tgt:
            rep.add("chip", "pass", f"{fw_name} firmware for a {tgt_name}")
        else:
            rep.add("chip", "skipped", "the firmware does not name its chip"
                    if not sub_fw else "device chip variant unknown")

    if fw.kind in ("bk7231-qio", "bk7231-ua") and tgt_img is not None:
        fk, tk = _key_class(fw), _key_class(tgt_img)
        if fk and tk and "unknown" not in (fk, tk):
            if fk != tk:
                rep.add("key", "fail", f"the firmware's app is encrypted with the {fk} key, the device's bootloader "
                        f"uses the {tk} key: the app would not run")
            else:
                rep.add("key", "pass", f"both use the {fk} code key")
        else:
            rep.add("key", "skipped", f"key class not known on both sides (firmware: {fk}, device: {tk})")

    if fw.kind == "bk7231-qio" and tgt_chip:
        if tgt_chip in _T_LIKE:
            rep.add("bootloader", "fail", f"a QIO image rewrites the bootloader region, which is not written on a "
                    f"{tgt_chip}: write the UA part instead (obkimg convert qio2ua)")
        else:
            rep.add("bootloader", "pass", f"QIO images may be written whole on a {tgt_chip}")

    if fw_fam and tgt_fam and fw_fam != tgt_fam:
        rep.add("size", "skipped", "partition sizes of another chip family do not apply")
    else:
        _check_size(rep, fw, fw_src.data, tgt_img, tgt_data)
    return rep
