"""BK7231 images and flash dumps: QIO, UA, 2 MiB (and other size) dumps, bootloaders, bare apps.

Purpose: identify, map, check, take apart and rebuild byte-exactly the code images of Beken BK7231
chips (T, N, M, BL2028N, Q, U, BK7238, BK7252, BK7252N) as Tuya, OpenBeken and flashers produce them.
The chip is named by the evidence model of :mod:`obkimg.chipid` from the facts gathered here (``chip``
only when one chip fits all of them, ``chip_candidates`` otherwise):

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

QIO layout (physical offsets, BK7231N)::

    0x000000  CRC-frame(bootloader _enc image)         T: 60146 B, N: 63682 B
    ...       0xFF
    0x010F9A  bootloader RBL trailer (102 B, 3 framed blocks)
    0x011000  CRC-frame(app _enc image)                app encrypted for logical 0x10000
    ...       0xFF
    0x129F0A  app RBL trailer (T OpenBeken: 0xFFF9A, off the 34-byte grid; U/BK7252: 0x131F9A)
    0x129F70  end of the app partition = end of the QIO file

Public API: :func:`analyze` (any of the kinds above → :class:`Bk7231Image`), :func:`decrypt_app`,
:func:`app_image`, :func:`recover_app_length`, :func:`split_qio` / :func:`build_qio` (byte-exact
rebuild from bootloader image, app image and the two RBL headers), :func:`build_qio_from_app`
(plain app + bootloader + key + version), :func:`encrypt_bootloader` / :func:`decrypt_bootloader`
(the §3.5 exceptions: N marker and FAL table stay plaintext; T layout moves the table).

Limitations: BK7231Q/U/BK7252 are recognised from their fingerprints and OpenBeken QIO layout only;
dumps of 4 MiB chips are mapped up to the app only (no verified layout); BkWriter "swapped" dumps
are recognised when they are a rotation by 0x11000 (the only pattern seen); the FNV-1a hash of the
RBL trailers is only checked by ``verify()`` (pure Python, ~90 ms/MiB); QIO images with an
unknown code key are mapped but their app cannot be decrypted.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from ... import chipid
from ...chipid import ChipId
from ...codecs import bkcipher, crcframe
from ...codecs.bkcipher import Key
from ...codecs.checksums import crc32, fnv1a32
from ...errors import (
    BuildError,
    DecryptError,
    FormatError,
    MismatchError,
    NotFoundError,
    ObkImgError,
    Problem,
    TruncatedError,
)
from ...model import Artifact, BytesImage, Image, Region
from .. import Detection, FormatInfo
from .fal import FalTable, find_fal
from .layout import (
    APP_LOGICAL,
    APP_START,
    BOOT_PARTITION_END,
    LAYOUTS,
    N_MARKER,
    N_MARKER_OFFSET,
    Fingerprint,
    FlashLayout,
    app_identity,
    classify_key,
    find_bootloader_version,
    fingerprint,
    is_arm_vector,
)
from .rbl import RBL_FRAMED_SIZE, RBL_HEADER_SIZE, RBL_MAGIC, RblHeader

if TYPE_CHECKING:
    from ...codecs.crcframe import FrameReport
    from ...source import Source

__all__ = [
    "FMT_QIO",
    "FMT_UA",
    "FMT_DUMP",
    "FMT_BOOTLOADER",
    "FMT_APP",
    "KINDS",
    "Trailer",
    "CodePart",
    "Bk7231Image",
    "QioParts",
    "analyze",
    "app_image",
    "decrypt_app",
    "recover_app_length",
    "app_identity",
    "encrypt_bootloader",
    "decrypt_bootloader",
    "split_qio",
    "build_qio",
    "build_qio_from_app",
    "bootloader_region",
    "FORMAT",
    "detect",
    "load",
]

FMT_QIO = "bk7231-qio"
FMT_UA = "bk7231-ua"
FMT_DUMP = "bk7231-dump"
FMT_BOOTLOADER = "bk7231-bootloader"
FMT_APP = "bk7231-app"
KINDS = (FMT_QIO, FMT_UA, FMT_DUMP, FMT_BOOTLOADER, FMT_APP)

BLOCK = crcframe.BLOCK
DATA = crcframe.DATA
#: how many bad blocks of one region are listed as separate problems
MAX_LISTED = 16
#: in-flash trailer positions seen in the wild (physical): bootloader, app
BOOT_TRAILERS = (0x10F9A, 0xFE9A)
APP_TRAILERS = (0x129F0A, 0xFFF9A, 0x131F9A)
#: OpenBeken "QIO + config" sizes (N, T) and the smallest size that is a dump for sure
QIO_CONFIG_SIZES = (0x1D2000, 0x1E2000)
#: AES-ECB("qwertyuiopasdfgh").encrypt(16 x 0xFF): the erased tail of the Tuya KV key block, found at
#: key-block + 32 (bk7231tools ``find_storage``); checked against cryptography in the tests
TUYA_KV_FF_BLOCK = bytes.fromhex("46dced0e672f3b70ae1276a3f8712e03")
TUYA_KV_MAGICS = (0x13579753, 0x98761234, 0x135726AB)
OBK_CONFIG_MAGIC = b"CFG"
RF_MAGIC = b"TLV\0"
LFS_MAGIC = b"littlefs"


def _align(n: int, a: int) -> int:
    return -(-n // a) * a


def _framed_size(logical_len: int) -> int:
    """Physical bytes of ``logical_len`` data bytes once CRC-framed (last block padded)."""
    return _align(logical_len, DATA) // DATA * BLOCK


def _erased(data: bytes, a: int, b: int) -> bool:
    return b <= a or data.count(b"\xff", a, b) == b - a


def _bad_problems(bad: list[int] | tuple[int, ...], fmt: str, what: str) -> tuple[Problem, ...]:
    out = [Problem("error", f"{what}: bad CRC-16 in 34-byte block", off, fmt) for off in bad[:MAX_LISTED]]
    if len(bad) > MAX_LISTED:
        out.append(
            Problem(
                "error",
                f"{what}: {len(bad) - MAX_LISTED} more bad CRC-16 blocks (of {len(bad)})",
                bad[MAX_LISTED],
                fmt,
            )
        )
    return tuple(out)


def _frames_ok(data: bytes, off: int, blocks: int = 8) -> bool:
    """The first ``blocks`` 34-byte blocks at ``off`` all carry valid CRCs (none erased)."""
    chunk = data[off : off + blocks * BLOCK]
    if len(chunk) < blocks * BLOCK:
        return False
    rep = crcframe.verify(chunk)
    return rep.valid == blocks


# ------------------------------------------------------------------------------------ trailers
@dataclass(frozen=True, slots=True)
class Trailer:
    """An in-flash RBL trailer (96-byte header CRC-framed on its own, 102 bytes)."""

    offset: int
    header: RblHeader | None
    bad_blocks: tuple[int, ...] = ()
    error: str | None = None

    @property
    def header_ok(self) -> bool:
        """True when the trailer parsed, none of its three CRC-16 frame blocks is bad and its header CRC-32
        (``info_crc32``) matches."""
        return self.header is not None and not self.bad_blocks and self.header.header_valid

    def problems(self, fmt: str, what: str) -> tuple[Problem, ...]:
        """The trailer's problems, each prefixed with ``what``: bad CRC-16 blocks (at their physical offsets),
        the parse error, or a bad header CRC-32 (at the physical offset of ``info_crc32``)."""
        out = list(_bad_problems(self.bad_blocks, fmt, what))
        if self.error:
            out.append(Problem("error", f"{what}: {self.error}", self.offset, fmt))
        elif self.header is not None and not self.header.header_valid:
            out.append(
                Problem(
                    "error",
                    f"{what}: bad header CRC-32 (stored {self.header.info_crc32:#010x}, "
                    f"computed {self.header.computed_info_crc32:#010x})",
                    self.offset + crcframe.logical_to_physical(0x5C),
                    fmt,
                )
            )
        return tuple(out)


def _read_trailer(data: bytes, off: int) -> Trailer | None:
    if off < 0 or off + 4 > len(data) or data[off : off + 4] != RBL_MAGIC:
        return None
    chunk = data[off : off + RBL_FRAMED_SIZE]
    if len(chunk) < RBL_FRAMED_SIZE:
        return Trailer(off, None, (), f"truncated: {len(chunk)} of {RBL_FRAMED_SIZE} bytes")
    rep = crcframe.verify(chunk, base=off)
    try:
        hdr = RblHeader.parse_framed(chunk, base=off, strict=False)
    except ObkImgError as e:
        return Trailer(off, None, tuple(rep.bad_offsets), e.message)
    return Trailer(off, hdr, tuple(rep.bad_offsets))


def _trailer_payload_crc(hdr: RblHeader, image: bytes) -> int:
    """CRC-32 of the image padded PKCS-style up to size_package (spec §4.3 step 2)."""
    pad = hdr.size_package - hdr.size_raw
    body = image[: hdr.size_raw]
    if 0 < pad < 256:
        body += bytes([pad]) * pad
    return crc32(body)


# ------------------------------------------------------------------------------------ code parts
@dataclass(frozen=True, slots=True)
class CodePart:
    """The bootloader or the app of an image: where it is and what it holds."""

    name: str
    #: file offset of its first byte and its size in the file (physical when ``framed``)
    offset: int
    size: int
    framed: bool
    #: logical address it is encrypted for (0 for the bootloader, 0x10000 for the app)
    address: int
    #: the logical (CRC-stripped) image as stored, ``image_size`` bytes (encrypted for non-zero keys)
    image: bytes = field(repr=False)
    key_class: str = "unknown"
    key: Key | None = None
    frame: FrameReport | None = field(default=None, repr=False)
    trailer: Trailer | None = None
    #: trailer CRC-32 over the PKCS-padded image matches (None without trailer)
    payload_crc_ok: bool | None = None

    @property
    def image_size(self) -> int:
        """Length in bytes of the logical (CRC-stripped) image."""
        return len(self.image)

    @property
    def decrypt_ok(self) -> bool:
        """True when a code key was found for the image (:meth:`plain` works)."""
        return self.key is not None

    def plain(self) -> bytes:
        """The image decrypted with the detected key (DecryptError when no key fits)."""
        if self.key is None:
            raise DecryptError(
                f"{self.name}: no known code key turns its first words into an ARM vector (unknown key)",
                fmt=FMT_QIO,
                offset=self.offset,
            )
        return bkcipher.crypt(self.image, self.key, self.address)


def _classify(image: bytes, address: int) -> tuple[str, Key | None]:
    return classify_key(image[:8], address)


def _code_from_framed(
    data: bytes,
    name: str,
    start: int,
    limit: int,
    address: int,
    trailer: Trailer | None,
    images: dict[int, bytes] | None = None,
) -> CodePart:
    """A CRC-framed code part at file offset ``start``; ``limit`` = where its partition ends in the file.
    ``images``: images already unframed by :func:`_pick_trailer` (by trailer offset), not redone."""
    limit = min(limit, len(data))
    img_len: int | None = None
    if trailer is not None and trailer.header is not None:
        h = trailer.header
        if 0 < h.size_raw <= h.size_package and start + _framed_size(h.size_raw) <= min(
            trailer.offset, limit
        ):
            img_len = h.size_raw
    if img_len is None:
        # the last non-empty 34-byte block before the trailer / end of the partition
        end = min(trailer.offset, limit) if trailer is not None else limit
        n = max(0, (end - start) // BLOCK)
        img_len = 0
        if n:
            # everything after the last non-0xFF byte is erased, so its block is the last one used
            used = len(data[start : start + n * BLOCK].rstrip(b"\xff"))
            if used:
                img_len = ((used - 1) // BLOCK + 1) * DATA
        tail = end - start - n * BLOCK
        if tail and not _erased(data, start + n * BLOCK, end) and end == len(data):
            img_len = n * DATA + min(tail, DATA)
    phys = min(_framed_size(img_len), len(data) - start)
    raw = data[start : start + phys]
    frame = crcframe.verify(raw, base=start)
    known = images.get(trailer.offset) if images and trailer is not None else None
    if known is not None and len(known) == img_len and phys == _framed_size(img_len):
        image = known  # the same bytes _pick_trailer unframed to check the trailer's CRC-32
    else:
        image = crcframe.unframe(raw)[:img_len]
    key_class, key = _classify(image, address)
    crc_ok = None
    if trailer is not None and trailer.header is not None and len(image) >= trailer.header.size_raw:
        crc_ok = _trailer_payload_crc(trailer.header, image) == trailer.header.crc32
    return CodePart(name, start, phys, True, address, image, key_class, key, frame, trailer, crc_ok)


def _code_from_raw(data: bytes, name: str, address: int) -> CodePart:
    key_class, key = _classify(data, address)
    return CodePart(name, 0, len(data), False, address, data, key_class, key)


# ------------------------------------------------------------------------------------ bootloader
def _find_version_in(image: bytes, key: Key | None) -> str | None:
    v = find_bootloader_version(image)
    if v is None and key is not None and not bkcipher.is_bypass(key):
        v = find_bootloader_version(bkcipher.crypt(image[: len(image) - len(image) % 4], key, 0))
    return v


def decrypt_bootloader(enc: bytes | bytearray | memoryview, key: Key | str = bkcipher.KEY_TUYA) -> bytes:
    """The plain bootloader from its ``_enc`` image (inverse of :func:`encrypt_bootloader`).

    N style: everything decrypted at address 0 except the marker at 0x100..0x107 and the FAL table.
    T style (16 x 0xFF before a table that follows a 32-aligned encrypted body): the body is decrypted,
    its 0xFF padding (< 32 bytes) dropped and the table appended. A plain ARM vector is returned as is.
    """
    k = bkcipher.parse_key(key) if not isinstance(key, tuple) else key
    img = bytes(enc)
    if bkcipher.is_bypass(k) or is_arm_vector(img[:8]):
        return img
    fal = find_fal(img)
    if fal is not None:
        off, table = fal
        body_end = off - 16
        if body_end > 0 and body_end % DATA == 0 and img[body_end:off] == b"\xff" * 16:
            body = bkcipher.crypt(img[:body_end], k, 0)
            n = len(body)
            while n > body_end - (DATA - 1) and body[n - 1] == 0xFF:
                n -= 1
            return body[:n] + img[off:]
    out = bytearray(bkcipher.crypt(img[: len(img) - len(img) % 4], k, 0) + img[len(img) - len(img) % 4 :])
    if img[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] == N_MARKER:
        out[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] = N_MARKER
    if fal is not None:
        off, table = fal
        out[off : off + table.size] = img[off : off + table.size]
    return bytes(out)


def encrypt_bootloader(
    plain: bytes | bytearray | memoryview, key: Key | str = bkcipher.KEY_TUYA, *, style: str | None = None
) -> bytes:
    """The ``_enc`` bootloader image the vendor tools make from a plain bootloader (spec §3.5).

    ``style`` ``"n"``: E(plain, address 0) except the marker at 0x100..0x107 and the trailing FAL table
    (same length). ``"t"``: E(plain[:table] + 0xFF up to 32-alignment) + 16 x 0xFF + the table (the
    table moves). Default: ``"n"`` when the plain image carries the N marker, else ``"t"``. A bypass key
    (all zero) returns the plain image unchanged.
    """
    k = bkcipher.parse_key(key) if not isinstance(key, tuple) else key
    img = bytes(plain)
    if not is_arm_vector(img[:8]):
        raise BuildError("not a plain bootloader (no ARM vector at 0)", fmt=FMT_BOOTLOADER, offset=0)
    if bkcipher.is_bypass(k):
        return img
    if style is None:
        style = "n" if img[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] == N_MARKER else "t"
    fal = find_fal(img)
    if style == "t":
        if fal is None:
            raise BuildError(
                "T-style bootloader encryption needs the FAL table at the end", fmt=FMT_BOOTLOADER
            )
        off, _ = fal
        body = img[:off] + b"\xff" * (-off % DATA)
        return bkcipher.crypt(body, k, 0) + b"\xff" * 16 + img[off:]
    if style != "n":
        raise BuildError(f"unknown bootloader style {style!r} (n or t)", fmt=FMT_BOOTLOADER)
    w = len(img) - len(img) % 4
    out = bytearray(bkcipher.crypt(img[:w], k, 0) + img[w:])
    if img[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] == N_MARKER:
        out[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] = N_MARKER
    if fal is not None:
        off, table = fal
        out[off : off + table.size] = img[off : off + table.size]
    return bytes(out)


@dataclass(frozen=True, slots=True)
class BootInfo:
    """What the bootloader tells: marker, fingerprint, version, FAL table."""

    marker: bool
    fingerprint: Fingerprint | None
    version: str | None
    fal_offset: int | None
    fal: FalTable | None

    @property
    def fal_download(self) -> tuple[int, int] | None:
        """The FAL ``download`` partition as ``(offset, length)`` in bytes, or ``None`` without a FAL table or
        that entry."""
        if self.fal is None:
            return None
        e = self.fal.get("download")
        return (e.offset, e.length) if e is not None else None


def _boot_info(part: CodePart, physical_head: bytes) -> BootInfo:
    img = part.image
    marker = img[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] == N_MARKER
    fp = fingerprint(physical_head)
    version = _find_version_in(img, part.key)
    fal = find_fal(img)
    return BootInfo(marker, fp, version, fal[0] if fal else None, fal[1] if fal else None)


# ------------------------------------------------------------------------------------ the model
@dataclass(frozen=True, slots=True)
class Bk7231Image(BytesImage):
    """A BK7231 QIO image, UA image, flash dump, bootloader or bare app (see module docstring)."""

    data: bytes = field(repr=False)
    chip_name: str | None
    chip_reason: str
    layout: FlashLayout | None
    key_class: str
    bootloader: CodePart | None
    boot: BootInfo | None
    app: CodePart | None
    #: physical flash offset of file byte 0 (0x11000 for a dump read from 0x11000 with wrap-around)
    rotation: int = 0
    region_list: tuple[Region, ...] = ()
    problem_list: tuple[Problem, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict, repr=False)
    #: the format id (one of KINDS)
    kind: str = FMT_QIO
    #: the evidence model's answer (chip, candidates, evidence), see :mod:`obkimg.chipid`
    chip_id: ChipId | None = None

    @property
    def chip(self) -> str | None:
        return self.chip_name

    @property
    def chip_candidates(self) -> list[str]:
        """The chips the evidence leaves (one when ``chip`` is named, empty when nothing is known)."""
        if self.chip_id is not None:
            return list(self.chip_id.candidates)
        return [self.chip_name] if self.chip_name else []

    def regions(self) -> list[Region]:
        return list(self.region_list)

    def problems(self) -> list[Problem]:
        return list(self.problem_list)

    # --------------------------------------------------------------------------------- app access
    def app_identity(self) -> dict[str, str] | None:
        """What the plain app says it is (:func:`obkimg.formats.bk7231.layout.app_identity`): ``firmware``,
        ``platform``, ``version`` or ``sdk``, ``text``...; ``None`` when the app is absent, cannot be
        decrypted or names nothing."""
        return self.extra.get("app_identity")

    def original_app_length(self) -> int | None:
        """Length of the ``.bin`` the app was encrypted from (Beken encrypt v0.3.1 model), if known."""
        if "original_length" not in self.extra:
            length = None
            if self.app is not None and self.app.key is not None and self.app.image_size % DATA == 16:
                length = bkcipher.recover_v031_length(self.app.image, self.app.key, APP_LOGICAL)
            self.extra["original_length"] = length
        value: int | None = self.extra["original_length"]
        return value

    # --------------------------------------------------------------------------------- details
    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        d: dict[str, Any] = {
            "layout": self.layout.name if self.layout else None,
            "layout_description": self.layout.description if self.layout else None,
            "key_class": self.key_class,
            "key": bkcipher.key_hex(self._key) if self._key is not None else None,
            "chip_evidence": self.chip_reason,
            "chip_candidates": self.chip_candidates,
            "chip_label": self.chip_id.label if self.chip_id is not None else self.chip_name,
            "rotation": self.rotation,
            "bootloader": self._boot_details(),
            "app": self._app_details(),
        }
        for k in ("download", "rf", "obk_config", "tuya_kv", "littlefs"):
            d[k] = self.extra.get(k)
        return d

    @property
    def _key(self) -> Key | None:
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
        return {
            "offset": b.offset,
            "size": b.size,
            "framed": b.framed,
            "image_size": b.image_size,
            "key_class": b.key_class,
            "encrypted": None if b.key is None else not bkcipher.is_bypass(b.key),
            "marker": info.marker if info else False,
            "fingerprint": (
                f"{info.fingerprint.crc:#010x} {info.fingerprint.name}" if info and info.fingerprint else None
            ),
            "version": info.version if info else None,
            "fal": info.fal.to_dict()["entries"] if info and info.fal else None,
            "crc_bad_blocks": len(b.frame.bad_offsets) if b.frame else 0,
            "rbl": _trailer_dict(b.trailer, b.payload_crc_ok),
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
            "rbl": _trailer_dict(a.trailer, a.payload_crc_ok),
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
        key = f" ({bkcipher.key_hex(self._key)})" if self._key else ""
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
        for k, label in (("download", "download"), ("rf", "RF"), ("obk_config", "OBK config")):
            v = self.extra.get(k)
            if v and v.get("summary"):
                lines.append(f"{label}: {v['summary']}")
        return lines

    # --------------------------------------------------------------------------------- build
    def flash(self) -> bytes:
        """The input in flash order (a rotated dump rotated back; otherwise the input itself)."""
        return self.data[-self.rotation :] + self.data[: -self.rotation] if self.rotation else self.data

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
            image = bytearray(part.image)
            if (
                part is self.bootloader
                and self.boot is not None
                and self.boot.fal is not None
                and self.boot.fal_offset is not None
            ):
                off = self.boot.fal_offset
                image[off : off + self.boot.fal.size] = self.boot.fal.build()
            if not part.framed:
                out[part.offset : part.offset + len(image)] = image
                continue
            framed = crcframe.frame(bytes(image))[: part.size]
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
        if self.bootloader is not None:
            b = self.bootloader
            out.append(
                Artifact(
                    "bootloader_image.bin",
                    b.image,
                    "bootloader",
                    "bootloader",
                    "bootloader image as stored (CRC stripped)",
                )
            )
            if b.key is not None and not bkcipher.is_bypass(b.key):
                out.append(
                    Artifact(
                        "bootloader_plain.bin",
                        decrypt_bootloader(b.image, b.key),
                        "bootloader",
                        "bootloader",
                        "bootloader decrypted (marker and FAL kept)",
                    )
                )
        if self.app is not None:
            a = self.app
            out.append(
                Artifact(
                    "app_image.bin",
                    a.image,
                    "app-encrypted" if a.key_class != "zero" else "app-plain",
                    "app",
                    "app image as stored (CRC stripped)",
                )
            )
            if a.key is not None and not bkcipher.is_bypass(a.key):
                out.append(
                    Artifact(
                        "app_plain.bin",
                        decrypt_app(self),
                        "app-plain",
                        "app",
                        "app decrypted to a plain ARM binary (original length when recoverable)",
                    )
                )
        return out


def _mk(
    kind: str,
    data: bytes,
    cid: ChipId,
    layout: FlashLayout | None,
    key_class: str,
    bootloader: CodePart | None,
    boot: BootInfo | None,
    app: CodePart | None,
    rotation: int,
    regions: tuple[Region, ...],
    problems: tuple[Problem, ...],
    extra: dict[str, Any],
) -> Bk7231Image:
    return Bk7231Image(
        data=data,
        chip_name=cid.chip,
        chip_reason=cid.reason,
        layout=layout,
        key_class=key_class,
        bootloader=bootloader,
        boot=boot,
        app=app,
        rotation=rotation,
        region_list=regions,
        problem_list=problems,
        extra=extra,
        kind=kind,
        chip_id=cid,
    )


def _boot_evidence(info: BootInfo) -> dict[str, Any]:
    """The bootloader facts :func:`obkimg.chipid.for_code` takes."""
    app = info.fal.get("app") if info.fal is not None else None
    return {
        "fingerprint": info.fingerprint,
        "marker": info.marker,
        "version": info.version,
        "fal_download": info.fal_download,
        "fal_app_length": app.length if app is not None else None,
    }


def _rbl_evidence(*parts: CodePart | None) -> tuple[chipid.Evidence | None, ...]:
    """What the in-flash RBL trailers' name/version fields say of the chip (mostly nothing: "app")."""
    out = []
    for p in parts:
        h = p.trailer.header if p is not None and p.trailer is not None else None
        if h is not None:
            out.append(chipid.from_rbl_name(h.name, h.version))
    return tuple(out)


