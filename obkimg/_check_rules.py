"""Per-format rules of ``obkimg check``: how each kind of file is written, which conversion gives its
other form, and its container, key and size rows against a device.

One rule per kind of file (QIO, UA, Beken dump, UG/RBL OTA, BL602 OTA, BL602 FW image, BL602 dump);
every other kind (bootloaders, bare or decrypted apps, configs, partition tables...) is a
:class:`NotFirmware` rule whose container row fails with the reason.
"""

from __future__ import annotations

from typing import Any

from ._check_report import _QIO_AT_0, _UA_ONLY, CheckReport, Conversion, Device, WritePlan
from .errors import ObkImgError
from .model import Image

__all__ = ["Rule", "rule_for"]

_KEY_NEEDS = "--for DUMP to know the device's code key"


def _plan(method: str, offset: int | None, text: str) -> WritePlan:
    return WritePlan(method, offset, text)


def _conv(to: str, command: str, why: str) -> Conversion:
    return Conversion(to, command, why)


def _qio2ua(name: str) -> Conversion:
    return _conv(
        "bk7231-ua",
        f"obkimg convert qio2ua {name} -o ua.bin",
        "QIO -> UA: the UA is what a BK7231T takes, and what keeps any device's bootloader (0x11000)",
    )


def _ua2qio(name: str) -> Conversion:
    return _conv(
        "bk7231-qio",
        f"obkimg convert ua2qio {name} --bootloader-from DUMP -o qio.bin",
        "UA -> QIO: a QIO (written whole at 0x0) needs the bootloader of a dump or QIO of the same "
        "chip and code key",
    )


