"""BK7231 images and flash dumps: QIO, UA, 2 MiB (and other size) dumps, bootloaders, bare apps.

Purpose: the typed model of the code images of Beken BK7231 chips (T, N, M, BL2028N, Q, U, BK7238,
BK7252, BK7252N) as Tuya, OpenBeken and flashers produce them, and the cheap probe that tells the kinds
apart. The model is built from its parts (:mod:`obkimg.formats.bk7231.parts`: CRC-framed bootloader
and app, RBL trailers, FAL table) by the dump analysis :mod:`obkimg.bkdump`, which also maps the
regions, guesses the layout and names the chip with the evidence model of :mod:`obkimg.chipid`
(``chip`` only when one chip fits all of the evidence, ``chip_candidates`` otherwise). Formats never
import workflows, so :data:`FORMAT` names that workflow as its loader (``FORMAT.loader``).

- ``bk7231-qio``: full QIO image written from 0 (bootloader region 0x0-0x11000 incl. its RBL trailer
  at 0x10F9A, CRC-framed app from 0x11000, 0xFF fill, app RBL trailer at the end of the app partition);
- ``bk7231-ua``: the app for UART flashing at 0x11000: either "CRC-framed app only" (ltchiptool's
  CRC/UA App) or "QIO[0x11000:]" (with 0xFF fill and the trailer, what flashers write), spec §5.3;
- ``bk7231-dump``: a whole-flash dump (2 MiB, OpenBeken "QIO + config", other sizes; also dumps
  read from 0x11000 with wrap-around, i.e. rotated by 0x11000: their regions and problems give flash
  addresses, each region's detail its ``file_offset``);
- ``bk7231-bootloader``: a bootloader file: plain, encrypted (``_enc``) or CRC-framed (also RT-Thread
  OTA bootloaders, recognised by their strings whatever their first words);
- ``bk7231-app``: a bare app binary: plain ARM (linked at 0x10000) or encrypted (``_enc``).

Sources: tuya/tuya-iotos-embeded-sdk-wifi-ble-bk7231n ``build.sh`` + ``beken_packager`` outputs (CRC16
framing, in-flash RBL trailer, QIO/UA layout); libretiny-eu/ltchiptool ``soc/bk72xx`` (code cipher,
``binary.py``); openshwprojects/BK7231GUIFlashTool
``BK7231Flasher.cs`` (UA = QIO minus the first 0x11000 bytes); bk7231tools ``analysis/kvstorage.py``
(Tuya KV located by AES-ECB("qwertyuiopasdfgh", 16 x 0xFF)); checked against public OpenBeken
1.18.300 QIO releases (openshwprojects/OpenBK7231T_App) and 2 MiB Tuya dumps.

QIO layout (physical offsets, BK7231N; the other layouts are the data table
:data:`obkimg.formats.bk7231.layout.LAYOUTS`)::

    0x000000  CRC-frame(bootloader _enc image)         T: 60146 B, N: 63682 B
    ...       0xFF
    0x010F9A  bootloader RBL trailer (102 B, 3 framed blocks)
    0x011000  CRC-frame(app _enc image)                app encrypted for logical 0x10000
    ...       0xFF
    0x129F0A  app RBL trailer (T OpenBeken: 0xFFF9A, off the 34-byte grid; U/BK7252: 0x131F9A)
    0x129F70  end of the app partition = end of the QIO file

Public API: :class:`Bk7231Image` (its parts, :meth:`~Bk7231Image.build` for the byte-exact rebuild,
:meth:`~Bk7231Image.plain_app`), :class:`QioParts`, :func:`detect`, :data:`FORMAT`. Analysis and the
QIO/app workflows (``analyze``, ``split_qio``, ``build_qio``, ``decrypt_app``...) are in
:mod:`obkimg.bkdump` (with :mod:`obkimg.bkmap` and :mod:`obkimg.bkchip`).

Limitations: BK7231Q/U/BK7252 are recognised from their fingerprints and OpenBeken QIO layout only;
dumps of 4 MiB chips are mapped up to the app only (no verified layout); BkWriter "swapped" dumps
are recognised when they are a rotation by 0x11000 (the only pattern seen); the FNV-1a hash of the
RBL trailers is only checked by ``verify()`` (pure Python, ~90 ms/MiB); QIO images with an
unknown code key are mapped but their app cannot be decrypted.
"""

from __future__ import annotations