def _layout_chip(cid: ChipId) -> str | None:
    """The chip whose layout applies: the named chip, else the family all candidates share."""
    if cid.chip or not cid.candidates or cid.conflict:
        return cid.chip
    cands = set(cid.candidates)
    if cands <= chipid.N_FAMILY:
        return "BK7231N"
    if cands <= chipid.U_CLASS:
        return "BK7231U"
    return None


def _trailer_dict(t: Trailer | None, crc_ok: bool | None) -> dict[str, Any] | None:
    if t is None:
        return None
    d: dict[str, Any] = {"offset": t.offset, "frame_ok": not t.bad_blocks, "error": t.error}
    if t.header is not None:
        d.update(t.header.to_dict())
    d["payload_crc_ok"] = crc_ok
    return d


# ------------------------------------------------------------------------------------ regions
class _Map:
    """Collects top-level regions (no overlap), nested regions and problems."""

    def __init__(self, data: bytes, fmt: str) -> None:
        self.data = data
        self.fmt = fmt
        self.top: list[Region] = []
        self.nested: list[Region] = []
        self.problems: list[Problem] = []

    def add(self, r: Region, *, nested: bool = False) -> None:
        (self.nested if nested else self.top).append(r)

    def fill_gaps(self, start: int, end: int) -> None:
        """Erased / data regions between the top-level regions in [start, end)."""
        cuts = sorted((r.offset, r.end) for r in self.top)
        pos = start
        gaps = []
        for a, b in cuts:
            if a > pos:
                gaps.append((pos, min(a, end)))
            pos = max(pos, b)
        if pos < end:
            gaps.append((pos, end))
        for a, b in gaps:
            if b <= a:
                continue
            if _erased(self.data, a, b):
                self.top.append(Region("erased", a, b - a, "erased", "erased"))
                continue
            seg = self.data[a:b]
            first = len(seg) - len(seg.lstrip(b"\xff"))
            last = len(seg.rstrip(b"\xff")) - 1
            lo = max(a, (a + first) // 0x1000 * 0x1000)
            hi = min(b, _align(a + last + 1, 0x1000))
            if lo > a:
                self.top.append(Region("erased", a, lo - a, "erased", "erased"))
            self.top.append(
                Region(
                    "data",
                    lo,
                    hi - lo,
                    "data",
                    "unknown",
                    detail={"non_ff_bytes": len(seg) - seg.count(0xFF)},
                )
            )
            if hi < b:
                self.top.append(Region("erased", hi, b - hi, "erased", "erased"))

    def regions(self) -> tuple[Region, ...]:
        allr = self.top + self.nested
        return tuple(sorted(allr, key=lambda r: (r.offset, 0 if r in self.top else 1, -r.size)))


def _code_region(part: CodePart, fmt: str, region_name: str, detail: dict[str, Any]) -> Region:
    probs: list[Problem] = []
    state = "valid"
    if part.frame is not None:
        probs += _bad_problems(part.frame.bad_offsets, fmt, region_name)
        if part.frame.bad_offsets:
            state = "bad-crc"
        if part.frame.trailing:
            at = part.offset + part.size - part.frame.trailing
            probs.append(
                Problem(
                    "error",
                    f"{region_name}: file ends inside a 34-byte block ({part.frame.trailing} bytes)",
                    at,
                    fmt,
                )
            )
            state = "invalid" if state == "valid" else state
        detail = {**detail, "crc_blocks": part.frame.blocks, "crc_empty_blocks": part.frame.empty}
    if part.key is None:
        probs.append(
            Problem(
                "warning", f"{region_name}: no known code key decrypts it (unknown key)", part.offset, fmt
            )
        )
        if state == "valid":
            state = "unknown"
    return Region(
        region_name,
        part.offset,
        part.size,
        "bootloader" if part.name == "bootloader" else "app",
        state,
        tuple(probs),
        detail,
    )


def _trailer_region(t: Trailer, part: CodePart | None, fmt: str, name: str, total: int) -> Region:
    probs = list(t.problems(fmt, name))
    state = "valid" if t.header_ok else ("bad-crc" if t.bad_blocks else "invalid")
    if part is not None and part.payload_crc_ok is False:
        probs.append(
            Problem(
                "error", f"{name}: CRC-32 of the {part.name} image does not match the trailer", t.offset, fmt
            )
        )
        state = "invalid" if state == "valid" else state
    if part is None and t.header is not None and state == "valid":
        state = "unknown"
    full = _trailer_dict(t, part.payload_crc_ok if part else None) or {}
    first = ("name", "version", "size_raw", "payload_crc_ok")
    detail = {k: full[k] for k in first if k in full}
    detail.update(
        {k: v for k, v in full.items() if k not in first and k not in ("offset", "frame_ok", "error")}
    )
    return Region(name, t.offset, min(RBL_FRAMED_SIZE, total - t.offset), "rbl", state, tuple(probs), detail)


# ------------------------------------------------------------------------------------ analysis
def _rotation(data: bytes) -> int:
    """0x11000 when ``data`` is a flash dump read from 0x11000 with wrap-around (app first, bootloader
    at the end), else 0."""
    n = len(data)
    if n < 0x100000 or n % 0x1000:
        return 0
    b = n - BOOT_PARTITION_END
    if not _frames_ok(data, 0) or not _frames_ok(data, b):
        return 0
    if classify_key(crcframe.unframe(data[:BLOCK])[:8], APP_LOGICAL)[0] == "unknown":
        return 0
    boot8 = crcframe.unframe(data[b : b + BLOCK])[:8]
    if classify_key(boot8, 0)[0] == "unknown" and fingerprint(data[b : b + 257]) is None:
        return 0
    if (
        classify_key(boot8, 0)[0] == "zero"
        and classify_key(boot8, APP_LOGICAL)[0] == "zero"
        and not any(data[b + o : b + o + 4] == RBL_MAGIC for o in BOOT_TRAILERS)
    ):
        return 0
    return BOOT_PARTITION_END


def _guess_layout(
    chip: str | None, info: BootInfo | None, app_trailer: int | None, size: int
) -> FlashLayout | None:
    fal_dl = info.fal_download if info else None
    fal_app = info.fal.get("app") if info and info.fal else None
    if fal_dl is not None:
        if fal_dl[0] == 0x12A000:
            return LAYOUTS["bk7231n"]
        if fal_dl[1] == 0xCC000:
            return LAYOUTS["bk7231q"]
        if fal_app is not None and fal_app.length == 0x108700:
            return LAYOUTS["bk7231t-obk" if app_trailer == 0xFFF9A else "bk7231t"]
        if chip in chipid.U_CLASS:
            return LAYOUTS["bk7231u"]
        return LAYOUTS["bk7231n-beken"]
    if chip in ("BK7231N", "BK7231M"):
        return LAYOUTS["bk7231n"]
    if chip == "BK7231T":
        return LAYOUTS["bk7231t-obk" if app_trailer == 0xFFF9A else "bk7231t"]
    if chip == "BL2028N":
        return LAYOUTS["bk7231n-beken"]
    if chip in chipid.U_CLASS:
        return LAYOUTS["bk7231u"]
    if chip == "BK7231Q":
        return LAYOUTS["bk7231q"]
    if app_trailer == 0x131F9A or size == 0x132000:
        return LAYOUTS["bk7231u"]
    return None


def _pick_trailer(
    data: bytes, candidates: list[int], start: int, images: dict[int, bytes] | None = None
) -> tuple[Trailer | None, list[Trailer]]:
    """The app trailer among ``candidates`` (file offsets): the first valid one whose CRC-32 matches the
    framed image before it, else the first valid, else the first found. Also returns the others found.
    The images unframed on the way are left in ``images`` (by trailer offset) for reuse."""
    found = []
    seen = set()
    for c in candidates:
        if c in seen:
            continue
        seen.add(c)
        t = _read_trailer(data, c)
        if t is not None:
            found.append(t)
    if not found:
        return None, []
    best = None
    for t in found:
        if not t.header_ok or t.header is None:
            continue
        h = t.header
        phys = _framed_size(h.size_raw)
        if 0 < h.size_raw <= h.size_package and start + phys <= t.offset:
            img = crcframe.unframe(data[start : start + phys])[: h.size_raw]
            if images is not None:
                images[t.offset] = img
            if _trailer_payload_crc(h, img) == h.crc32:
                best = t
                break
    if best is None:
        best = next((t for t in found if t.header_ok), found[0])
    return best, [t for t in found if t is not best]


def _flash_kind(data: bytes, layout: FlashLayout | None, app: CodePart | None) -> str:
    n = len(data)
    if n >= min(QIO_CONFIG_SIZES):
        return FMT_DUMP
    if app is not None and app.trailer is not None and app.trailer.offset + RBL_FRAMED_SIZE == n:
        return FMT_QIO
    end = layout.app_end if layout is not None else 0x132000
    if n <= end:
        return FMT_QIO
    return FMT_QIO if _erased(data, end, n) else FMT_DUMP


def _analyze_flash(data: bytes, fmt_hint: str | None = None) -> Bk7231Image:
    """A QIO image or dump: bootloader at physical 0 (after undoing a 0x11000 rotation)."""
    rotation = _rotation(data)
    flash = data[-rotation:] + data[:-rotation] if rotation else data
    n = len(flash)
    problems: list[Problem] = []

    # bootloader
    bt = None
    for off in BOOT_TRAILERS:
        bt = _read_trailer(flash, off)
        if bt is not None:
            break
    boot = _code_from_framed(flash, "bootloader", 0, min(n, BOOT_PARTITION_END), 0, bt)
    binfo = _boot_info(boot, flash[:257])

    # preliminary chip/layout from the bootloader alone, then the app
    pre_cid = chipid.for_code(**_boot_evidence(binfo), key_class=boot.key_class)
    pre_layout = _guess_layout(_layout_chip(pre_cid), binfo, None, n)
    app = None
    others: list[Trailer] = []
    if n > APP_START:
        cands = ([pre_layout.app_rbl] if pre_layout else []) + list(APP_TRAILERS)
        if n <= 0x132000:
            cands.append(n - RBL_FRAMED_SIZE)
        images: dict[int, bytes] = {}
        at, others = _pick_trailer(flash, cands, APP_START, images)
        limit = pre_layout.app_end if pre_layout else 0x132000
        if at is not None:
            limit = max(limit, at.offset + RBL_FRAMED_SIZE)
        app = _code_from_framed(flash, "app", APP_START, limit, APP_LOGICAL, at, images)
        if app.image_size == 0:
            app = None
    key_class = app.key_class if app is not None else boot.key_class
    plain_u = bt is not None and bt.offset == 0xFE9A and key_class == "zero" and not binfo.marker
    ident = None
    if app is not None and app.key is not None:
        ident = app_identity(app.plain())
    cid = chipid.for_code(
        **_boot_evidence(binfo),
        key_class=key_class,
        app_ident=ident,
        freertos_layout=plain_u,
        extra=_rbl_evidence(boot, app),
    )
    layout = _guess_layout(_layout_chip(cid), binfo, app.trailer.offset if app and app.trailer else None, n)
    kind = fmt_hint or _flash_kind(flash, layout, app)

    m = _Map(flash, kind)
    # bootloader + trailer + FAL
    bdetail = {
        "key_class": boot.key_class,
        "marker": binfo.marker,
        "version": binfo.version,
        "fingerprint": binfo.fingerprint.name if binfo.fingerprint else None,
    }
    m.add(_code_region(boot, kind, "bootloader", bdetail))
    if bt is not None:
        m.add(_trailer_region(bt, boot, kind, "bootloader-rbl", len(flash)))
    else:
        problems.append(Problem("warning", "no bootloader RBL trailer at 0x10F9A or 0xFE9A", 0x10F9A, kind))
    if binfo.fal is not None and binfo.fal_offset is not None:
        lo = crcframe.logical_to_physical(binfo.fal_offset)
        hi = crcframe.logical_to_physical(binfo.fal_offset + binfo.fal.size)
        m.add(
            Region(
                "fal",
                lo,
                hi - lo,
                "partition-table",
                "valid",
                detail={
                    "entries": len(binfo.fal.entries),
                    **{e.name: f"{e.offset:#x}+{e.length:#x}" for e in binfo.fal.entries},
                },
            ),
            nested=True,
        )
    if n < BOOT_PARTITION_END:
        problems.append(Problem("error", f"file ends at {n:#x}, inside the bootloader partition", n, kind))
    # app
    if app is not None:
        adetail: dict[str, Any] = {"key_class": app.key_class, "decrypt_ok": app.decrypt_ok}
        if ident:
            adetail["identity"] = ident["text"]
        m.add(_code_region(app, kind, "app", adetail))
        if app.trailer is not None:
            m.add(_trailer_region(app.trailer, app, kind, "app-rbl", len(flash)))
        elif n > APP_START:
            exp = layout.app_rbl if layout else None
            where = f" (expected at {exp:#x})" if exp is not None else ""
            sev = "error" if exp is not None and n < exp + RBL_FRAMED_SIZE else "warning"
            problems.append(Problem(sev, f"no app RBL trailer{where}", exp, kind))
        for t in others:
            m.add(_trailer_region(t, None, kind, "stale-app-rbl", len(flash)))
            problems.append(
                Problem("info", "a second app RBL trailer (stale, from an earlier firmware)", t.offset, kind)
            )
    elif n > APP_START:
        problems.append(Problem("warning", "no app at 0x11000 (erased)", APP_START, kind))

    extra: dict[str, Any] = {"app_identity": ident}
    app_part_end = layout.app_end if layout else 0x132000
    if app is not None and app.trailer is not None:
        app_part_end = max(app_part_end, app.trailer.offset + RBL_FRAMED_SIZE)
    # data partitions (only for what the file covers)
    if layout is not None and n > app_part_end:
        _data_regions(flash, layout, binfo, m, extra, kind)
    m.fill_gaps(0, n)
    if rotation:
        problems.insert(
            0,
            Problem(
                "info",
                f"dump is rotated: file offset 0 is flash {rotation:#x} (read "
                f"from {rotation:#x} with wrap-around); offsets are flash addresses "
                f"(file offset = (flash - {rotation:#x}) mod {n:#x})",
                rotation,
                kind,
            ),
        )
    regions = m.regions()
    if rotation:
        # one convention everywhere (text, JSON, SVG): flash addresses; the file offset is in the detail
        regions = tuple(_rotate(r, rotation, n) for r in regions)
    if (
        boot.key_class != "unknown"
        and app is not None
        and app.key_class != "unknown"
        and boot.key_class != app.key_class
    ):
        problems.append(
            Problem(
                "warning",
                f"bootloader key ({boot.key_class}) and app key ({app.key_class}) differ",
                APP_START,
                kind,
            )
        )
    return _mk(
        kind, data, cid, layout, key_class, boot, binfo, app, rotation, regions, tuple(problems), extra
    )


def _rotate(r: Region, rot: int, n: int) -> Region:
    """``r`` (flash addresses) with the file offset of its first byte in the detail."""
    detail = {**(r.detail or {}), "file_offset": (r.offset - rot) % n}
    return Region(r.name, r.offset, r.size, r.kind, r.state, r.problems, detail)


def _data_regions(
    flash: bytes, layout: FlashLayout, binfo: BootInfo, m: _Map, extra: dict[str, Any], fmt: str
) -> None:
    n = len(flash)
    # download / OTA partition (FAL wins over the layout table)
    dl_off, dl_size = binfo.fal_download or layout.download
    if dl_off < n:
        dl_end = min(n, dl_off + dl_size)
        _download_region(flash, dl_off, dl_end, layout, m, extra, fmt)
    # RF calibration TLV
    for off in (layout.rf, 0x1D0000, 0x1E0000):
        if off + 8 <= n and flash[off : off + 4] == RF_MAGIC:
            _rf_region(flash, off, m, extra, fmt)
            break
    # OpenBeken config sector
    for off in (layout.obk_config, 0x1D1000, 0x1E1000):
        if off + 8 <= n and flash[off : off + 3] == OBK_CONFIG_MAGIC and not _covered(m, off):
            version = int.from_bytes(flash[off + 4 : off + 8], "little", signed=True)
            extra["obk_config"] = {
                "offset": off,
                "version": version,
                "summary": f"OpenBeken config at {off:#x} (version {version})",
            }
            m.add(
                Region(
                    "obk-config",
                    off,
                    min(0x1000, n - off),
                    "config",
                    "unknown",
                    detail={"magic": "CFG", "version": version, "decoded_by": "obk-config"},
                )
            )
            break
    # Tuya KV (key block: magic/crc/key then 0xFF, found by its encrypted erased tail at +32)
    pos = flash.find(TUYA_KV_FF_BLOCK, 0x100000)
    while pos >= 0:
        kb = pos - 32
        if kb % 0x1000 == 0 and not _covered(m, kb):
            end = n
            while end - 0x1000 > kb and _erased(flash, end - 0x1000, end):
                end -= 0x1000
            extra["tuya_kv"] = {
                "offset": kb,
                "size": end - kb,
                "summary": f"Tuya KV storage key block at {kb:#x}",
            }
            m.add(
                Region(
                    "tuya-kv",
                    kb,
                    end - kb,
                    "tuya-kv",
                    "unknown",
                    detail={"key_block": kb, "decoded_by": "tuya-keys"},
                )
            )
            break
        pos = flash.find(TUYA_KV_FF_BLOCK, pos + 1)


def _covered(m: _Map, off: int) -> bool:
    return any(r.offset <= off < r.end for r in m.top)


def _download_region(
    flash: bytes, a: int, b: int, layout: FlashLayout, m: _Map, extra: dict[str, Any], fmt: str
) -> None:
    info: dict[str, Any] = {"offset": a, "size": b - a}
    if flash[a : a + 4] == RBL_MAGIC:
        probs: list[Problem] = []
        try:
            hdr = RblHeader.parse(flash[a : a + RBL_HEADER_SIZE], base=a, strict=False)
        except ObkImgError as e:
            hdr = None
            probs.append(Problem("error", f"download RBL: {e.message}", a, fmt))
        if hdr is not None:
            end = a + RBL_HEADER_SIZE + hdr.size_package
            crc_ok = end <= b and crc32(flash[a + RBL_HEADER_SIZE : end]) == hdr.crc32
            state = "valid" if hdr.header_valid and crc_ok else "invalid"
            if not hdr.header_valid:
                probs.append(Problem("error", "download RBL: bad header CRC-32", a + 0x5C, fmt))
            if not crc_ok:
                probs.append(
                    Problem("error", "download RBL: payload CRC-32 mismatch or payload truncated", a, fmt)
                )
            info.update(
                {
                    "ota": hdr.to_dict(),
                    "payload_crc_ok": crc_ok,
                    "summary": f"OTA image {hdr.name} {hdr.version!r} "
                    f"({hdr.compression}+{hdr.encryption}, "
                    f"{hdr.size_package} bytes) at {a:#x}",
                }
            )
            extra["download"] = info
            m.add(
                Region(
                    "download",
                    a,
                    min(end, b) - a,
                    "download",
                    state,
                    tuple(probs),
                    detail={
                        "name": hdr.name,
                        "version": hdr.version,
                        "size_package": hdr.size_package,
                        "compression": hdr.compression,
                        "encryption": hdr.encryption,
                    },
                )
            )
            return
    lfs = _find_littlefs(flash, a, b)
    if _erased(flash, a, b):
        info["summary"] = f"empty (erased) at {a:#x}"
        extra["download"] = info
        m.add(Region("download", a, b - a, "download", "erased"))
        return
    if lfs is not None:
        lfs_end = b
        if layout.littlefs and layout.littlefs[0] <= lfs < layout.littlefs[1]:
            lfs_end = min(b, layout.littlefs[1])
        extra["littlefs"] = {
            "offset": lfs,
            "size": lfs_end - lfs,
            "summary": f"LittleFS superblock at {lfs:#x}",
        }
        if lfs > a:
            m.add(
                Region("download", a, lfs - a, "download", "erased" if _erased(flash, a, lfs) else "unknown")
            )
        m.add(Region("littlefs", lfs, lfs_end - lfs, "littlefs", "unknown", detail={"superblock": lfs}))
        info["summary"] = f"no OTA image; OpenBeken LittleFS at {lfs:#x}"
        extra["download"] = info
        return
    info["summary"] = f"data without an RBL header at {a:#x}"
    extra["download"] = info
    m.add(Region("download", a, b - a, "download", "unknown", detail={"rbl": False}))


def _find_littlefs(flash: bytes, a: int, b: int) -> int | None:
    pos = flash.find(LFS_MAGIC, a, b)
    while pos >= 0:
        if (pos - 8) % 0x1000 == 0:
            return pos - 8
        pos = flash.find(LFS_MAGIC, pos + 1, b)
    return None


def _rf_region(flash: bytes, off: int, m: _Map, extra: dict[str, Any], fmt: str) -> None:
    total = int.from_bytes(flash[off + 4 : off + 8], "little")
    probs: list[Problem] = []
    mac = None
    entries = 0
    state = "valid"
    if total > 0x1000 - 8:
        state = "invalid"
        probs.append(Problem("error", f"RF TLV: length {total:#x} larger than the sector", off + 4, fmt))
    else:
        pos, end = off + 8, off + 8 + total
        while pos + 8 <= end:
            ln = int.from_bytes(flash[pos + 4 : pos + 8], "little")
            if pos + 8 + ln > end:
                state = "invalid"
                probs.append(Problem("error", "RF TLV: entry runs past the end", pos, fmt))
                break
            entries += 1
            # group entries (tag xx 11 11 11 / xx 22 22 22 ...) contain sub-entries
            sub, send = pos + 8, pos + 8 + ln
            while sub + 8 <= send:
                sl = int.from_bytes(flash[sub + 4 : sub + 8], "little")
                if flash[sub : sub + 4] == b"\x02\x11\x11\x11" and sl == 6:
                    mac = flash[sub + 8 : sub + 14].hex(":")
                if sl > send - sub - 8:
                    break
                sub += 8 + sl
            pos += 8 + ln
    extra["rf"] = {
        "offset": off,
        "length": total,
        "mac": mac,
        "summary": f"RF calibration TLV at {off:#x}" + (f", MAC {mac}" if mac else ""),
    }
    m.add(
        Region(
            "rf",
            off,
            min(0x1000, len(flash) - off),
            "rf",
            state,
            tuple(probs),
            detail={"length": total, "groups": entries, "mac": mac},
        )
    )


def _analyze_ua(data: bytes) -> Bk7231Image:
    """An app for flashing at 0x11000: CRC-framed app, optionally followed by 0xFF fill and its trailer."""
    n = len(data)
    cands = [n - RBL_FRAMED_SIZE] + [c - APP_START for c in APP_TRAILERS]
    images: dict[int, bytes] = {}
    at, others = _pick_trailer(data, cands, 0, images)
    limit = n if at is None else at.offset + RBL_FRAMED_SIZE
    app = _code_from_framed(data, "app", 0, limit, APP_LOGICAL, at, images)
    ident = app_identity(app.plain()) if app.key is not None else None
    cid = _app_chip(app.key_class, ident, at.offset + APP_START if at else None, _rbl_evidence(app))
    m = _Map(data, FMT_UA)
    adetail: dict[str, Any] = {"key_class": app.key_class, "decrypt_ok": app.decrypt_ok}
    if ident:
        adetail["identity"] = ident["text"]
    m.add(_code_region(app, FMT_UA, "app", adetail))
    problems: list[Problem] = []
    if at is not None:
        m.add(_trailer_region(at, app, FMT_UA, "app-rbl", len(data)))
    for t in others:
        m.add(_trailer_region(t, None, FMT_UA, "stale-app-rbl", len(data)))
    m.fill_gaps(0, n)
    layout = None
    if at is not None:
        flash_off = at.offset + APP_START
        for lay in LAYOUTS.values():
            lchip = _layout_chip(cid)
            if lay.app_rbl == flash_off and (lchip is None or _layout_fits_chip(lay, lchip)):
                layout = lay
                break
    return _mk(
        FMT_UA,
        data,
        cid,
        layout,
        app.key_class,
        None,
        None,
        app,
        0,
        m.regions(),
        tuple(problems),
        {"app_identity": ident},
    )


def _layout_fits_chip(lay: FlashLayout, chip: str) -> bool:
    fam = chip_family(chip)
    if fam == "N":
        return lay.name.startswith("bk7231n")
    return lay.name.startswith("bk7231t") if fam == "T" else True


def chip_family(chip: str | None) -> str | None:
    """ "N" for the N family (BK7231N, BK7231M, BL2028N), "T" for BK7231T, else the chip itself."""
    if chip in ("BK7231N", "BK7231M", "BL2028N"):
        return "N"
    if chip == "BK7231T":
        return "T"
    return chip


#: flash offsets of app trailers and the chips whose layouts put it there
_APP_TRAILER_CHIPS = {
    0xFFF9A: ("app trailer at flash 0xFFF9A (OpenBeken BK7231T layout)", frozenset({"BK7231T"})),
    0x131F9A: (
        "app trailer at flash 0x131F9A (app partition to 0x132000: Beken SDK layout)",
        chipid.U_CLASS | chipid.N_FAMILY | {"BK7231Q"},
    ),
}


def _app_chip(
    key_class: str | None,
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


#: strings of the RT-Thread OTA bootloader of the Beken SDKs (seen in a BK7252 camera bootloader whose
#: first words are no Beken vector); both must be present
RTT_BOOT_STRINGS = (b"[I/OTA] bootloader build", b"beken_onchip_crc")


def _rtthread_boot(image: bytes) -> bool:
    head = image[:BOOT_PARTITION_END]
    return all(m in head for m in RTT_BOOT_STRINGS)


def _rtthread_boot_evidence(image: bytes) -> chipid.Evidence | None:
    """RT-Thread OTA bootloader strings: a Beken bootloader, chip not narrowed (N-family and BK7252
    bootloaders both print them)."""
    if not _rtthread_boot(image):
        return None
    return chipid.Evidence(
        "strings", "RT-Thread OTA bootloader strings ('[I/OTA] bootloader build', 'beken_onchip_crc')"
    )


def _analyze_bootloader(data: bytes) -> Bk7231Image:
    framed = _frames_ok(data, 0, min(8, len(data) // BLOCK)) and len(data) >= 8 * BLOCK
    if framed:
        bt = None
        for off in BOOT_TRAILERS:
            bt = _read_trailer(data, off)
            if bt is not None:
                break
        part = _code_from_framed(data, "bootloader", 0, len(data), 0, bt)
        head = data[:257]
    else:
        part = _code_from_raw(data, "bootloader", 0)
        head = crcframe.frame(data[:288])[:257]
    if part.key is None and _rtthread_boot(part.image):
        # its strings are readable, so the code is plaintext whatever its first words are
        part = replace(part, key_class="zero", key=bkcipher.KEY_ZERO)
    info = _boot_info(part, head)
    # a plain bootloader file says nothing about the key it will be used with, a framed one does
    key_for_chip = part.key_class if (framed or part.key_class != "zero") else None
    rtt = _rtthread_boot_evidence(part.image if part.key is not None else b"")
    cid = chipid.for_code(**_boot_evidence(info), key_class=key_for_chip, extra=(rtt,))
    m = _Map(data, FMT_BOOTLOADER)
    bdetail = {
        "key_class": part.key_class,
        "marker": info.marker,
        "version": info.version,
        "fingerprint": info.fingerprint.name if info.fingerprint else None,
    }
    reg = _code_region(part, FMT_BOOTLOADER, "bootloader", bdetail)
    if not framed and part.key is not None and part.key_class == "zero":
        reg = Region(reg.name, reg.offset, reg.size, reg.kind, "valid", reg.problems, reg.detail)
    m.add(reg)
    if framed and part.trailer is not None:
        m.add(_trailer_region(part.trailer, part, FMT_BOOTLOADER, "bootloader-rbl", len(data)))
    if info.fal is not None and info.fal_offset is not None:
        lo = crcframe.logical_to_physical(info.fal_offset) if framed else info.fal_offset
        hi = crcframe.logical_to_physical(info.fal_offset + info.fal.size) if framed else lo + info.fal.size
        m.add(
            Region("fal", lo, hi - lo, "partition-table", "valid", detail={"entries": len(info.fal.entries)}),
            nested=True,
        )
    m.fill_gaps(0, len(data))
    key_class = part.key_class if (framed or part.key_class != "zero") else "plain"
    return _mk(
        FMT_BOOTLOADER,
        data,
        cid,
        None,
        key_class,
        part,
        info,
        None,
        0,
        m.regions(),
        (),
        {"app_identity": None},
    )


def _analyze_app(data: bytes) -> Bk7231Image:
    part = _code_from_raw(data, "app", APP_LOGICAL)
    ident = app_identity(part.plain()) if part.key is not None else None
    cid = _app_chip(part.key_class if part.key_class != "zero" else "plain", ident, None)
    reg = _code_region(
        part,
        FMT_APP,
        "app",
        {
            "key_class": part.key_class,
            "decrypt_ok": part.decrypt_ok,
            **({"identity": ident["text"]} if ident else {}),
        },
    )
    problems: list[Problem] = []
    key_class = "plain" if part.key_class == "zero" else part.key_class
    return _mk(
        FMT_APP,
        data,
        cid,
        None,
        key_class,
        None,
        None,
        part,
        0,
        (reg,),
        tuple(problems),
        {"app_identity": ident},
    )


# ------------------------------------------------------------------------------------ detection
def _boot_gap(data: bytes) -> bool:
    """The end of the bootloader partition (before 0x11000, or 0xFF00 on the Beken SDK layout) holds
    no code: erased. An app written from 0 (a UA) runs through it."""
    return _erased(data, 0x10F9A, BOOT_PARTITION_END) or _erased(data, 0xFE9A, 0xFF00)


def _app_at_zero(data: bytes) -> bool:
    """The file ends with an app RBL trailer whose CRC covers the framed image from offset 0: an app
    image (a UA, or an app partition read from its start), not a QIO with a bootloader in front."""
    n = len(data)
    t = _read_trailer(data, n - RBL_FRAMED_SIZE)
    if t is None or not t.header_ok or t.header is None:
        return False
    h = t.header
    phys = _framed_size(h.size_raw)
    if not 0 < h.size_raw <= h.size_package or phys > t.offset:
        return False
    return _trailer_payload_crc(h, crcframe.unframe(data[:phys])[: h.size_raw]) == h.crc32


def _probe(data: bytes) -> list[Detection]:
    n = len(data)
    if n < 64 or data[:4] in (RBL_MAGIC, b"\x55\xaa\x55\xaa"):
        return []
    out: list[Detection] = []
    if _rotation(data):
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
    framed = _frames_ok(data, 0, min(8, n // BLOCK)) and n >= 8 * BLOCK
    if framed:
        first8 = crcframe.unframe(data[:BLOCK])[:8]
        boot_class, _ = classify_key(first8, 0)
        app_class, _ = classify_key(first8, APP_LOGICAL)
        fp = fingerprint(data[:257])
        # a plaintext vector is a bootloader's or an app's: N-family apps carry the "BK7231\0\0" marker at
        # logical 0x100 too, so an app written from 0 (a trailer whose CRC covers the file from 0) wins
        boot_like = (
            fp is not None
            or boot_class not in ("unknown", "zero")
            or (
                boot_class == "zero"
                and (
                    data[0x110:0x118] == N_MARKER
                    or any(data[o : o + 4] == RBL_MAGIC for o in BOOT_TRAILERS)
                    or (n > APP_START + 8 * BLOCK and _frames_ok(data, APP_START) and _boot_gap(data))
                )
                and not _app_at_zero(data)
            )
        )
        if boot_like:
            why = (f"fingerprint {fp.name}" if fp else f"{boot_class}-key ARM vector at 0") + (
                ", N marker at 0x110" if data[0x110:0x118] == N_MARKER else ""
            )
            if n <= BOOT_PARTITION_END:
                return [
                    Detection(
                        FMT_BOOTLOADER, 85, f"CRC-framed bootloader ({why})", fp.chip if fp else None, 0, n
                    )
                ]
            has_app = _frames_ok(data, APP_START, min(8, (n - APP_START) // BLOCK))
            app_note = "CRC-framed app at 0x11000" if has_app else "no app at 0x11000"
            if n >= min(QIO_CONFIG_SIZES):
                return [
                    Detection(
                        FMT_DUMP,
                        93,
                        f"{n:#x}-byte flash dump: CRC-framed bootloader at 0 ({why}), {app_note}",
                        fp.chip if fp else None,
                        0,
                        n,
                    ),
                    Detection(
                        FMT_QIO, 40, "starts like a QIO image but extends past the app partition", None, 0, n
                    ),
                ]
            tail = n >= RBL_FRAMED_SIZE and data[n - RBL_FRAMED_SIZE : n - RBL_FRAMED_SIZE + 4] == RBL_MAGIC
            if tail or n in (0x129F70, 0x100000, 0x132000):
                return [
                    Detection(
                        FMT_QIO,
                        93,
                        f"QIO image: CRC-framed bootloader at 0 ({why}), {app_note}"
                        + (", app RBL trailer at the end" if tail else ""),
                        fp.chip if fp else None,
                        0,
                        n,
                    )
                ]
            return [
                Detection(
                    FMT_QIO,
                    80,
                    f"QIO-like image of {n:#x} bytes: CRC-framed bootloader at 0 ({why}), {app_note}",
                    fp.chip if fp else None,
                    0,
                    n,
                ),
                Detection(FMT_DUMP, 70, "partial flash dump (bootloader at 0)", None, 0, n),
            ]
        if app_class != "unknown":
            return [
                Detection(
                    FMT_UA,
                    85,
                    f"UA image: CRC-framed app at 0 ({app_class}-key ARM vector at logical 0x10000)",
                    None,
                    0,
                    n,
                )
            ]
        if n <= 2 * BOOT_PARTITION_END and _rtthread_boot(crcframe.unframe(data[:BOOT_PARTITION_END])):
            return [
                Detection(FMT_BOOTLOADER, 75, "CRC-framed RT-Thread OTA bootloader (its strings)", None, 0, n)
            ]
        return []
    # not framed: bare bootloader or app
    boot_class, _ = classify_key(data[:8], 0)
    app_class, _ = classify_key(data[:8], APP_LOGICAL)
    if boot_class == "zero":
        fal = find_fal(data[-0x400:]) if n <= 0x11000 else None
        marker = data[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] == N_MARKER
        version = find_bootloader_version(data[:0x10000]) if n <= 0x11000 else None
        if n <= 0x11000 and (fal is not None or marker or version):
            ev = ", ".join(
                x
                for x in (
                    "FAL table" if fal else "",
                    "N marker at 0x100" if marker else "",
                    f"version {version}" if version else "",
                )
                if x
            )
            return [Detection(FMT_BOOTLOADER, 82, f"plain bootloader: ARM vector at 0, {ev}", None, 0, n)]
        out.append(
            Detection(FMT_APP, 50, "plain ARM binary (Beken vector B/LDR PC at 0), no framing", None, 0, n)
        )
        return out
    if boot_class != "unknown" and n <= 0x11000:
        return [
            Detection(
                FMT_BOOTLOADER,
                82,
                f"encrypted bootloader: {boot_class}-key ARM vector at address 0",
                None,
                0,
                n,
            )
        ]
    if app_class != "unknown":
        return [
            Detection(
                FMT_APP, 78, f"encrypted app: {app_class}-key ARM vector at address 0x10000", None, 0, n
            )
        ]
    if n <= 2 * BOOT_PARTITION_END and _rtthread_boot(data):
        return [Detection(FMT_BOOTLOADER, 75, "plain RT-Thread OTA bootloader (its strings)", None, 0, n)]
    return []


def detect(data: bytes) -> list[Detection] | None:
    """Cheap probe (first blocks, fingerprints, trailer magics); never raises."""
    try:
        found = _probe(bytes(data))
    except (ObkImgError, ValueError, IndexError):
        return None
    return found or None


def analyze(data: bytes | bytearray | memoryview, *, kind: str | None = None) -> Bk7231Image:
    """Parse any BK7231 image kind into a :class:`Bk7231Image` (detected unless ``kind`` is given)."""
    raw = bytes(data)
    if kind is None:
        found = _probe(raw)
        if not found:
            raise FormatError(
                "not a BK7231 image: no CRC-framed bootloader or app, no ARM vector for a known key",
                fmt=FMT_QIO,
                offset=0,
            )
        kind = found[0].kind
    if kind in (FMT_QIO, FMT_DUMP):
        return _analyze_flash(raw, kind)
    if kind == FMT_UA:
        return _analyze_ua(raw)
    if kind == FMT_BOOTLOADER:
        return _analyze_bootloader(raw)
    if kind == FMT_APP:
        return _analyze_app(raw)
    raise FormatError(f"unknown BK7231 image kind {kind!r}", fmt=FMT_QIO)


def load(source: Source) -> Image:
    """Parse ``source`` with :func:`analyze` (kind detected). Raises :class:`~obkimg.errors.FormatError` when
    it is no BK7231 image."""
    return analyze(source.data)


# ------------------------------------------------------------------------------------ app API
def _image_of(src: bytes | bytearray | memoryview | Bk7231Image) -> Bk7231Image:
    return src if isinstance(src, Bk7231Image) else analyze(src)


def app_image(src: bytes | bytearray | memoryview | Bk7231Image) -> bytes:
    """The app image as stored (CRC stripped, still encrypted): the ``_enc.bin`` of the build."""
    img = _image_of(src)
    if img.app is None:
        raise NotFoundError(
            "no app in this image", fmt=img.kind, offset=APP_START if img.kind != FMT_UA else 0
        )
    return img.app.image


def recover_app_length(src: bytes | bytearray | memoryview | Bk7231Image) -> int | None:
    """Original ``.bin`` length of the app (encrypt v0.3.1 tail model, spec §3.4), None if not recoverable."""
    return _image_of(src).original_app_length()


def decrypt_app(
    src: bytes | bytearray | memoryview | Bk7231Image, *, key: Key | str | None = None, trim: bool = True
) -> bytes:
    """The app as a plain ARM binary (linked at 0x10000).

    With ``trim`` the result is cut to the original ``.bin`` length when the encrypt v0.3.1 tail model
    recovers it (the last ≤ 48 bytes of such images are tool garbage otherwise).
    """
    img = _image_of(src)
    if img.app is None:
        raise NotFoundError("no app in this image", fmt=img.kind)
    k = img.app.key if key is None else (bkcipher.parse_key(key) if not isinstance(key, tuple) else key)
    if k is None:
        raise DecryptError(
            "unknown code key: the app's first words decrypt to no ARM vector with the Tuya, "
            "UASCENT or zero key; pass key=",
            fmt=img.kind,
            offset=img.app.offset,
        )
    plain = bkcipher.crypt(img.app.image, k, APP_LOGICAL)
    if not is_arm_vector(plain[:8]):
        raise DecryptError(
            "the key does not decrypt the app to an ARM vector", fmt=img.kind, offset=img.app.offset
        )
    if trim:
        n = (
            bkcipher.recover_v031_length(img.app.image, k, APP_LOGICAL)
            if img.app.image_size % DATA == 16
            else None
        )
        if n is not None:
            # encrypt v0.3.1 encrypted the partial last word with the address *without* 0x10000 (§3.4)
            w = n - n % 4
            plain = plain[:w] + bkcipher.crypt(img.app.image[w : w + 4], k, w)[: n - w]
    return plain


# ------------------------------------------------------------------------------------ QIO parts
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


def split_qio(data: bytes | bytearray | memoryview) -> QioParts:
    """Take a QIO image apart into bootloader image, app image and the two RBL headers.

    Raises TruncatedError when the file does not end with the app trailer, FormatError when it is not a
    QIO (no framed bootloader at 0 or no app).
    """
    raw = bytes(data)
    img = analyze(raw, kind=FMT_QIO)
    if img.app is None and len(raw) <= APP_START + BLOCK:
        raise TruncatedError(
            FMT_QIO,
            APP_START + BLOCK,
            len(raw),
            offset=len(raw),
            path="app",
            hint="the file ends before the app at 0x11000",
        )
    if img.bootloader is None or img.app is None:
        raise FormatError("not a QIO image: bootloader and app needed", fmt=FMT_QIO, offset=APP_START)
    at = img.app.trailer
    if at is None or at.header is None:
        exp = img.layout.app_rbl if img.layout else 0x129F0A
        if len(raw) < exp + RBL_FRAMED_SIZE:
            raise TruncatedError(
                FMT_QIO,
                exp + RBL_FRAMED_SIZE,
                len(raw),
                offset=len(raw),
                path="app_rbl",
                hint=f"the app RBL trailer belongs at {exp:#x}",
            )
        raise FormatError("no app RBL trailer", fmt=FMT_QIO, offset=exp, path="app_rbl")
    bt = img.bootloader.trailer
    return QioParts(
        img.bootloader.image,
        bt.header if bt else None,
        img.app.image,
        at.header,
        bt.offset if bt else 0x10F9A,
        at.offset,
    )


def build_qio(parts: QioParts) -> bytes:
    """A QIO image from its parts: CRC-frame(bootloader) + 0xFF + framed bootloader trailer at
    ``bootloader_rbl_offset`` + CRC-frame(app) at 0x11000 + 0xFF + framed app trailer at ``app_rbl_offset``.

    Headers are written as parsed (``raw`` kept: vendor garbage and stored CRC survive), so an unchanged
    :func:`split_qio` result rebuilds byte for byte.
    """
    fb = crcframe.frame(parts.bootloader)
    limit = parts.bootloader_rbl_offset if parts.bootloader_rbl is not None else BOOT_PARTITION_END
    if len(fb) > limit:
        raise BuildError(
            f"bootloader ({len(fb)} framed bytes) does not fit before {limit:#x}",
            fmt=FMT_QIO,
            path="bootloader",
        )
    fa = crcframe.frame(parts.app)
    end = parts.app_rbl_offset + RBL_FRAMED_SIZE
    if APP_START + len(fa) > parts.app_rbl_offset:
        raise BuildError(
            f"app ({len(fa)} framed bytes) does not fit before the trailer at {parts.app_rbl_offset:#x}",
            fmt=FMT_QIO,
            path="app",
        )
    out = bytearray(b"\xff" * end)
    out[: len(fb)] = fb
    if parts.bootloader_rbl is not None:
        out[parts.bootloader_rbl_offset : parts.bootloader_rbl_offset + RBL_FRAMED_SIZE] = _framed_header(
            parts.bootloader_rbl
        )
    out[APP_START : APP_START + len(fa)] = fa
    if parts.app_rbl is not None:
        out[parts.app_rbl_offset : end] = _framed_header(parts.app_rbl)
    return bytes(out)


def _framed_header(h: RblHeader) -> bytes:
    raw = h.raw if h.raw is not None else h.build()
    return crcframe.frame(raw)


def build_qio_from_app(
    app_plain: bytes | bytearray | memoryview,
    bootloader: bytes | bytearray | memoryview,
    *,
    key: Key | str = bkcipher.KEY_TUYA,
    version: str = "1.00",
    layout: str = "bk7231n",
    timestamp: int = 0,
    bootloader_version: str = "1.00",
) -> bytes:
    """Build a QIO image the way the Tuya/OpenBeken build does (spec §5.1):

    app ``.bin`` → Beken encrypt v0.3.1 for 0x10000 with ``key``; ``bootloader`` (plain: encrypted with
    the §3.5 rules; an ``_enc`` image: used as is) → both get their in-flash RBL trailer (beken_packager
    rules, §4.3) with ``version``/``bootloader_version`` and ``timestamp``; laid out for ``layout``.
    """
    k = bkcipher.parse_key(key) if not isinstance(key, tuple) else key
    lay = LAYOUTS.get(layout)
    if lay is None:
        raise BuildError(f"unknown layout {layout!r} ({', '.join(LAYOUTS)})", fmt=FMT_QIO, path="layout")
    app = bytes(app_plain)
    if not is_arm_vector(app[:8]):
        raise BuildError("the app is not a plain ARM binary (no Beken vector at 0)", fmt=FMT_QIO, path="app")
    boot = bytes(bootloader)
    if is_arm_vector(boot[:8]):
        boot = encrypt_bootloader(boot, k)
    elif classify_key(boot[:8], 0)[1] != k:
        raise MismatchError(
            "the bootloader is encrypted with another key than the app", fmt=FMT_QIO, path="bootloader"
        )
    if bkcipher.is_bypass(k):
        app_enc = app + b"\xff" * (_align(len(app), DATA) - len(app)) + b"\xff" * 16
    else:
        app_enc = bkcipher.beken_encrypt_v031(app, k, APP_LOGICAL)
    parts = QioParts(
        boot,
        RblHeader.for_flash_image(boot, name="bootloader", version=bootloader_version, timestamp=timestamp),
        app_enc,
        RblHeader.for_flash_image(app_enc, name="app", version=version, timestamp=timestamp),
        lay.bootloader_rbl,
        lay.app_rbl,
    )
    return build_qio(parts)


def bootloader_region(src: bytes | bytearray | memoryview | Bk7231Image) -> tuple[bytes, Bk7231Image]:
    """The first 0x11000 physical bytes (bootloader partition) of a QIO, dump or framed bootloader,
    padded with 0xFF, and the analysed source (for its chip and key)."""
    img = _image_of(src)
    if (
        img.kind not in (FMT_QIO, FMT_DUMP, FMT_BOOTLOADER)
        or img.bootloader is None
        or not img.bootloader.framed
    ):
        raise MismatchError(
            f"a {img.kind} has no bootloader region to take: give a QIO image, a flash dump "
            "or a CRC-framed bootloader",
            fmt=img.kind,
        )
    data = img.data
    if img.rotation:
        data = data[-img.rotation :] + data[: -img.rotation]
    region = data[:BOOT_PARTITION_END]
    return region + b"\xff" * (BOOT_PARTITION_END - len(region)), img


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
)