class Rule:
    """A kind of flashable file. Subclasses override what differs."""

    firmware = True
    not_firmware = ""

    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        raise NotImplementedError

    def conversions(self, name: str) -> list[Conversion]:
        return []

    def container(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        raise NotImplementedError

    def key(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        raise NotImplementedError

    def size(self, rep: CheckReport, fw: Image, data: bytes, tgt: Device) -> None:
        raise NotImplementedError


class NotFirmware(Rule):
    """A file that is not written onto a device as it is; the container row fails with ``reason``."""

    firmware = False

    def __init__(
        self, reason: str, write_text: str, conversions: tuple[tuple[str, str, str], ...] = ()
    ) -> None:
        self.not_firmware = reason
        self.write_text = write_text
        self.convs = conversions

    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        return _plan("none", None, self.write_text)

    def conversions(self, name: str) -> list[Conversion]:
        return [_conv(to, cmd.format(name=name), why) for to, cmd, why in self.convs]


# ------------------------------------------------------------------- what the rules read of the models
# The BK7231 models' typed fields (imported here, when a check runs, not when obkimg.check is imported)
def _key_class(img: Image) -> str | None:
    """The code key class of a Beken image model (``plain``, ``zero``, ``tuya``...), None for others."""
    from .formats.bk7231.image import Bk7231Image

    return img.key_class if isinstance(img, Bk7231Image) else None


def _bootloader_framed(img: Image) -> bool:
    """Whether a Beken image model's bootloader is CRC-framed (as the chip reads it)."""
    from .formats.bk7231.image import Bk7231Image

    return isinstance(img, Bk7231Image) and img.bootloader is not None and img.bootloader.framed


def _rbl_variant(img: Image) -> str | None:
    """``ota`` (an RBL OTA file) or ``flash`` (a code partition with its trailer) for a bk7231-rbl model."""
    from .containers import RblImage, RblPartitionImage

    return img.variant if isinstance(img, (RblImage, RblPartitionImage)) else None


# ------------------------------------------------------------------------------------ Beken
def _bk_key(img: Image) -> str | None:
    """The code key class of a Beken image that is CRC-framed (the one the chip runs), else None."""
    if not img.kind.startswith("bk7231") or img.kind in ("bk7231-app", "bk7231-ug", "bk7231-rbl"):
        return None
    if img.kind == "bk7231-bootloader" and not _bootloader_framed(img):
        return None
    kc = _key_class(img)
    if not kc or kc == "unknown":
        return None
    return "zero" if kc == "plain" else str(kc)


def _fal(img: Image | None) -> dict[str, dict[str, Any]]:
    """The FAL partition table of a Beken target (its bootloader's), by partition name."""
    boot = getattr(img, "boot", None)
    fal = getattr(boot, "fal", None)
    if fal is None:
        return {}
    entries = fal.to_dict()["entries"]
    return {str(e.get("name")): e for e in entries if isinstance(e, dict)}


def _where(chip: str | None, cands: list[str]) -> tuple[set[str], str]:
    names = {chip} if chip else set(cands)
    return names, (chip or " or ".join(cands) or "device")


class _BkCode(Rule):
    """QIO, UA and Beken dumps: encrypted, CRC-framed code written by a UART flasher."""

    def key(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        fk = _bk_key(fw)
        tk = _bk_key(tgt.img) if tgt.img is not None else None
        if fk is None:
            rep.add(
                "key",
                "unknown",
                "the firmware's code key is not one obkimg knows",
                needs="firmware encrypted with a known code key (tuya, zero, uascent)",
            )
        elif tgt.img is None:
            rep.add(
                "key",
                "unknown",
                f"the firmware uses the {fk} code key; the device's key is unknown",
                needs=_KEY_NEEDS,
            )
        elif tk is None:
            rep.add(
                "key",
                "unknown",
                f"the firmware uses the {fk} code key; the target ({tgt.kind}) does not "
                "show the device's key",
                needs="--for DUMP to know the device's code key",
            )
        elif fk != tk:
            rep.add(
                "key",
                "fail",
                f"the firmware is encrypted with the {fk} code key, the device uses the {tk} "
                "key: the app would not run",
            )
        else:
            rep.add("key", "pass", f"both use the {fk} code key")

    def _app_size(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        app = getattr(fw, "app", None)
        part = _fal(tgt.img).get("app")
        if part is None:
            rep.add(
                "size",
                "unknown",
                "the device's app partition is unknown",
                needs="--for DUMP to know the app partition size",
            )
            return
        if app is None or not app.size:
            rep.add(
                "size", "unknown", "the firmware's app size is unknown", needs="a QIO or UA obkimg can parse"
            )
            return
        room = int(part["physical_end"]) - 0x11000
        used = int(app.size)
        rep.add(
            "size",
            "pass" if used <= room else "fail",
            f"the CRC-framed app ({used} bytes) {'fits' if used <= room else 'does not fit'} the device's "
            f"app partition ({room} bytes from 0x11000)",
        )

    def _whole_at_0(self, rep: CheckReport, tgt: Device, what: str) -> None:
        names, text = _where(tgt.chip, tgt.cands)
        if names and names <= _UA_ONLY:
            rep.add(
                "container",
                "fail",
                f"{what} rewrites the bootloader region, which flashers do not write on "
                f"a {text}: it takes only the UA at 0x11000 (obkimg convert qio2ua)",
            )
        elif names and names <= _QIO_AT_0:
            rep.add("container", "pass", f"{what} is written whole at 0x0 on a {text} (bootloader included)")
        elif len(names) > 1 and names & (_UA_ONLY | _QIO_AT_0):
            rep.add(
                "container",
                "unknown",
                f"whether {what} may be written at 0x0 depends on the chip ({text})",
                needs="--chip CHIP",
            )
        else:
            rep.add(
                "container",
                "unknown",
                f"obkimg does not know whether a {text} takes {what} at 0x0",
                needs="the UA instead (obkimg convert qio2ua), written at 0x11000",
            )


class Qio(_BkCode):
    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        return _plan(
            "uart",
            0,
            "write the whole file at 0x0 with a UART flasher (bootloader included: BK7231N, "
            "BK7231M, BL2028N); a BK7231T takes only the UA, at 0x11000",
        )

    def conversions(self, name: str) -> list[Conversion]:
        return [_qio2ua(name)]

    def container(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        self._whole_at_0(rep, tgt, "a QIO image")

    def size(self, rep: CheckReport, fw: Image, data: bytes, tgt: Device) -> None:
        self._app_size(rep, fw, tgt)


class Ua(_BkCode):
    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        return _plan("uart", 0x11000, "write at 0x11000 with a UART flasher; the device's bootloader stays")

    def conversions(self, name: str) -> list[Conversion]:
        return [_ua2qio(name)]

    def container(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        rep.add(
            "container", "pass", "a UA image (CRC-framed app) is written at 0x11000, after the bootloader"
        )

    def size(self, rep: CheckReport, fw: Image, data: bytes, tgt: Device) -> None:
        self._app_size(rep, fw, tgt)


def _flash_size(rep: CheckReport, data: bytes, tgt: Device, dump_kind: str) -> None:
    if tgt.img is None or tgt.img.kind != dump_kind or tgt.data is None:
        rep.add(
            "size",
            "unknown",
            "the device's flash size is unknown",
            needs="--for DUMP to know the flash size",
        )
        return
    n, room = len(data), len(tgt.data)
    rep.add(
        "size",
        "pass" if n <= room else "fail",
        f"the backup ({n} bytes) {'fits' if n <= room else 'is larger than'} the device's flash "
        f"({room} bytes)",
    )


class BkDump(_BkCode):
    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        return _plan(
            "uart",
            0,
            "restore: write the whole file at 0x0 with a UART flasher, onto the device it "
            "was read from (it holds that device's MAC, keys and settings); a BK7231T takes only the "
            "part from 0x11000",
        )

    def conversions(self, name: str) -> list[Conversion]:
        return [_qio2ua(name)]

    def container(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        self._whole_at_0(rep, tgt, "a flash backup")

    def size(self, rep: CheckReport, fw: Image, data: bytes, tgt: Device) -> None:
        _flash_size(rep, data, tgt, "bk7231-dump")


class BkOta(Rule):
    """UG and RBL OTA files: installed by the device's own OTA, into the download partition."""

    def __init__(self, what: str) -> None:
        self.what = what

    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        how = (
            "a Tuya-protocol OTA such as tuya-cloudcutter; OpenBeken's OTA page takes the RBL inside"
            if self.what == "ug"
            else "OpenBeken's OTA page takes the .rbl"
        )
        return _plan("ota", None, f"install by OTA ({how}); a UART flasher does not write it")

    def conversions(self, name: str) -> list[Conversion]:
        if self.what == "ug":
            return [
                _conv(
                    "bk7231-rbl",
                    f"obkimg ug unpack {name} -o app.rbl",
                    "UG -> RBL: the RBL inside, for OpenBeken's OTA page",
                )
            ]
        return []

    def container(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        rep.add(
            "container",
            "pass",
            f"{'a UG' if self.what == 'ug' else 'an RBL'} OTA file: the device's "
            "bootloader installs it from the download partition",
        )

    def key(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        rep.add(
            "key",
            "pass",
            "an OTA file carries no chip code key: the device's bootloader writes the app with its own",
        )

    def size(self, rep: CheckReport, fw: Image, data: bytes, tgt: Device) -> None:
        part = _fal(tgt.img).get("download")
        if part is None:
            rep.add(
                "size",
                "unknown",
                "the device's OTA (download) partition size is unknown",
                needs="--for DUMP to know the OTA partition size",
            )
            return
        size, n = int(part["length"]), len(data)
        if n > size:
            rep.add(
                "size",
                "fail",
                f"the OTA file is {n} bytes, larger than the download partition ({size} bytes, "
                "from the device's FAL table): the bootloader cannot take it",
            )
            return
        app_part, raw = _fal(tgt.img).get("app"), _ota_app_size(fw)
        if app_part is None or raw is None:
            rep.add(
                "size",
                "unknown",
                f"the OTA file ({n} bytes) fits the download partition, but the app it holds "
                "(or the device's app partition) has no known size",
                needs="--for DUMP to know the app partition size, and an OTA file obkimg can read",
            )
            return
        room = int(app_part["length"])
        rep.add(
            "size",
            "pass" if raw <= room else "fail",
            f"the OTA file ({n} bytes) fits the download partition ({size} bytes); the app it "
            f"installs ({raw} bytes) {'fits' if raw <= room else 'does not fit'} the app partition "
            f"({room} bytes, from the device's FAL table)",
        )


def _ota_app_size(fw: Image) -> int | None:
    """The plain app length an UG/RBL OTA file installs (its RBL header's size_raw), None if unknown."""
    rbl = getattr(fw, "inner", fw)
    hdr = getattr(getattr(rbl, "file", None), "header", None)
    raw = getattr(hdr, "size_raw", None)
    return raw if isinstance(raw, int) else None


class RblPartition(Rule):
    """A CRC-framed partition with its RBL trailer (ltchiptool 'package'): where it goes is not proven."""

    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        return _plan(
            "uart",
            None,
            "a whole code partition with its RBL trailer, written at its partition's "
            "start by the tool that made it; obkimg does not know that address",
        )

    def container(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        rep.add(
            "container",
            "unknown",
            "a code partition with an RBL trailer: its flash address is not in it",
            needs="a UA (obkimg convert qio2ua on the QIO or dump) or an RBL OTA file instead",
        )

    def key(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        rep.add("key", "unknown", "the partition's code key is not checked", needs=_KEY_NEEDS)

    def size(self, rep: CheckReport, fw: Image, data: bytes, tgt: Device) -> None:
        rep.add(
            "size",
            "unknown",
            "the partition's address, hence the room for it, is unknown",
            needs="a UA or an RBL OTA file instead",
        )


# ------------------------------------------------------------------------------------ BL602
def _bl_header(fw: Image) -> Any:
    """The boot header of the firmware that will run (inside an OTA, a FW image or a dump)."""
    if fw.kind == "bl602-dump":
        from . import ota

        try:
            return ota.template_from(fw.data)  # type: ignore[attr-defined]
        except ObkImgError:
            return None
    inner = getattr(fw, "inner", None)
    if inner is not None:
        return inner.header
    return getattr(fw, "header", None)


def _bl_secure(hdr: Any) -> str | None:
    """'plain', 'encrypted', 'signed', 'encrypted and signed', or None when there is no header."""
    if hdr is None or getattr(hdr, "boot_cfg", None) is None:
        return None
    enc, sig = bool(hdr.boot_cfg.encrypt_type), bool(hdr.boot_cfg.sign)
    return {(False, False): "plain", (True, False): "encrypted", (False, True): "signed"}.get(
        (enc, sig), "encrypted and signed"
    )


class _Bl602(Rule):
    def key(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        fs = _bl_secure(_bl_header(fw))
        ts = _bl_secure(_bl_header(tgt.img)) if tgt.img is not None and tgt.img.kind == "bl602-dump" else None
        if fs is None:
            rep.add(
                "key",
                "unknown",
                "the firmware's boot header (encryption, signature) cannot be read",
                needs="an OTA or FW image obkimg can unpack",
            )
        elif fs != "plain":
            rep.add(
                "key",
                "unknown",
                f"the firmware is {fs}: obkimg cannot check it against the device's efuse keys",
                needs="a plain (unencrypted, unsigned) build",
            )
        elif ts is None:
            rep.add(
                "key",
                "unknown",
                "the firmware is plain; whether the device runs plain images is unknown",
                needs="--for DUMP to know whether the device runs plain images",
            )
        elif ts != "plain":
            rep.add("key", "fail", f"the device runs {ts} firmware: a plain image would not boot")
        else:
            rep.add(
                "key",
                "pass",
                "the firmware and the device's running firmware are plain (not encrypted, not signed)",
            )


def _fw_slot(tgt: Device) -> tuple[int, int, int] | None:
    """(slot, address, size) of the FW slot that runs, from the device's partition table."""
    if tgt.table is None:
        return None
    try:
        fw = tgt.table.table.firmware
    except ObkImgError:
        return None
    slot = tgt.table.active_slot if tgt.table.active_slot is not None else fw.active_slot
    return slot, int(fw.address[slot]), int(fw.size[slot])


class Bl602Ota(_Bl602):
    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        return _plan(
            "ota",
            None,
            "install by OTA (OpenBeken's OTA page): the device writes it into its spare "
            "FW slot and boot2 unpacks it; a UART flasher does not write it",
        )

    def conversions(self, name: str) -> list[Conversion]:
        return [
            _conv(
                "bl602-bootheader",
                f"obkimg ota unpack {name} -o FW_OTA.bin",
                "OTA -> FW image: FW_OTA.bin, written at the FW partition with a UART flasher",
            )
        ]

    def container(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        rep.add("container", "pass", "a BL602 OTA file (512-byte header + payload): installed by OTA")

    def size(self, rep: CheckReport, fw: Image, data: bytes, tgt: Device) -> None:
        from . import ota

        if tgt.table is None:
            rep.add(
                "size",
                "unknown",
                "the device's FW partition (OTA slot) sizes are unknown",
                needs="--for DUMP to know the FW slot sizes",
            )
            return
        try:
            res = ota.check(data, tgt.table)
        except ObkImgError as e:
            rep.add("size", "fail", f"the OTA cannot be checked against the device: {e}")
            return
        msg = "; ".join(res.lines()[1:3])
        errors = "; ".join(p.message for p in res.problems if p.severity == "error")
        rep.add("size", "pass" if res.ok else "fail", msg if res.ok else errors or msg)


class Bl602Fw(_Bl602):
    """A FW image (boot header + code: FW_OTA.bin, whole_img.bin, an extracted FW slot)."""

    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        slot = _fw_slot(tgt)
        if slot is None:
            return _plan(
                "uart",
                None,
                "write at the device's FW partition (running slot) with a UART flasher; "
                "its address is in the device's partition table (give --for DUMP)",
            )
        return _plan(
            "uart",
            slot[1],
            f"write at {slot[1]:#x} (FW partition, slot {slot[0]}, the one boot2 runs) with a UART flasher",
        )

    def conversions(self, name: str) -> list[Conversion]:
        return [
            _conv(
                "bl602-ota",
                f"obkimg ota pack {name} -o fw.xz.ota",
                "FW image -> OTA: the .xz.ota OpenBeken's OTA page takes",
            )
        ]

    def container(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        rep.add("container", "pass", "a BL602 FW image (boot header + code): written at the FW partition")

    def size(self, rep: CheckReport, fw: Image, data: bytes, tgt: Device) -> None:
        slot = _fw_slot(tgt)
        if slot is None:
            rep.add(
                "size",
                "unknown",
                "the device's FW partition is unknown",
                needs="--for DUMP to know the FW partition address and size",
            )
            return
        try:
            n = len(fw.fw_ota_bin())  # type: ignore[attr-defined]
        except (ObkImgError, AttributeError):
            n = len(data)
        rep.add(
            "size",
            "pass" if n <= slot[2] else "fail",
            f"the FW image ({n} bytes) {'fits' if n <= slot[2] else 'does not fit'} FW slot {slot[0]} "
            f"({slot[2]} bytes at {slot[1]:#x})",
        )


class Bl602Dump(_Bl602):
    def write(self, fw: Image, tgt: Device, name: str) -> WritePlan:
        return _plan(
            "uart",
            0,
            "restore: write the whole file at 0x0 with a UART flasher, onto the device it was "
            "read from (it holds that device's MAC and settings)",
        )

    def conversions(self, name: str) -> list[Conversion]:
        return [
            _conv(
                "bl602-ota",
                f"obkimg ota pack {name} -o fw.xz.ota",
                "dump -> OTA: the running firmware as an .xz.ota",
            )
        ]

    def container(self, rep: CheckReport, fw: Image, tgt: Device) -> None:
        rep.add("container", "pass", "a BL602 flash backup: restored whole from 0x0")

    def size(self, rep: CheckReport, fw: Image, data: bytes, tgt: Device) -> None:
        _flash_size(rep, data, tgt, "bl602-dump")


# ------------------------------------------------------------------------------------ choice
_TO_UA = (
    "bk7231-ua",
    "obkimg convert qio2ua QIO_OR_DUMP -o ua.bin",
    "the UA made from the QIO or dump this file came from is what a flasher writes (0x11000)",
)
_TO_OTA = (
    "bl602-ota",
    "obkimg ota pack {name} -o fw.xz.ota",
    "bare code -> OTA: ota pack adds the boot header",
)


def _bk_app(fw: Image) -> NotFirmware:
    plain = _key_class(fw) in ("plain", "zero")
    what = (
        "a decrypted (or zero-key) app without CRC framing, like the app_plain.bin extract writes"
        if plain
        else "an encrypted app without its CRC framing, like the app_image.bin extract writes"
    )
    return NotFirmware(
        f"{what}: the chip runs only the CRC-framed app of a UA or QIO, so it cannot be flashed as it is",
        "not written as it is: flash the UA or QIO it came from",
        (_TO_UA,),
    )


def _bk_bootloader(fw: Image) -> NotFirmware:
    framed = _bootloader_framed(fw)
    if framed:
        return NotFirmware(
            "a CRC-framed bootloader, not an app firmware: check does not approve bootloader "
            "writes (a QIO carries its own)",
            "not written on its own: it is an input of ua2qio",
            (
                (
                    "bk7231-qio",
                    "obkimg convert ua2qio UA --bootloader-from {name} -o qio.bin",
                    "a QIO from a UA and this bootloader",
                ),
            ),
        )
    return NotFirmware(
        "a bootloader without CRC framing: the chip cannot boot it as it is, and check does not "
        "approve bootloader writes",
        "not written as it is",
    )


def _bl602_code(fw: Image) -> Rule:
    role = getattr(fw, "role", "")
    if role == "firmware":
        return Bl602Fw()
    if role == "boot2":
        return NotFirmware(
            "a BL602 boot2 bootloader, not an app firmware: check does not approve bootloader writes",
            "not written as an app: boot2 lives at 0x0",
        )
    if role == "ram-image":
        return NotFirmware(
            "a BL602 RAM image (eflash loader): flashing tools load it into RAM, it is never "
            "written to flash",
            "never written to flash",
        )
    if fw.kind == "bl602-firmware":
        return NotFirmware(
            "bare BL602 code without its boot header: written raw it would not boot (BLDevCube "
            "and bflb-iot-tool add the header)",
            "not written as it is: pack it first",
            (_TO_OTA,),
        )
    if role == "mcu-firmware":
        return NotFirmware(
            "a BL602 MCU-flow image (code right after its header), not a FW-partition image: check does not "
            "know where it is written",
            "not a FW-partition image",
        )
    return NotFirmware(
        f"a BL602 boot header without firmware code ({role or 'header'})", "not written as a firmware"
    )


def rule_for(fw: Image) -> Rule:
    """The rule of ``fw``'s kind."""
    kind = fw.kind
    simple: dict[str, Rule] = {
        "bk7231-qio": Qio(),
        "bk7231-ua": Ua(),
        "bk7231-dump": BkDump(),
        "bk7231-ug": BkOta("ug"),
        "bl602-dump": Bl602Dump(),
    }
    if kind in simple:
        return simple[kind]
    if kind == "bk7231-rbl":
        return BkOta("rbl") if _rbl_variant(fw) == "ota" else RblPartition()
    if kind == "bk7231-app":
        return _bk_app(fw)
    if kind == "bk7231-bootloader":
        return _bk_bootloader(fw)
    if kind == "bl602-ota":
        return Bl602Ota()
    if kind == "bl602-xz":
        return NotFirmware(
            "a bare XZ stream without the BL602 OTA header: neither OTA nor a flasher takes it as it is",
            "not written as it is: unpack, then pack it",
            (
                (
                    "bl602-bootheader",
                    "obkimg ota unpack {name} -o FW_OTA.bin",
                    "XZ -> FW image (then `obkimg ota pack FW_OTA.bin -o fw.xz.ota` for OTA)",
                ),
            ),
        )
    if kind in ("bl602-bootheader", "bl602-firmware"):
        return _bl602_code(fw)
    return NotFirmware(
        f"a {kind} file, not a firmware: check judges firmware only",
        "not a firmware: obkimg's own commands read and write it",
    )