import functools
from dataclasses import field
from typing import TYPE_CHECKING, Any

import construct as c

from ..._construct import is_strict
from ..._record import dataclass
from ...codecs import bkcipher, crcframe
from ...codecs.bkcipher import Key
from ...codecs.checksums import fnv1a32
from ...errors import DecryptError, NotFoundError, ObkImgError, Problem
from ...model import Artifact, BytesImage, Image, Region
from .. import Detection, FormatInfo
from .fal import find_fal
from .layout import (
    APP_LOGICAL,
    APP_START,
    BOOT_PARTITION_END,
    N_MARKER,
    N_MARKER_OFFSET,
    FlashLayout,
    KeyClass,
    classify_key,
    find_bootloader_version,
    fingerprint,
    is_arm_vector,
)
from .parts import (
    BLOCK,
    DATA,
    BootInfo,
    CodePart,
    DataPartitions,
    Trailer,
    decrypt_bootloader,
    framed_size,
    frames_ok,
    is_erased,
    read_trailer,
    trailer_payload_crc,
    used_span,
)
from .rbl import RBL_FRAMED_SIZE, RBL_MAGIC, RblHeader

if TYPE_CHECKING:
    from ...chipid import ChipId

__all__ = [
    "FMT_QIO",
    "FMT_UA",
    "FMT_DUMP",
    "FMT_BOOTLOADER",
    "FMT_APP",
    "KINDS",
    "Trailer",
    "CodePart",
    "BootInfo",
    "DataPartitions",
    "Bk7231Image",
    "QioParts",
    "CrcFramedArea",
    "FramedTrailer",
    "qio_schema",
    "rotation_of",
    "probe_rotation",
    "rtthread_boot",
    "FORMAT",
    "detect",
]

FMT_QIO = "bk7231-qio"
FMT_UA = "bk7231-ua"
FMT_DUMP = "bk7231-dump"
FMT_BOOTLOADER = "bk7231-bootloader"
FMT_APP = "bk7231-app"
KINDS = (FMT_QIO, FMT_UA, FMT_DUMP, FMT_BOOTLOADER, FMT_APP)

#: in-flash trailer positions seen in the wild (physical): bootloader, app
BOOT_TRAILERS = (0x10F9A, 0xFE9A)
APP_TRAILERS = (0x129F0A, 0xFFF9A, 0x131F9A)
#: OpenBeken "QIO + config" sizes (N, T): from the smaller one on, a file is a dump for sure
QIO_CONFIG_SIZES = (0x1D2000, 0x1E2000)
#: full QIO sizes: N/M (0x129F70), OpenBeken T (0x100000), U/BK7252 (0x132000)
QIO_SIZES = (0x129F70, 0x100000, 0x132000)
#: the UG wrapper's magic: such a file is no image of this module
UG_MAGIC = b"\x55\xaa\x55\xaa"
#: strings of the RT-Thread OTA bootloader of the Beken SDKs (seen in a BK7252 camera bootloader whose
#: first words are no Beken vector); both must be present
RTT_BOOT_STRINGS = (b"[I/OTA] bootloader build", b"beken_onchip_crc")


def rtthread_boot(image: bytes) -> bool:
    """The (plain) bootloader ``image`` holds both RT-Thread OTA bootloader strings."""
    head = image[:BOOT_PARTITION_END]
    return all(m in head for m in RTT_BOOT_STRINGS)


