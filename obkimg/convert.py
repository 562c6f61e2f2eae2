"""Conversions between BK7231 image kinds and file containers: QIO ⇄ UA, binary ⇄ Intel HEX.

Workflows over :mod:`obkimg.bkdump` (the QIO/UA layouts of the Tuya SDK and
BK7231GUIFlashTool). Bytes in, bytes out: writing files is the CLI's job.

**UA content (not settled by any public source), decided here.** The exact bytes of beken_packager's
``_enc_uart_1.00.bin`` are unverified (no sample, no packager binary). What the flashers do with a
QIO file is verified: BK7231GUIFlashTool drops the first 0x11000 bytes and writes the rest at 0x11000.
So :func:`qio_to_ua` by default returns exactly ``qio[0x11000:]`` up to the end of the app partition
(CRC-framed app, 0xFF fill and the app RBL trailer): flashing it gives the same flash contents as
flashing the QIO minus its bootloader, and :func:`ua_to_qio` turns it back into the identical QIO.
``trim=True`` gives ltchiptool's "CRC/UA App" instead: the CRC-framed app blocks only
(``ceil(size_package / 32) * 34`` bytes, size from the app RBL), without fill and trailer; converting
that back writes a fresh trailer (timestamp 0, version "1.00"), so the rebuilt QIO differs from the
original in the trailer bytes only. Both forms are accepted as UA input.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Union

from . import bkdump as bki
from . import chipid
from .codecs import crcframe
from .errors import BuildError, FormatError, MismatchError
from .formats.bk7231.layout import APP_START, BOOT_PARTITION_END
from .formats.bk7231.rbl import RBL_FRAMED_SIZE, RblHeader

if TYPE_CHECKING:
    from .source import SourceLike

__all__ = ["qio_to_ua", "ua_to_qio", "bin_to_hex", "hex_to_bin", "check_pair"]

Input = Union[bytes, bytearray, memoryview, "SourceLike"]

#: largest address range converted to/from Intel HEX (the largest supported flash)
HEX_LIMIT = 16 * 1024 * 1024


def _data(src: Input) -> bytes:
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src)
    from .source import load

    return load(src).data


def _flash(img: bki.Bk7231Image) -> bytes:
    return img.data[-img.rotation :] + img.data[: -img.rotation] if img.rotation else img.data


def qio_to_ua(qio: Input, *, trim: bool = False) -> bytes:
    """The UA image (app for flashing at 0x11000) of a QIO image or flash dump.

    ``trim=False`` (default): ``qio[0x11000:]`` up to the end of the app RBL trailer (the whole rest of
    a QIO file). ``trim=True``: only the CRC-framed app blocks. See the module docstring (Q1).
    """
    img = bki.analyze(_data(qio))
    if img.kind not in (bki.FMT_QIO, bki.FMT_DUMP):
        raise FormatError(f"expected a QIO image or a flash dump, got a {img.kind}", fmt=img.kind, offset=0)
    app = img.app
    if app is None:
        raise FormatError("no CRC-framed app at 0x11000", fmt=img.kind, offset=APP_START, path="app")
    flash = _flash(img)
    if trim:
        return flash[APP_START : APP_START + app.size]
    if app.trailer is not None:
        return flash[APP_START : app.trailer.offset + RBL_FRAMED_SIZE]
    if img.kind == bki.FMT_DUMP:
        raise FormatError(
            "the dump's app has no RBL trailer, so the end of its partition is unknown; use "
            "trim=True for the framed app alone",
            fmt=img.kind,
            offset=APP_START,
        )
    return flash[APP_START:]


def _family(img: bki.Bk7231Image) -> str | None:
    """ "N", "T" or another chip: the family every chip the evidence leaves belongs to (None: mixed)."""
    if img.chip:
        return bki.chip_family(img.chip)
    return chipid.subfamily(img.chip_candidates)


def _chip_text(img: bki.Bk7231Image) -> str:
    return img.chip or (img.chip_id.label if img.chip_id is not None else "chip not known")


def check_pair(boot_src: bki.Bk7231Image, ua: bki.Bk7231Image) -> list[str]:
    """Why the bootloader of ``boot_src`` does not fit the app of ``ua`` (empty list: they fit)."""
    why = []
    boot = boot_src.bootloader
    bkey = boot_src.key_class if boot_src.app is not None else (boot.key_class if boot else "unknown")
    akey = ua.app.key_class if ua.app is not None else "unknown"
    if bkey == "plain":
        bkey = "zero"
    if "unknown" in (bkey, akey):
        if bkey != akey:
            why.append(f"cannot tell whether the code keys match (bootloader side: {bkey}, app: {akey})")
    elif bkey != akey:
        why.append(f"code key mismatch: the bootloader source uses the {bkey} key, the app the {akey} key")
    bf, af = _family(boot_src), _family(ua)
    if bf and af and bf != af:
        why.append(
            f"chip mismatch: the bootloader is for a {_chip_text(boot_src)}, the app for a {_chip_text(ua)}"
        )
    if boot_src.boot is not None and boot_src.boot.fal is not None and ua.app is not None:
        fal_app = boot_src.boot.fal.get("app")
        if fal_app is not None and fal_app.crc_framed and APP_START + ua.app.size > fal_app.physical_end:
            why.append(
                f"the app ({ua.app.size:#x} framed bytes) does not fit the bootloader's app partition "
                f"(ends at {fal_app.physical_end:#x})"
            )
    return why


def ua_to_qio(
    ua: Input, bootloader_from: Input, *, allow_mismatch: bool = False, force: bool | None = None
) -> bytes:
    """A QIO image from a UA image and the bootloader region (0x0-0x11000) of a QIO, dump or
    CRC-framed bootloader of the same chip and key.

    Refuses (MismatchError) a T bootloader with an N app, different code keys, or an app larger than
    the bootloader's app partition, unless ``allow_mismatch`` (``force`` is its old, deprecated name).
    A UA with its trailer ("QIO[0x11000:]") is
    appended as is; a framed-only UA gets 0xFF fill and a fresh app RBL trailer (version "1.00",
    timestamp 0) at the position the bootloader source uses (its own app trailer, else its layout's).
    """
    ua_img = bki.analyze(_data(ua))
    if ua_img.kind != bki.FMT_UA or ua_img.app is None:
        raise FormatError(
            f"expected a UA image (CRC-framed app at 0), got a {ua_img.kind}", fmt=ua_img.kind, offset=0
        )
    region, src = bki.bootloader_region(_data(bootloader_from))
    problems = check_pair(src, ua_img)
    if force is not None:
        allow_mismatch = allow_mismatch or force
    if problems and not allow_mismatch:
        raise MismatchError(
            "; ".join(problems), fmt=bki.FMT_QIO, hint="allow_mismatch=True combines them anyway"
        )
    body = ua_img.data
    app = ua_img.app
    if app.trailer is not None and app.trailer.offset + RBL_FRAMED_SIZE == len(body):
        return region + body
    # framed-only UA: add fill and a trailer
    image = app.image
    if len(image) % 32 == 0 and image.endswith(b"\xff" * 16) and len(image) >= 48:
        image = image[:-16]  # encrypt v0.3.1 images are 16 mod 32 long; framing padded them with 0xFF
    header = RblHeader.for_flash_image(image, name="app", version="1.00", timestamp=0)
    if src.app is not None and src.app.trailer is not None:
        at = src.app.trailer.offset
    elif src.layout is not None:
        at = src.layout.app_rbl
    else:
        at = 0x129F0A
    framed = crcframe.frame(image)
    if APP_START + len(framed) > at:
        raise BuildError(
            f"the app does not fit before the app trailer at {at:#x}", fmt=bki.FMT_QIO, path="app"
        )
    out = bytearray(b"\xff" * (at + RBL_FRAMED_SIZE))
    out[:BOOT_PARTITION_END] = region
    out[APP_START : APP_START + len(framed)] = framed
    out[at : at + RBL_FRAMED_SIZE] = header.build_framed()
    return bytes(out)


def bin_to_hex(data: Input, base: int = 0) -> str:
    """Intel HEX text of ``data`` placed at address ``base`` (extended linear address records)."""
    from .codecs.ihex import dump

    return dump(_data(data), base)


def hex_to_bin(text: str | bytes) -> tuple[int, bytes]:
    """(lowest address, bytes from there to the highest address) of Intel HEX text; gaps are 0xFF.

    Streamed (:mod:`obkimg.codecs.ihex`): the span and the data size are checked while the records are
    read, against ``HEX_LIMIT``; longer text than that of a 16 MiB flash is refused unread.
    """
    from .codecs.ihex import parse

    return parse(text, limit=HEX_LIMIT)
