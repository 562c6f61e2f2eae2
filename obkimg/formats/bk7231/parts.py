"""The code parts of a BK7231 image: CRC-framed bootloader and app, their in-flash RBL trailers, the
bootloader's own facts, and the bootloader encryption exceptions.

Purpose: the typed pieces :class:`obkimg.formats.bk7231.image.Bk7231Image` is made of, each read from
the bytes at a known place (the dump analysis in :mod:`obkimg.bkdump` decides the places):

- :class:`Trailer`: an in-flash RBL trailer, the 96-byte :class:`~obkimg.formats.bk7231.rbl.RblHeader`
  CRC-framed on its own (3 x 34 = 102 bytes, spec §4.3);
- :class:`CodePart`: the bootloader (encrypted for logical 0) or the app (logical 0x10000): the
  logical image (CRC-16 framing of :mod:`obkimg.codecs.crcframe` stripped), its key class and trailer;
- :class:`BootInfo`: N marker, fingerprint, version string and FAL table of a bootloader;
- :func:`encrypt_bootloader` / :func:`decrypt_bootloader`: the §3.5 exceptions (the N marker at
  0x100..0x107 and the FAL table stay plaintext; the T layout moves the table after 16 x 0xFF);
- :class:`DataPartitions`: what the data partitions of a dump hold (download/OTA, RF TLV, OpenBeken
  config, Tuya KV, LittleFS), as the dump analysis located them.

Sources: tuya/tuya-iotos-embeded-sdk-wifi-ble-bk7231n ``build.sh`` and ``beken_packager`` outputs
(framing, trailer), the Tuya SDK ``bootloader_enc.bin`` files (§3.5).

Limitations: a trailer whose frames are bad is still parsed (leniently) and reported; an image length
comes from the trailer's ``size_raw`` when it fits, else from the last non-erased 34-byte block.
"""

from __future__ import annotations

import re
from dataclasses import field
from typing import TYPE_CHECKING, Any

from ..._record import dataclass
from ...codecs import bkcipher, crcframe
from ...codecs.bkcipher import Key
from ...codecs.checksums import crc32
from ...errors import BuildError, DecryptError, ObkImgError, Problem
from .fal import FalTable, find_fal
from .layout import (
    N_MARKER,
    N_MARKER_OFFSET,
    Fingerprint,
    KeyClass,
    classify_key,
    find_bootloader_version,
    fingerprint,
    is_arm_vector,
)
from .rbl import RBL_FRAMED_SIZE, RBL_MAGIC, RblHeader

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ...codecs.crcframe import FrameReport

__all__ = [
    "BLOCK",
    "DATA",
    "Trailer",
    "CodePart",
    "BootInfo",
    "read_trailer",
    "trailer_payload_crc",
    "code_from_framed",
    "code_from_raw",
    "boot_info",
    "framed_size",
    "is_erased",
    "used_span",
    "frames_ok",
    "crc_problems",
    "encrypt_bootloader",
    "decrypt_bootloader",
    "DownloadArea",
    "RfArea",
    "ObkConfigArea",
    "Area",
    "DataPartitions",
]

BLOCK = crcframe.BLOCK
DATA = crcframe.DATA
#: how many bad blocks of one region are listed as separate problems
MAX_LISTED = 16
#: the format id of bootloader files (errors of the bootloader functions name it)
FMT_BOOTLOADER = "bk7231-bootloader"