# ------------------------------------------------------------------------------------ the QIO schema
class CrcFramedArea(c.Adapter):  # type: ignore[type-arg]
    """A code area of ``size`` physical bytes: a CRC-framed image (the codec :mod:`obkimg.codecs.crcframe`:
    32 data bytes + big-endian CRC-16 per block, the last block 0xFF-padded), then 0xFF (erased) to the
    end. Parses to the logical image up to its last used block; a strict parse (the ``strict`` keyword,
    default true) refuses a bad CRC-16. Builds the framing of the image and the 0xFF fill."""

    def __init__(self, size: int) -> None:
        super().__init__(c.Bytes(size))
        self.size = size

    def _decode(self, obj: bytes, context: Any, path: str) -> bytes:
        span = used_span(obj, 0, len(obj))  # in place: the area is up to 1.2 MiB
        used = span[1] if span is not None else 0
        framed = memoryview(obj)[: -(-used // BLOCK) * BLOCK]
        return crcframe.unframe(framed, strict=is_strict(context), fmt=FMT_QIO)

    def _encode(self, obj: bytes, context: Any, path: str) -> bytes:
        framed = crcframe.frame(obj)
        if len(framed) > self.size:
            raise c.ExplicitError(f"{len(framed)} framed bytes do not fit in a {self.size:#x}-byte area")
        return framed + b"\xff" * (self.size - len(framed))


class FramedTrailer(c.Adapter):  # type: ignore[type-arg]
    """An in-flash RBL trailer: the 96-byte RBL header (:mod:`obkimg.formats.bk7231.rbl`) CRC-framed on its
    own (3 blocks, 102 bytes). Parses to the 96 header bytes, or None where the 102 bytes are erased;
    builds None as 102 x 0xFF."""

    def __init__(self) -> None:
        super().__init__(c.Bytes(RBL_FRAMED_SIZE))

    def _decode(self, obj: bytes, context: Any, path: str) -> bytes | None:
        if obj == b"\xff" * RBL_FRAMED_SIZE:
            return None
        return crcframe.unframe(obj, strict=is_strict(context), fmt=FMT_QIO)

    def _encode(self, obj: bytes | None, context: Any, path: str) -> bytes:
        return b"\xff" * RBL_FRAMED_SIZE if obj is None else crcframe.frame(obj)


@functools.cache
def qio_schema(bootloader_rbl: int | None = 0x10F9A, app_rbl: int = 0x129F0A) -> c.Construct:  # type: ignore[type-arg]
    """The QIO image of spec §5.2 with its two trailers at physical ``bootloader_rbl`` (None: no
    bootloader trailer, the bootloader area runs to 0x11000) and ``app_rbl`` (the file ends 102 bytes
    later); the offsets of a layout are in :data:`~obkimg.formats.bk7231.layout.LAYOUTS`::

        0x0           bootloader      CRC-framed bootloader ``_enc`` image, 0xFF to bootloader_rbl
        boot_rbl      bootloader_rbl  framed RBL header (102 bytes)
        +102          (0xFF)          erased up to 0x11000 (0x1100 bytes with the trailer at 0xFE9A)
        0x11000       app             CRC-framed app ``_enc`` image, 0xFF to app_rbl
        app_rbl       app_rbl         framed RBL header (102 bytes): end of the file
    """
    boot_end = BOOT_PARTITION_END if bootloader_rbl is None else bootloader_rbl
    fields: list[Any] = ["bootloader" / CrcFramedArea(boot_end)]
    if bootloader_rbl is not None:
        fields.append("bootloader_rbl" / FramedTrailer())
        fields.append(c.Const(b"\xff" * (APP_START - bootloader_rbl - RBL_FRAMED_SIZE)))
    fields.append("app" / CrcFramedArea(app_rbl - APP_START))
    fields.append("app_rbl" / FramedTrailer())
    return c.Struct(*fields)


# ------------------------------------------------------------------------------------ the model
@dataclass(frozen=True, slots=True)
class Bk7231Image(BytesImage):
    """A BK7231 QIO image, UA image, flash dump, bootloader or bare app (see module docstring)."""

    data: bytes = field(repr=False)
    #: the evidence model's answer (chip, candidates, evidence), see :mod:`obkimg.chipid`
    chip_id: ChipId | None
    layout: FlashLayout | None
    key_class: KeyClass
    bootloader: CodePart | None
    boot: BootInfo | None
    app: CodePart | None
    #: physical flash offset of file byte 0 (0x11000 for a dump read from 0x11000 with wrap-around)
    rotation: int = 0
    region_list: tuple[Region, ...] = ()
    problem_list: tuple[Problem, ...] = ()
    #: what the plain app says it is (:func:`obkimg.formats.bk7231.layout.app_identity`)
    app_ident: dict[str, str] | None = None
    partitions: DataPartitions = field(default_factory=DataPartitions)
    #: the format id (one of KINDS)
    kind: str = FMT_QIO
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @property
    def chip(self) -> str | None:
        """The chip the evidence proves (:attr:`chip_id`), or None."""
        return self.chip_id.chip if self.chip_id is not None else None

    @property
    def chip_name(self) -> str | None:
        """Same as :attr:`chip` (the evidence model's named chip)."""
        return self.chip_id.chip if self.chip_id is not None else None

    @property
    def chip_reason(self) -> str:
        """The evidence for the chip (or for the candidates), as text."""
        return self.chip_id.reason if self.chip_id is not None else ""

    @property
    def chip_candidates(self) -> list[str]:
        """The chips the evidence leaves (one when ``chip`` is named, empty when nothing is known)."""
        if self.chip_id is not None:
            return list(self.chip_id.candidates)
        return [self.chip] if self.chip else []

    def regions(self) -> list[Region]:
        return list(self.region_list)

    def problems(self) -> list[Problem]:
        return list(self.problem_list)

    # --------------------------------------------------------------------------------- app access
    def app_identity(self) -> dict[str, str] | None:
        """What the plain app says it is (:func:`obkimg.formats.bk7231.layout.app_identity`): ``firmware``,
        ``platform``, ``version`` or ``sdk``, ``text``...; ``None`` when the app is absent, cannot be
        decrypted or names nothing."""
        return self.app_ident

    def original_app_length(self) -> int | None:
        """Length of the ``.bin`` the app was encrypted from (Beken encrypt v0.3.1 model), if known."""
        if "original_length" not in self._cache:
            length = None
            if self.app is not None and self.app.key is not None and self.app.image_size % DATA == 16:
                length = bkcipher.recover_v031_length(self.app.image, self.app.key, APP_LOGICAL)
            self._cache["original_length"] = length
        value: int | None = self._cache["original_length"]
        return value

    def plain_app(self, key: Key | None = None, *, trim: bool = True) -> bytes:
        """The app as a plain ARM binary (linked at 0x10000), decrypted with ``key`` (default: the key
        found). With ``trim`` it is cut to the original ``.bin`` length when the encrypt v0.3.1 tail
        model recovers it (spec §3.4: the last ≤ 48 bytes of such images are tool garbage otherwise)."""
        if self.app is None:
            raise NotFoundError("no app in this image", fmt=self.kind)
        app = self.app
        k = app.key if key is None else key
        if k is None:
            raise DecryptError(
                "unknown code key: the app's first words decrypt to no ARM vector with the Tuya, "
                "UASCENT or zero key; pass key=",
                fmt=self.kind,
                offset=app.offset,
            )
        plain = bkcipher.crypt(app.image, k, APP_LOGICAL)
        if not is_arm_vector(plain[:8]):
            raise DecryptError(
                "the key does not decrypt the app to an ARM vector", fmt=self.kind, offset=app.offset
            )
        n = None
        if trim and app.image_size % DATA == 16:
            n = bkcipher.recover_v031_length(app.image, k, APP_LOGICAL)
        if n is not None:
            # encrypt v0.3.1 encrypted the partial last word with the address *without* 0x10000 (§3.4)
            w = n - n % 4
            plain = plain[:w] + bkcipher.crypt(app.image[w : w + 4], k, w)[: n - w]
        return plain

    # --------------------------------------------------------------------------------- details
    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "layout": self.layout.name if self.layout else None,
            "layout_description": self.layout.description if self.layout else None,
            "key_class": self.key_class,
            "key": bkcipher.key_hex(self.key) if self.key is not None else None,
            "chip_evidence": self.chip_reason,
            "chip_candidates": self.chip_candidates,
            "chip_label": self.chip_id.label if self.chip_id is not None else self.chip_name,
            "rotation": self.rotation,
            "bootloader": self._boot_details(),
            "app": self._app_details(),
        }
        d.update(self.partitions.to_dict())
        return d

    @property
    def key(self) -> Key | None:
        """The code key found: the app's, else the bootloader's (None when no known key fits)."""
        if self.app is not None and self.app.key is not None:
            return self.app.key
        if self.bootloader is not None:
            return self.bootloader.key
        return None

    def _boot_details(self) -> dict[str, Any] | None:
        b = self.bootloader
        if b is None:
            return None
        info = self.boot
        fp = info.fingerprint if info else None
        return {
            "offset": b.offset,
            "size": b.size,
            "framed": b.framed,
            "image_size": b.image_size,
            "key_class": b.key_class,
            "encrypted": None if b.key is None else not bkcipher.is_bypass(b.key),
            "marker": info.marker if info else False,
            "fingerprint": f"{fp.crc:#010x} {fp.name}" if fp else None,
            "version": info.version if info else None,
            "fal": info.fal.to_dict()["entries"] if info and info.fal else None,
            "crc_bad_blocks": len(b.frame.bad_offsets) if b.frame else 0,
            "rbl": b.trailer.to_dict(b.payload_crc_ok) if b.trailer else None,
        }

    def _app_details(self) -> dict[str, Any] | None:
        a = self.app
        if a is None:
            return None
        return {
            "offset": a.offset,
            "size": a.size,
            "framed": a.framed,
            "image_size": a.image_size,
            "key_class": a.key_class,
            "decrypt_ok": a.decrypt_ok,
            "original_length": self.original_app_length(),
            "identity": self.app_identity(),
            "crc_bad_blocks": len(a.frame.bad_offsets) if a.frame else 0,
            "rbl": a.trailer.to_dict(a.payload_crc_ok) if a.trailer else None,
        }

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        lines = []
        if self.layout:
            lines.append(f"layout: {self.layout.name} ({self.layout.description})")
        if self.rotation:
            lines.append(
                f"rotated dump: file offset 0 is flash {self.rotation:#x} (read with wrap-around); "
                "offsets shown are flash addresses"
            )
        if self.chip_id is not None and self.chip_name is None and self.chip_id.candidates:
            lines.append(f"chip: cannot tell, {self.chip_id.label}")
        key = f" ({bkcipher.key_hex(self.key)})" if self.key else ""
        lines.append(f"code key: {self.key_class}{key}")
        if self.chip_reason:
            lines.append(f"chip evidence: {self.chip_reason}")
        if self.boot is not None and self.boot.version:
            lines.append(f"bootloader: {self.boot.version}")
        ident = self.app_identity()
        if ident:
            lines.append(f"app: {ident['text']}")
        if self.app is not None:
            n = self.original_app_length()
            if n is not None:
                lines.append(f"app .bin length (encrypt v0.3.1 model): {n} bytes")
        parts = self.partitions
        for v, label in ((parts.download, "download"), (parts.rf, "RF"), (parts.obk_config, "OBK config")):
            if v is not None and v.summary:
                lines.append(f"{label}: {v.summary}")
        return lines

    # --------------------------------------------------------------------------------- build
    def flash(self) -> bytes:
        """The input in flash order (a rotated dump rotated back; otherwise the input itself)."""
        return self.data[-self.rotation :] + self.data[: -self.rotation] if self.rotation else self.data

    def _part_image(self, part: CodePart) -> bytes:
        """The logical image of ``part`` with its FAL table re-encoded from the model."""
        image = bytearray(part.image)
        boot = self.boot
        if (
            part is self.bootloader
            and boot is not None
            and boot.fal is not None
            and boot.fal_offset is not None
        ):
            image[boot.fal_offset : boot.fal_offset + boot.fal.size] = boot.fal.build()
        return bytes(image)

    def build(self) -> bytes:
        """The file rebuilt from the parsed parts: code images re-framed (CRC-16 recomputed), FAL table
        and RBL trailers re-encoded from their models, everything else copied. Equals the input for
        every intact image; bad CRC blocks come out repaired."""
        if self.kind == FMT_APP and self.app is not None:
            return self.app.image
        out = bytearray(self.flash())
        for part in (self.bootloader, self.app):
            if part is None:
                continue
            image = self._part_image(part)
            if not part.framed:
                out[part.offset : part.offset + len(image)] = image
                continue
            framed = crcframe.frame(image)[: part.size]
            out[part.offset : part.offset + len(framed)] = framed
            t = part.trailer
            if t is not None and t.header is not None:
                raw = crcframe.frame(t.header.build(keep_info_crc=True))
                end = min(len(out), t.offset + RBL_FRAMED_SIZE)
                out[t.offset : end] = raw[: end - t.offset]
        flash = bytes(out)
        return flash[self.rotation :] + flash[: self.rotation] if self.rotation else flash

    # --------------------------------------------------------------------------------- verify
    def verify(self) -> list[Problem]:
        found = Image.verify(self)
        for part in (self.bootloader, self.app):
            if part is None or part.trailer is None or part.trailer.header is None:
                continue
            h = part.trailer.header
            if len(part.image) >= h.size_raw:
                got = fnv1a32(part.image[: h.size_raw])
                if got != h.hash:
                    found.append(
                        Problem(
                            "error",
                            f"{part.name} RBL: FNV-1a hash mismatch (stored {h.hash:#010x}, "
                            f"computed {got:#010x})",
                            part.trailer.offset,
                            self.kind,
                        )
                    )
        return found

    def artifacts(self) -> list[Artifact]:
        out: list[Artifact] = []
        b = self.bootloader
        if b is not None:
            desc = "bootloader image as stored (CRC stripped)"
            out.append(Artifact("bootloader_image.bin", b.image, "bootloader", "bootloader", desc))
            if b.key is not None and not bkcipher.is_bypass(b.key):
                plain = decrypt_bootloader(b.image, b.key)
                desc = "bootloader decrypted (marker and FAL kept)"
                out.append(Artifact("bootloader_plain.bin", plain, "bootloader", "bootloader", desc))
        a = self.app
        if a is not None:
            kind = "app-encrypted" if a.key_class != "zero" else "app-plain"
            out.append(Artifact("app_image.bin", a.image, kind, "app", "app image as stored (CRC stripped)"))
            if a.key is not None and not bkcipher.is_bypass(a.key):
                desc = "app decrypted to a plain ARM binary (original length when recoverable)"
                out.append(Artifact("app_plain.bin", self.plain_app(), "app-plain", "app", desc))
        return out


@dataclass(frozen=True, slots=True)
class QioParts:
    """Everything a QIO image is made of (spec §4.3/§5.2)."""

    #: the bootloader image (``bootloader_enc.bin``: logical, no CRC)
    bootloader: bytes = field(repr=False)
    bootloader_rbl: RblHeader | None
    #: the app image (``app_enc.bin``: logical, no CRC, encrypted for 0x10000)
    app: bytes = field(repr=False)
    app_rbl: RblHeader | None
    #: physical offsets of the two trailers; the QIO ends at app_rbl_offset + 102
    bootloader_rbl_offset: int = 0x10F9A
    app_rbl_offset: int = 0x129F0A


# ------------------------------------------------------------------------------------ detection
def rotation_of(data: bytes, *, head_ok: bool | None = None) -> int:
    """0x11000 when ``data`` is a flash dump read from 0x11000 with wrap-around (app first, bootloader
    at the end), else 0. ``head_ok``: :func:`frames_ok` of the first 8 blocks, when the caller has it."""
    n = len(data)
    if n < 0x100000 or n % 0x1000:
        return 0
    b = n - BOOT_PARTITION_END
    if not (frames_ok(data, 0) if head_ok is None else head_ok) or not frames_ok(data, b):
        return 0
    if classify_key(data[:8], APP_LOGICAL)[0] == "unknown":  # a block's first 8 bytes are data
        return 0
    boot8 = data[b : b + 8]
    boot_class = classify_key(boot8, 0)[0]
    if boot_class == "unknown" and fingerprint(data[b : b + 257]) is None:
        return 0
    if (
        boot_class == "zero"
        and classify_key(boot8, APP_LOGICAL)[0] == "zero"
        and not any(data[b + o : b + o + 4] == RBL_MAGIC for o in BOOT_TRAILERS)
    ):
        return 0
    return BOOT_PARTITION_END


def _boot_gap(data: bytes) -> bool:
    """The end of the bootloader partition (before 0x11000, or 0xFF00 on the Beken SDK layout) holds
    no code: erased. An app written from 0 (a UA) runs through it."""
    return is_erased(data, 0x10F9A, BOOT_PARTITION_END) or is_erased(data, 0xFE9A, 0xFF00)


def _app_at_zero(data: bytes) -> bool:
    """The file ends with an app RBL trailer whose CRC covers the framed image from offset 0: an app
    image (a UA, or an app partition read from its start), not a QIO with a bootloader in front."""
    n = len(data)
    t = read_trailer(data, n - RBL_FRAMED_SIZE)
    if t is None or not t.header_ok or t.header is None:
        return False
    h = t.header
    phys = framed_size(h.size_raw)
    if not 0 < h.size_raw <= h.size_package or phys > t.offset:
        return False
    image = crcframe.unframe(memoryview(data)[: crcframe.logical_to_physical(h.size_raw)])  # size_raw bytes
    return trailer_payload_crc(h, image) == h.crc32


def _rotated(n: int) -> list[Detection]:
    return [
        Detection(
            FMT_DUMP,
            92,
            f"{n:#x}-byte flash dump read from 0x11000 with wrap-around: CRC-framed "
            f"app at 0, bootloader at {n - BOOT_PARTITION_END:#x}",
            None,
            0,
            n,
        ),
        Detection(
            FMT_UA, 30, "CRC-framed app at 0 (but the end of the file holds the bootloader)", None, 0, n
        ),
    ]


def _boot_like(data: bytes, boot_class: KeyClass, has_fp: bool) -> bool:
    """A framed file starting with a bootloader: a fingerprint, a key-encrypted vector, or a plaintext
    vector with bootloader signs. N-family apps carry the "BK7231\\0\\0" marker at logical 0x100 too,
    so an app written from 0 (a trailer whose CRC covers the file from 0) wins."""
    if has_fp or boot_class not in ("unknown", "zero"):
        return True
    if boot_class != "zero":
        return False
    n = len(data)
    signs = (
        data[0x110:0x118] == N_MARKER
        or any(data[o : o + 4] == RBL_MAGIC for o in BOOT_TRAILERS)
        or (n > APP_START + 8 * BLOCK and frames_ok(data, APP_START) and _boot_gap(data))
    )
    return signs and not _app_at_zero(data)


def _flash_detections(data: bytes, why: str, chip: str | None) -> list[Detection]:
    """A framed bootloader at 0 in a file longer than the bootloader partition: QIO or dump."""
    n = len(data)
    has_app = frames_ok(data, APP_START, min(8, (n - APP_START) // BLOCK))
    app_note = "CRC-framed app at 0x11000" if has_app else "no app at 0x11000"
    if n >= min(QIO_CONFIG_SIZES):
        return [
            Detection(
                FMT_DUMP,
                93,
                f"{n:#x}-byte flash dump: CRC-framed bootloader at 0 ({why}), {app_note}",
                chip,
                0,
                n,
            ),
            Detection(FMT_QIO, 40, "starts like a QIO image but extends past the app partition", None, 0, n),
        ]
    tail = n >= RBL_FRAMED_SIZE and data[n - RBL_FRAMED_SIZE : n - RBL_FRAMED_SIZE + 4] == RBL_MAGIC
    if tail or n in QIO_SIZES:
        why_tail = ", app RBL trailer at the end" if tail else ""
        text = f"QIO image: CRC-framed bootloader at 0 ({why}), {app_note}{why_tail}"
        return [Detection(FMT_QIO, 93, text, chip, 0, n)]
    return [
        Detection(
            FMT_QIO,
            80,
            f"QIO-like image of {n:#x} bytes: CRC-framed bootloader at 0 ({why}), {app_note}",
            chip,
            0,
            n,
        ),
        Detection(FMT_DUMP, 70, "partial flash dump (bootloader at 0)", None, 0, n),
    ]


def _probe_framed(data: bytes) -> list[Detection]:
    """A file whose first blocks are CRC-framed: a bootloader, a QIO, a dump or a UA."""
    n = len(data)
    first8 = data[:8]  # the first 8 data bytes of block 0 (its CRC follows byte 32)
    boot_class = classify_key(first8, 0)[0]
    fp = fingerprint(data[:257])
    if _boot_like(data, boot_class, fp is not None):
        why = (f"fingerprint {fp.name}" if fp else f"{boot_class}-key ARM vector at 0") + (
            ", N marker at 0x110" if data[0x110:0x118] == N_MARKER else ""
        )
        chip = fp.chip if fp else None
        if n <= BOOT_PARTITION_END:
            return [Detection(FMT_BOOTLOADER, 85, f"CRC-framed bootloader ({why})", chip, 0, n)]
        return _flash_detections(data, why, chip)
    app_class = classify_key(first8, APP_LOGICAL)[0]
    if app_class != "unknown":
        text = f"UA image: CRC-framed app at 0 ({app_class}-key ARM vector at logical 0x10000)"
        return [Detection(FMT_UA, 85, text, None, 0, n)]
    if n <= 2 * BOOT_PARTITION_END and rtthread_boot(crcframe.unframe(data[:BOOT_PARTITION_END])):
        return [
            Detection(FMT_BOOTLOADER, 75, "CRC-framed RT-Thread OTA bootloader (its strings)", None, 0, n)
        ]
    return []


def _plain_boot_signs(data: bytes) -> str:
    """The bootloader signs of a plain file (FAL table, N marker, version string), as text ('' if none)."""
    if len(data) > 0x11000:
        return ""
    fal = find_fal(data[-0x400:])
    marker = data[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] == N_MARKER
    version = find_bootloader_version(data[:0x10000])
    signs = (
        "FAL table" if fal else "",
        "N marker at 0x100" if marker else "",
        f"version {version}" if version else "",
    )
    return ", ".join(x for x in signs if x)


def _probe_plain(data: bytes) -> list[Detection]:
    """A file without CRC framing: a bare bootloader or app (plain or encrypted)."""
    n = len(data)
    boot_class = classify_key(data[:8], 0)[0]
    if boot_class == "zero":
        ev = _plain_boot_signs(data)
        if ev:
            return [Detection(FMT_BOOTLOADER, 82, f"plain bootloader: ARM vector at 0, {ev}", None, 0, n)]
        return [
            Detection(FMT_APP, 50, "plain ARM binary (Beken vector B/LDR PC at 0), no framing", None, 0, n)
        ]
    if boot_class != "unknown" and n <= 0x11000:
        text = f"encrypted bootloader: {boot_class}-key ARM vector at address 0"
        return [Detection(FMT_BOOTLOADER, 82, text, None, 0, n)]
    app_class = classify_key(data[:8], APP_LOGICAL)[0]
    if app_class != "unknown":
        text = f"encrypted app: {app_class}-key ARM vector at address 0x10000"
        return [Detection(FMT_APP, 78, text, None, 0, n)]
    if n <= 2 * BOOT_PARTITION_END and rtthread_boot(data):
        return [Detection(FMT_BOOTLOADER, 75, "plain RT-Thread OTA bootloader (its strings)", None, 0, n)]
    return []


def probe_rotation(data: bytes) -> tuple[list[Detection], int]:
    """:func:`probe` and :func:`rotation_of` together, each block checked once (the dump analysis
    needs both)."""
    n = len(data)
    if n < 64 or data[:4] in (RBL_MAGIC, UG_MAGIC):
        return [], 0
    head_ok = frames_ok(data, 0, min(8, n // BLOCK)) and n >= 8 * BLOCK
    rotation = rotation_of(data, head_ok=head_ok)
    if rotation:
        return _rotated(n), rotation
    if head_ok:
        return _probe_framed(data), 0
    return _probe_plain(data), 0


def probe(data: bytes) -> list[Detection]:
    """Every kind ``data`` may be, best first (empty: no BK7231 image); may raise on odd input."""
    return probe_rotation(data)[0]


def detect(data: bytes) -> list[Detection] | None:
    """Cheap probe (first blocks, fingerprints, trailer magics); never raises."""
    try:
        found = probe(bytes(data))
    except (ObkImgError, ValueError, IndexError):
        return None
    return found or None


FORMAT = FormatInfo(
    id=FMT_QIO,
    name="BK7231 QIO image / UA image / flash dump / bootloader / app",
    family="bk7231",
    description="Beken BK7231 (T/N/M/BL2028N/Q/U/BK7252) code images: QIO full images, UA app images, "
    "2 MiB and other flash dumps (also rotated by 0x11000), bootloaders (plain, _enc, "
    "CRC-framed) "
    "and bare apps; bootloader/app CRC framing, RBL trailers, FAL table, key class, layout, "
    "download partition, RF TLV (MAC), OpenBeken config and Tuya KV locations.",
    references=(
        "tuya/tuya-iotos-embeded-sdk-wifi-ble-bk7231n platforms/bk7231n/bk7231n_os/build.sh",
        "openshwprojects/BK7231GUIFlashTool BK7231Flasher/Flashers/BK7231Flasher.cs",
        "tuya-cloudcutter/bk7231tools bk7231tools/serial/base/enums.py (bootloader fingerprints)",
        "tuya-cloudcutter/bk7231tools bk7231tools/analysis/kvstorage.py (Tuya KV locator)",
    ),
    limitations=(
        "BK7231Q/U/BK7252 only from fingerprints and the OpenBeken QIO layout",
        "beken_packager UA content unverified: both 'framed app only' and 'QIO[0x11000:]' accepted",
        "apps with an unknown code key are mapped but not decrypted",
        "FNV-1a hashes of the RBL trailers are checked by verify() only",
        "the chip is named only when the evidence leaves one (obkimg.chipid): plain N-family "
        "bootloaders and zero-key N images give BK7231N/BK7231M/BL2028N as candidates",
    ),
    aliases=(FMT_UA, FMT_DUMP, FMT_BOOTLOADER, FMT_APP),
    loader="obkimg.bkdump",
)