def align(n: int, a: int) -> int:
    """``n`` rounded up to a multiple of ``a``."""
    return -(-n // a) * a


def framed_size(logical_len: int) -> int:
    """Physical bytes of ``logical_len`` data bytes once CRC-framed (last block padded)."""
    return align(logical_len, DATA) // DATA * BLOCK


def is_erased(data: bytes, a: int, b: int) -> bool:
    """``data[a:b]`` is all 0xFF (an empty range counts as erased)."""
    return b <= a or data.count(b"\xff", a, b) == b - a


_NOT_FF = re.compile(rb"[^\xff]")


def used_span(data: bytes, a: int, b: int) -> tuple[int, int] | None:
    """``(first, end)``: where the bytes of ``data[a:b]`` that are not 0xFF start and end (None when
    all are 0xFF). Searched in place, 4 KiB at a time from the end: no copy of the range is made."""
    first = _NOT_FF.search(data, a, b)
    if first is None:
        return None
    e = b
    while True:
        s = max(first.start(), e - 0x1000)
        if data.count(0xFF, s, e) != e - s:
            return first.start(), s + len(data[s:e].rstrip(b"\xff"))
        e = s


def crc_problems(bad: list[int] | tuple[int, ...], fmt: str, what: str) -> tuple[Problem, ...]:
    """One problem per bad 34-byte block (the first :data:`MAX_LISTED`), then one for the rest."""
    out = [Problem("error", f"{what}: bad CRC-16 in 34-byte block", off, fmt) for off in bad[:MAX_LISTED]]
    if len(bad) > MAX_LISTED:
        more = f"{what}: {len(bad) - MAX_LISTED} more bad CRC-16 blocks (of {len(bad)})"
        out.append(Problem("error", more, bad[MAX_LISTED], fmt))
    return tuple(out)


def frames_ok(data: bytes, off: int, blocks: int = 8) -> bool:
    """The first ``blocks`` 34-byte blocks at ``off`` all carry valid CRCs (none erased)."""
    chunk = data[off : off + blocks * BLOCK]
    if len(chunk) < blocks * BLOCK:
        return False
    return crcframe.verify(chunk).valid == blocks


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
        out = list(crc_problems(self.bad_blocks, fmt, what))
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

    def to_dict(self, payload_crc_ok: bool | None) -> dict[str, object]:
        """The trailer as JSON-ready data: offset, frame state, error, the header fields and whether the
        CRC-32 of the image before it matches (``payload_crc_ok``)."""
        d: dict[str, object] = {"offset": self.offset, "frame_ok": not self.bad_blocks, "error": self.error}
        if self.header is not None:
            d.update(self.header.to_dict())
        d["payload_crc_ok"] = payload_crc_ok
        return d


def read_trailer(data: bytes, off: int) -> Trailer | None:
    """The trailer at file offset ``off`` (None without the RBL magic there); never raises."""
    if off < 0 or off + 4 > len(data) or data[off : off + 4] != RBL_MAGIC:
        return None
    chunk = data[off : off + RBL_FRAMED_SIZE]
    if len(chunk) < RBL_FRAMED_SIZE:
        return Trailer(off, None, (), f"truncated: {len(chunk)} of {RBL_FRAMED_SIZE} bytes")
    rep, header = crcframe.verify_unframe(chunk, base=off)  # the trailer's one pass
    try:
        hdr = RblHeader.parse(header, base=off, strict=False)
    except ObkImgError as e:
        return Trailer(off, None, tuple(rep.bad_offsets), e.message)
    return Trailer(off, hdr, tuple(rep.bad_offsets))


def trailer_payload_crc(hdr: RblHeader, image: bytes) -> int:
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
    key_class: KeyClass = "unknown"
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

    def _no_key(self) -> DecryptError:
        return DecryptError(
            f"{self.name}: no known code key turns its first words into an ARM vector (unknown key)",
            fmt="bk7231-qio",
            offset=self.offset,
        )

    def plain(self) -> bytes:
        """The image decrypted with the detected key (DecryptError when no key fits)."""
        if self.key is None:
            raise self._no_key()
        return bkcipher.crypt(self.image, self.key, self.address)

    def plain_pieces(self, size: int = 0x10000) -> Iterator[bytes]:
        """:meth:`plain` as consecutive pieces of ``size`` bytes (a multiple of 4), decrypted one at a time
        (no copy of the whole image is made; DecryptError when no key fits)."""
        key = self.key
        if key is None:
            raise self._no_key()
        view = memoryview(self.image)
        return (bkcipher.crypt(view[i : i + size], key, self.address + i) for i in range(0, len(view), size))


def _image_length(data: bytes, start: int, limit: int, trailer: Trailer | None) -> int:
    """Logical length of the framed image at ``start``: the trailer's ``size_raw`` when it fits before
    the trailer, else up to the last non-erased 34-byte block before the trailer / ``limit``."""
    if trailer is not None and trailer.header is not None:
        h = trailer.header
        if 0 < h.size_raw <= h.size_package and start + framed_size(h.size_raw) <= min(trailer.offset, limit):
            return h.size_raw
    end = min(trailer.offset, limit) if trailer is not None else limit
    n = max(0, (end - start) // BLOCK)
    img_len = 0
    span = used_span(data, start, start + n * BLOCK) if n else None
    if span is not None:
        # everything after the last non-0xFF byte is erased, so its block is the last one used
        img_len = ((span[1] - start - 1) // BLOCK + 1) * DATA
    tail = end - start - n * BLOCK
    if tail and not is_erased(data, start + n * BLOCK, end) and end == len(data):
        img_len = n * DATA + min(tail, DATA)
    return img_len


def code_from_framed(
    data: bytes,
    name: str,
    start: int,
    limit: int,
    address: int,
    trailer: Trailer | None,
    images: dict[int, tuple[FrameReport, bytes]] | None = None,
) -> CodePart:
    """A CRC-framed code part at file offset ``start``; ``limit`` = where its partition ends in the file.
    ``images``: the frame reports and images of the framed images before the trailers met while
    choosing the trailer (by trailer offset, from ``start``): the one of ``trailer`` is not redone.

    The part's physical bytes are checked and stripped in one pass (:func:`crcframe.verify_unframe`),
    read in place: the region is never copied, only its logical image is made."""
    limit = min(limit, len(data))
    img_len = _image_length(data, start, limit, trailer)
    phys = min(framed_size(img_len), len(data) - start)
    known = images.get(trailer.offset) if images and trailer is not None else None
    if known is not None and len(known[1]) == img_len and phys == framed_size(img_len):
        frame, image = known  # the pass the trailer choice made to check the trailer's CRC-32
    else:
        frame, image = crcframe.verify_unframe(
            memoryview(data)[start : start + phys], base=start, length=img_len
        )
    key_class, key = classify_key(image[:8], address)
    crc_ok = None
    if trailer is not None and trailer.header is not None and len(image) >= trailer.header.size_raw:
        crc_ok = trailer_payload_crc(trailer.header, image) == trailer.header.crc32
    return CodePart(name, start, phys, True, address, image, key_class, key, frame, trailer, crc_ok)


def code_from_raw(data: bytes, name: str, address: int) -> CodePart:
    """A code part that is the whole (unframed) file: a bare bootloader or app."""
    key_class, key = classify_key(data[:8], address)
    return CodePart(name, 0, len(data), False, address, data, key_class, key)


# ------------------------------------------------------------------------------------ bootloader
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

    @property
    def fal_app_length(self) -> int | None:
        """Length of the FAL ``app`` partition (logical bytes), or ``None``."""
        e = self.fal.get("app") if self.fal is not None else None
        return e.length if e is not None else None


def _find_version_in(image: bytes, key: Key | None) -> str | None:
    v = find_bootloader_version(image)
    if v is None and key is not None and not bkcipher.is_bypass(key):
        v = find_bootloader_version(bkcipher.crypt(image[: len(image) - len(image) % 4], key, 0))
    return v


def boot_info(part: CodePart, physical_head: bytes) -> BootInfo:
    """The facts of the bootloader ``part``; ``physical_head``: its first 257 physical (framed) bytes."""
    img = part.image
    marker = img[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] == N_MARKER
    fp = fingerprint(physical_head)
    version = _find_version_in(img, part.key)
    fal = find_fal(img)
    return BootInfo(marker, fp, version, fal[0] if fal else None, fal[1] if fal else None)


def _key(key: Key | str) -> Key:
    return bkcipher.parse_key(key) if not isinstance(key, tuple) else key


def _keep_plain(out: bytearray, img: bytes, fal: tuple[int, FalTable] | None) -> bytes:
    """``out`` with the N marker and the FAL table copied back from ``img`` (they are never encrypted)."""
    if img[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] == N_MARKER:
        out[N_MARKER_OFFSET : N_MARKER_OFFSET + 8] = N_MARKER
    if fal is not None:
        off, table = fal
        out[off : off + table.size] = img[off : off + table.size]
    return bytes(out)


def decrypt_bootloader(enc: bytes | bytearray | memoryview, key: Key | str = bkcipher.KEY_TUYA) -> bytes:
    """The plain bootloader from its ``_enc`` image (inverse of :func:`encrypt_bootloader`).

    N style: everything decrypted at address 0 except the marker at 0x100..0x107 and the FAL table.
    T style (16 x 0xFF before a table that follows a 32-aligned encrypted body): the body is decrypted,
    its 0xFF padding (< 32 bytes) dropped and the table appended. A plain ARM vector is returned as is.
    """
    k = _key(key)
    img = bytes(enc)
    if bkcipher.is_bypass(k) or is_arm_vector(img[:8]):
        return img
    fal = find_fal(img)
    if fal is not None:
        off = fal[0]
        body_end = off - 16
        if body_end > 0 and body_end % DATA == 0 and img[body_end:off] == b"\xff" * 16:
            body = bkcipher.crypt(img[:body_end], k, 0)
            n = len(body)
            while n > body_end - (DATA - 1) and body[n - 1] == 0xFF:
                n -= 1
            return body[:n] + img[off:]
    w = len(img) - len(img) % 4
    return _keep_plain(bytearray(bkcipher.crypt(img[:w], k, 0) + img[w:]), img, fal)


def encrypt_bootloader(
    plain: bytes | bytearray | memoryview, key: Key | str = bkcipher.KEY_TUYA, *, style: str | None = None
) -> bytes:
    """The ``_enc`` bootloader image the vendor tools make from a plain bootloader (spec §3.5).

    ``style`` ``"n"``: E(plain, address 0) except the marker at 0x100..0x107 and the trailing FAL table
    (same length). ``"t"``: E(plain[:table] + 0xFF up to 32-alignment) + 16 x 0xFF + the table (the
    table moves). Default: ``"n"`` when the plain image carries the N marker, else ``"t"``. A bypass key
    (all zero) returns the plain image unchanged.
    """
    k = _key(key)
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
        off = fal[0]
        body = img[:off] + b"\xff" * (-off % DATA)
        return bkcipher.crypt(body, k, 0) + b"\xff" * 16 + img[off:]
    if style != "n":
        raise BuildError(f"unknown bootloader style {style!r} (n or t)", fmt=FMT_BOOTLOADER)
    w = len(img) - len(img) % 4
    return _keep_plain(bytearray(bkcipher.crypt(img[:w], k, 0) + img[w:]), img, fal)


# ------------------------------------------------------------------------------------ data partitions
@dataclass(frozen=True, slots=True)
class DownloadArea:
    """The download / OTA partition: an OTA image (RBL file), OpenBeken's LittleFS, data or erased."""

    offset: int
    size: int
    summary: str = ""
    #: the OTA image's RBL header fields (:meth:`~obkimg.formats.bk7231.rbl.RblHeader.to_dict`), if any
    ota: dict[str, Any] | None = None
    #: CRC-32 of the OTA payload matches its header (None without an OTA image)
    payload_crc_ok: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: offset, size, (ota, payload_crc_ok,) summary."""
        d: dict[str, Any] = {"offset": self.offset, "size": self.size}
        if self.ota is not None:
            d.update({"ota": self.ota, "payload_crc_ok": self.payload_crc_ok})
        d["summary"] = self.summary
        return d


@dataclass(frozen=True, slots=True)
class RfArea:
    """The RF calibration TLV sector: its items' length and the MAC address item."""

    offset: int
    length: int
    mac: str | None
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: offset, length, mac, summary."""
        return {"offset": self.offset, "length": self.length, "mac": self.mac, "summary": self.summary}


@dataclass(frozen=True, slots=True)
class ObkConfigArea:
    """The OpenBeken config sector ("CFG"): where it is and its version (None: its parser refused it)."""

    offset: int
    version: int | None
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: offset, version, summary."""
        return {"offset": self.offset, "version": self.version, "summary": self.summary}


@dataclass(frozen=True, slots=True)
class Area:
    """A located area (Tuya KV storage from its key block, OpenBeken LittleFS from its superblock)."""

    offset: int
    size: int
    summary: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: offset, size, summary."""
        return {"offset": self.offset, "size": self.size, "summary": self.summary}


@dataclass(frozen=True, slots=True)
class DataPartitions:
    """What the data partitions of a dump hold, as the ``details`` of ``info --json`` show them
    (each ``None`` when absent or not covered by the file; found by :mod:`obkimg.bkmap`)."""

    download: DownloadArea | None = None
    rf: RfArea | None = None
    obk_config: ObkConfigArea | None = None
    #: the Tuya KV storage, from its key block to the last non-erased sector
    tuya_kv: Area | None = None
    #: OpenBeken's LittleFS, from its superblock
    littlefs: Area | None = None

    def to_dict(self) -> dict[str, Any]:
        """The five entries by name (the keys of ``details``), each as its ``to_dict()`` or None."""
        items = (
            ("download", self.download),
            ("rf", self.rf),
            ("obk_config", self.obk_config),
            ("tuya_kv", self.tuya_kv),
            ("littlefs", self.littlefs),
        )
        return {k: v.to_dict() if v is not None else None for k, v in items}
