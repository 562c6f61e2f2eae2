"""BK7231 dump analysis: any BK7231 image kind in, a mapped :class:`Bk7231Image` out; and the QIO/app
workflows on top of it.

Workflow over :mod:`obkimg.formats.bk7231.image` (the model and the kind probe) and its parts
(:mod:`obkimg.formats.bk7231.parts`). The life of a dump:

1. :func:`obkimg.formats.bk7231.image.detect` names the kind (QIO, UA, dump, bootloader, app) and
   :func:`~obkimg.formats.bk7231.image.rotation_of` undoes a dump read from 0x11000 with wrap-around;
2. :func:`analyze` reads the parts at their places: the bootloader and its trailer (0x10F9A/0xFE9A),
   the app at 0x11000 and the trailer whose CRC-32 fits it (:func:`pick_trailer`);
3. the chip (:mod:`obkimg.bkchip` + :mod:`obkimg.chipid`) and the layout (data table
   :data:`~obkimg.formats.bk7231.layout.LAYOUTS`) are decided from the evidence;
4. :mod:`obkimg.bkmap` maps the regions (code, trailers, FAL, data partitions, gaps);
5. the result is the typed :class:`~obkimg.formats.bk7231.image.Bk7231Image` that ``obkimg.open``
   returns (:func:`load` is the loader the format names in ``FORMAT.loader``).

Public API: :func:`analyze`, :func:`load`, :func:`app_image`, :func:`decrypt_app`,
:func:`recover_app_length`, :func:`split_qio` / :func:`build_qio` (byte-exact rebuild from bootloader
image, app image and the two RBL headers), :func:`build_qio_from_app` (plain app + bootloader + key +
version), :func:`bootloader_region`; the
bootloader encryption of §3.5 (:func:`encrypt_bootloader` / :func:`decrypt_bootloader`) and the model
types are re-exported from the format modules.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any

from . import chipid
from ._construct import build_with
from .bkchip import (
    app_chip,
    boot_evidence,
    chip_family,
    guess_layout,
    layout_chip,
    layout_for_trailer,
    rbl_evidence,
    rtthread_evidence,
)
from .bkmap import TUYA_KV_FF_BLOCK, RegionMap, code_region, data_regions, fal_region, rotate, trailer_region
from .codecs import bkcipher, crcframe
from .codecs.bkcipher import Key
from .errors import BuildError, FormatError, MismatchError, NotFoundError, Problem, Severity, TruncatedError
from .formats.bk7231.image import (
    APP_TRAILERS,
    BOOT_TRAILERS,
    FMT_APP,
    FMT_BOOTLOADER,
    FMT_DUMP,
    FMT_QIO,
    FMT_UA,
    KINDS,
    QIO_CONFIG_SIZES,
    Bk7231Image,
    DataPartitions,
    QioParts,
    detect,
    probe_rotation,
    qio_schema,
    rotation_of,
    rtthread_boot,
)
from .formats.bk7231.layout import (
    APP_LOGICAL,
    APP_START,
    BOOT_PARTITION_END,
    LAYOUTS,
    FlashLayout,
    app_identity,
    app_identity_of_pieces,
    classify_key,
    is_arm_vector,
)
from .formats.bk7231.parts import (
    BLOCK,
    DATA,
    BootInfo,
    CodePart,
    Trailer,
    align,
    boot_info,
    code_from_framed,
    code_from_raw,
    decrypt_bootloader,
    encrypt_bootloader,
    framed_size,
    frames_ok,
    is_erased,
    read_trailer,
    trailer_payload_crc,
)
from .formats.bk7231.rbl import RBL_FRAMED_SIZE, RblHeader
from .model import Region

if TYPE_CHECKING:
    from .chipid import ChipId
    from .source import Source

__all__ = [
    "FMT_QIO",
    "FMT_UA",
    "FMT_DUMP",
    "FMT_BOOTLOADER",
    "FMT_APP",
    "KINDS",
    "APP_START",
    "TUYA_KV_FF_BLOCK",
    "Bk7231Image",
    "QioParts",
    "analyze",
    "load",
    "detect",
    "pick_trailer",
    "app_image",
    "app_identity",
    "decrypt_app",
    "recover_app_length",
    "encrypt_bootloader",
    "decrypt_bootloader",
    "split_qio",
    "build_qio",
    "build_qio_from_app",
    "bootloader_region",
    "chip_family",
]

Source_ = bytes | bytearray | memoryview


# ------------------------------------------------------------------------------------ trailers
def pick_trailer(
    data: bytes,
    candidates: list[int],
    start: int,
    images: dict[int, tuple[crcframe.FrameReport, bytes]] | None = None,
) -> tuple[Trailer | None, list[Trailer]]:
    """The app trailer among ``candidates`` (file offsets): the first valid one whose CRC-32 matches the
    framed image before it, else the first valid, else the first found. Also returns the others found.
    The images checked and unframed on the way (with their frame reports) are left in ``images`` (by
    trailer offset) for :func:`~obkimg.formats.bk7231.parts.code_from_framed` to reuse."""
    found: list[Trailer] = []
    for c in dict.fromkeys(candidates):
        t = read_trailer(data, c)
        if t is not None:
            found.append(t)
    if not found:
        return None, []
    best = None
    for t in found:
        if not t.header_ok or t.header is None:
            continue
        h = t.header
        phys = framed_size(h.size_raw)
        if 0 < h.size_raw <= h.size_package and start + phys <= t.offset:
            rep, img = crcframe.verify_unframe(
                memoryview(data)[start : start + phys], base=start, length=h.size_raw
            )
            if images is not None:
                images[t.offset] = (rep, img)
            if trailer_payload_crc(h, img) == h.crc32:
                best = t
                break
    if best is None:
        best = next((t for t in found if t.header_ok), found[0])
    return best, [t for t in found if t is not best]


def _boot_trailer(data: bytes) -> Trailer | None:
    for off in BOOT_TRAILERS:
        bt = read_trailer(data, off)
        if bt is not None:
            return bt
    return None


def _boot_detail(part: CodePart, info: BootInfo) -> dict[str, Any]:
    return {
        "key_class": part.key_class,
        "marker": info.marker,
        "version": info.version,
        "fingerprint": info.fingerprint.name if info.fingerprint else None,
    }


def _app_detail(app: CodePart, ident: dict[str, str] | None) -> dict[str, Any]:
    detail: dict[str, Any] = {"key_class": app.key_class, "decrypt_ok": app.decrypt_ok}
    if ident:
        detail["identity"] = ident["text"]
    return detail


# ------------------------------------------------------------------------------------ QIO / dump
def _flash_kind(data: bytes, layout: FlashLayout | None, app: CodePart | None) -> str:
    n = len(data)
    if n >= min(QIO_CONFIG_SIZES):
        return FMT_DUMP
    if app is not None and app.trailer is not None and app.trailer.offset + RBL_FRAMED_SIZE == n:
        return FMT_QIO
    end = layout.app_end if layout is not None else 0x132000
    if n <= end:
        return FMT_QIO
    return FMT_QIO if is_erased(data, end, n) else FMT_DUMP


def _read_app(flash: bytes, pre_layout: FlashLayout | None) -> tuple[CodePart | None, list[Trailer]]:
    """The app at 0x11000 and the stale trailers met on the way (None: no app, erased)."""
    n = len(flash)
    if n <= APP_START:
        return None, []
    cands = ([pre_layout.app_rbl] if pre_layout else []) + list(APP_TRAILERS)
    if n <= 0x132000:
        cands.append(n - RBL_FRAMED_SIZE)
    images: dict[int, tuple[crcframe.FrameReport, bytes]] = {}
    at, others = pick_trailer(flash, cands, APP_START, images)
    limit = pre_layout.app_end if pre_layout else 0x132000
    if at is not None:
        limit = max(limit, at.offset + RBL_FRAMED_SIZE)
    app = code_from_framed(flash, "app", APP_START, limit, APP_LOGICAL, at, images)
    return (app if app.image_size else None), others


def _map_boot(m: RegionMap, boot: CodePart, binfo: BootInfo, problems: list[Problem]) -> None:
    kind, n = m.fmt, len(m.data)
    m.add(code_region(boot, kind, "bootloader", _boot_detail(boot, binfo)))
    if boot.trailer is not None:
        m.add(trailer_region(boot.trailer, boot, kind, "bootloader-rbl", n))
    else:
        problems.append(Problem("warning", "no bootloader RBL trailer at 0x10F9A or 0xFE9A", 0x10F9A, kind))
    fal = fal_region(binfo, True, entries=True)
    if fal is not None:
        m.add(fal, nested=True)
    if n < BOOT_PARTITION_END:
        problems.append(Problem("error", f"file ends at {n:#x}, inside the bootloader partition", n, kind))


def _map_app(
    m: RegionMap,
    app: CodePart | None,
    others: list[Trailer],
    ident: dict[str, str] | None,
    layout: FlashLayout | None,
    problems: list[Problem],
) -> None:
    kind, n = m.fmt, len(m.data)
    if app is None:
        if n > APP_START:
            problems.append(Problem("warning", "no app at 0x11000 (erased)", APP_START, kind))
        return
    m.add(code_region(app, kind, "app", _app_detail(app, ident)))
    if app.trailer is not None:
        m.add(trailer_region(app.trailer, app, kind, "app-rbl", n))
    elif n > APP_START:
        exp = layout.app_rbl if layout else None
        where = f" (expected at {exp:#x})" if exp is not None else ""
        sev: Severity = "error" if exp is not None and n < exp + RBL_FRAMED_SIZE else "warning"
        problems.append(Problem(sev, f"no app RBL trailer{where}", exp, kind))
    for t in others:
        m.add(trailer_region(t, None, kind, "stale-app-rbl", n))
        problems.append(
            Problem("info", "a second app RBL trailer (stale, from an earlier firmware)", t.offset, kind)
        )


def _flash_chip(
    boot: CodePart, binfo: BootInfo, app: CodePart | None, ident: dict[str, str] | None
) -> ChipId:
    key_class = app.key_class if app is not None else boot.key_class
    bt = boot.trailer
    plain_u = bt is not None and bt.offset == 0xFE9A and key_class == "zero" and not binfo.marker
    return chipid.for_code(
        **boot_evidence(binfo),
        key_class=key_class,
        app_ident=ident,
        freertos_layout=plain_u,
        extra=rbl_evidence(boot, app),
    )


def _flash_problems(
    problems: list[Problem], boot: CodePart, app: CodePart | None, rotation: int, n: int, kind: str
) -> tuple[Problem, ...]:
    """``problems`` with the note of a rotated dump first and a key mismatch last."""
    out = list(problems)
    if rotation:
        text = (
            f"dump is rotated: file offset 0 is flash {rotation:#x} (read "
            f"from {rotation:#x} with wrap-around); offsets are flash addresses "
            f"(file offset = (flash - {rotation:#x}) mod {n:#x})"
        )
        out.insert(0, Problem("info", text, rotation, kind))
    if boot.key_class != "unknown" and app is not None and app.key_class not in ("unknown", boot.key_class):
        text = f"bootloader key ({boot.key_class}) and app key ({app.key_class}) differ"
        out.append(Problem("warning", text, APP_START, kind))
    return tuple(out)


def _analyze_flash(data: bytes, fmt_hint: str | None = None, rotation: int | None = None) -> Bk7231Image:
    """A QIO image or dump: bootloader at physical 0 (after undoing a 0x11000 rotation; ``rotation``:
    :func:`rotation_of` when the probe has found it already)."""
    if rotation is None:
        rotation = rotation_of(data)
    flash = b"".join((memoryview(data)[-rotation:], memoryview(data)[:-rotation])) if rotation else data
    n = len(flash)
    boot = code_from_framed(flash, "bootloader", 0, min(n, BOOT_PARTITION_END), 0, _boot_trailer(flash))
    binfo = boot_info(boot, flash[:257])
    # preliminary chip/layout from the bootloader alone, then the app
    pre_cid = chipid.for_code(**boot_evidence(binfo), key_class=boot.key_class)
    app, others = _read_app(flash, guess_layout(layout_chip(pre_cid), binfo, None, n))
    ident = app_identity_of_pieces(app.plain_pieces()) if app is not None and app.key is not None else None
    cid = _flash_chip(boot, binfo, app, ident)
    layout = guess_layout(layout_chip(cid), binfo, app.trailer.offset if app and app.trailer else None, n)
    kind = fmt_hint or _flash_kind(flash, layout, app)
    m = RegionMap(flash, kind)
    problems: list[Problem] = []
    _map_boot(m, boot, binfo, problems)
    _map_app(m, app, others, ident, layout, problems)
    app_part_end = layout.app_end if layout else 0x132000
    if app is not None and app.trailer is not None:
        app_part_end = max(app_part_end, app.trailer.offset + RBL_FRAMED_SIZE)
    found = data_regions(flash, layout, binfo, m, kind) if layout is not None and n > app_part_end else None
    m.fill_gaps(0, n)
    regions = m.regions()
    if rotation:
        # one convention everywhere (text, JSON, SVG): flash addresses; the file offset is in the detail
        regions = tuple(rotate(r, rotation, n) for r in regions)
    return Bk7231Image(
        data=data,
        chip_id=cid,
        layout=layout,
        key_class=app.key_class if app is not None else boot.key_class,
        bootloader=boot,
        boot=binfo,
        app=app,
        rotation=rotation,
        region_list=regions,
        problem_list=_flash_problems(problems, boot, app, rotation, n, kind),
        app_ident=ident,
        partitions=found or DataPartitions(),
        kind=kind,
    )


# ------------------------------------------------------------------------------------ UA, bootloader, app
def _analyze_ua(data: bytes) -> Bk7231Image:
    """An app for flashing at 0x11000: CRC-framed app, optionally followed by 0xFF fill and its trailer."""
    n = len(data)
    cands = [n - RBL_FRAMED_SIZE] + [c - APP_START for c in APP_TRAILERS]
    images: dict[int, tuple[crcframe.FrameReport, bytes]] = {}
    at, others = pick_trailer(data, cands, 0, images)
    limit = n if at is None else at.offset + RBL_FRAMED_SIZE
    app = code_from_framed(data, "app", 0, limit, APP_LOGICAL, at, images)
    ident = app_identity_of_pieces(app.plain_pieces()) if app.key is not None else None
    cid = app_chip(app.key_class, ident, at.offset + APP_START if at else None, rbl_evidence(app))
    m = RegionMap(data, FMT_UA)
    m.add(code_region(app, FMT_UA, "app", _app_detail(app, ident)))
    if at is not None:
        m.add(trailer_region(at, app, FMT_UA, "app-rbl", n))
    for t in others:
        m.add(trailer_region(t, None, FMT_UA, "stale-app-rbl", n))
    m.fill_gaps(0, n)
    layout = layout_for_trailer(cid, at.offset + APP_START) if at is not None else None
    return Bk7231Image(
        data=data,
        chip_id=cid,
        layout=layout,
        key_class=app.key_class,
        bootloader=None,
        boot=None,
        app=app,
        region_list=m.regions(),
        app_ident=ident,
        kind=FMT_UA,
    )


def _bootloader_part(data: bytes) -> tuple[CodePart, bytes, bool]:
    """The bootloader of a bootloader file, its first 257 physical bytes and whether it is framed."""
    framed = frames_ok(data, 0, min(8, len(data) // BLOCK)) and len(data) >= 8 * BLOCK
    if framed:
        part = code_from_framed(data, "bootloader", 0, len(data), 0, _boot_trailer(data))
        head = data[:257]
    else:
        part = code_from_raw(data, "bootloader", 0)
        head = crcframe.frame(data[:288])[:257]
    if part.key is None and rtthread_boot(part.image):
        # its strings are readable, so the code is plaintext whatever its first words are
        part = replace(part, key_class="zero", key=bkcipher.KEY_ZERO)
    return part, head, framed


def _analyze_bootloader(data: bytes) -> Bk7231Image:
    part, head, framed = _bootloader_part(data)
    info = boot_info(part, head)
    # a plain bootloader file says nothing about the key it will be used with, a framed one does
    key_for_chip = part.key_class if (framed or part.key_class != "zero") else None
    rtt = rtthread_evidence(part.key is not None and rtthread_boot(part.image))
    cid = chipid.for_code(**boot_evidence(info), key_class=key_for_chip, extra=(rtt,))
    m = RegionMap(data, FMT_BOOTLOADER)
    reg = code_region(part, FMT_BOOTLOADER, "bootloader", _boot_detail(part, info))
    if not framed and part.key is not None and part.key_class == "zero":
        reg = Region(reg.name, reg.offset, reg.size, reg.kind, "valid", reg.problems, reg.detail)
    m.add(reg)
    if framed and part.trailer is not None:
        m.add(trailer_region(part.trailer, part, FMT_BOOTLOADER, "bootloader-rbl", len(data)))
    fal = fal_region(info, framed, entries=False)
    if fal is not None:
        m.add(fal, nested=True)
    m.fill_gaps(0, len(data))
    return Bk7231Image(
        data=data,
        chip_id=cid,
        layout=None,
        key_class=part.key_class if (framed or part.key_class != "zero") else "plain",
        bootloader=part,
        boot=info,
        app=None,
        region_list=m.regions(),
        kind=FMT_BOOTLOADER,
    )


def _analyze_app(data: bytes) -> Bk7231Image:
    part = code_from_raw(data, "app", APP_LOGICAL)
    ident = app_identity_of_pieces(part.plain_pieces()) if part.key is not None else None
    key_class = "plain" if part.key_class == "zero" else part.key_class
    cid = app_chip(key_class, ident, None)
    reg = code_region(part, FMT_APP, "app", _app_detail(part, ident))
    return Bk7231Image(
        data=data,
        chip_id=cid,
        layout=None,
        key_class=key_class,
        bootloader=None,
        boot=None,
        app=part,
        region_list=(reg,),
        app_ident=ident,
        kind=FMT_APP,
    )


def analyze(data: Source_, *, kind: str | None = None) -> Bk7231Image:
    """Parse any BK7231 image kind into a :class:`Bk7231Image` (detected unless ``kind`` is given)."""
    raw = bytes(data)
    rotation = None
    if kind is None:
        found, rotation = probe_rotation(raw)
        if not found:
            raise FormatError(
                "not a BK7231 image: no CRC-framed bootloader or app, no ARM vector for a known key",
                fmt=FMT_QIO,
                offset=0,
            )
        kind = found[0].kind
    if kind in (FMT_QIO, FMT_DUMP):
        return _analyze_flash(raw, kind, rotation)
    if kind == FMT_UA:
        return _analyze_ua(raw)
    if kind == FMT_BOOTLOADER:
        return _analyze_bootloader(raw)
    if kind == FMT_APP:
        return _analyze_app(raw)
    raise FormatError(f"unknown BK7231 image kind {kind!r}", fmt=FMT_QIO)


def load(source: Source) -> Bk7231Image:
    """Parse ``source`` with :func:`analyze` (kind detected): the loader of the ``bk7231-*`` formats
    (``FORMAT.loader``). Raises :class:`~obkimg.errors.FormatError` when it is no BK7231 image."""
    return analyze(source.data)


# ------------------------------------------------------------------------------------ app API
def _image_of(src: Source_ | Bk7231Image) -> Bk7231Image:
    return src if isinstance(src, Bk7231Image) else analyze(src)


def app_image(src: Source_ | Bk7231Image) -> bytes:
    """The app image as stored (CRC stripped, still encrypted): the ``_enc.bin`` of the build."""
    img = _image_of(src)
    if img.app is None:
        raise NotFoundError(
            "no app in this image", fmt=img.kind, offset=APP_START if img.kind != FMT_UA else 0
        )
    return img.app.image


def recover_app_length(src: Source_ | Bk7231Image) -> int | None:
    """Original ``.bin`` length of the app (encrypt v0.3.1 tail model, spec §3.4), None if not recoverable."""
    return _image_of(src).original_app_length()


def _key(key: Key | str) -> Key:
    return bkcipher.parse_key(key) if not isinstance(key, tuple) else key


def decrypt_app(src: Source_ | Bk7231Image, *, key: Key | str | None = None, trim: bool = True) -> bytes:
    """The app as a plain ARM binary (linked at 0x10000).

    With ``trim`` the result is cut to the original ``.bin`` length when the encrypt v0.3.1 tail model
    recovers it (the last ≤ 48 bytes of such images are tool garbage otherwise).
    """
    return _image_of(src).plain_app(None if key is None else _key(key), trim=trim)


# ------------------------------------------------------------------------------------ QIO parts
def split_qio(data: Source_) -> QioParts:
    """Take a QIO image apart into bootloader image, app image and the two RBL headers.

    Raises TruncatedError when the file does not end with the app trailer, FormatError when it is not a
    QIO (no framed bootloader at 0 or no app).
    """
    raw = bytes(data)
    img = analyze(raw, kind=FMT_QIO)
    if img.app is None and len(raw) <= APP_START + BLOCK:
        hint = "the file ends before the app at 0x11000"
        raise TruncatedError(FMT_QIO, APP_START + BLOCK, len(raw), offset=len(raw), path="app", hint=hint)
    if img.bootloader is None or img.app is None:
        raise FormatError("not a QIO image: bootloader and app needed", fmt=FMT_QIO, offset=APP_START)
    at = img.app.trailer
    if at is None or at.header is None:
        exp = img.layout.app_rbl if img.layout else 0x129F0A
        if len(raw) < exp + RBL_FRAMED_SIZE:
            hint = f"the app RBL trailer belongs at {exp:#x}"
            need = exp + RBL_FRAMED_SIZE
            raise TruncatedError(FMT_QIO, need, len(raw), offset=len(raw), path="app_rbl", hint=hint)
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


def _header_bytes(h: RblHeader | None) -> bytes | None:
    """The 96 bytes of a trailer's header as parsed (``raw`` kept: vendor garbage and stored CRC survive)."""
    if h is None:
        return None
    return h.raw if h.raw is not None else h.build()


def build_qio(parts: QioParts) -> bytes:
    """A QIO image from its parts, laid out by :func:`~obkimg.formats.bk7231.image.qio_schema`:
    CRC-frame(bootloader) + 0xFF + framed bootloader trailer at ``bootloader_rbl_offset`` +
    CRC-frame(app) at 0x11000 + 0xFF + framed app trailer at ``app_rbl_offset``.

    Headers are written as parsed (``raw`` kept: vendor garbage and stored CRC survive), so an unchanged
    :func:`split_qio` result rebuilds byte for byte.
    """
    boot_rbl = parts.bootloader_rbl_offset if parts.bootloader_rbl is not None else None
    fb = framed_size(len(parts.bootloader))
    limit = BOOT_PARTITION_END if boot_rbl is None else boot_rbl
    if fb > limit:
        text = f"bootloader ({fb} framed bytes) does not fit before {limit:#x}"
        raise BuildError(text, fmt=FMT_QIO, path="bootloader")
    if boot_rbl is not None and boot_rbl + RBL_FRAMED_SIZE > APP_START:
        text = f"the bootloader trailer at {boot_rbl:#x} runs into the app at {APP_START:#x}"
        raise BuildError(text, fmt=FMT_QIO, path="bootloader_rbl")
    fa = framed_size(len(parts.app))
    if APP_START + fa > parts.app_rbl_offset:
        text = f"app ({fa} framed bytes) does not fit before the trailer at {parts.app_rbl_offset:#x}"
        raise BuildError(text, fmt=FMT_QIO, path="app")
    value = {
        "bootloader": parts.bootloader,
        "bootloader_rbl": _header_bytes(parts.bootloader_rbl),
        "app": parts.app,
        "app_rbl": _header_bytes(parts.app_rbl),
    }
    return build_with(qio_schema(boot_rbl, parts.app_rbl_offset), FMT_QIO, value)


def _bootloader_enc(boot: bytes, k: Key) -> bytes:
    """The ``_enc`` bootloader for key ``k``: a plain one encrypted (§3.5), an encrypted one checked."""
    if is_arm_vector(boot[:8]):
        return encrypt_bootloader(boot, k)
    if classify_key(boot[:8], 0)[1] != k:
        raise MismatchError(
            "the bootloader is encrypted with another key than the app", fmt=FMT_QIO, path="bootloader"
        )
    return boot


def build_qio_from_app(
    app_plain: Source_,
    bootloader: Source_,
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
    k = _key(key)
    lay = LAYOUTS.get(layout)
    if lay is None:
        raise BuildError(f"unknown layout {layout!r} ({', '.join(LAYOUTS)})", fmt=FMT_QIO, path="layout")
    app = bytes(app_plain)
    if not is_arm_vector(app[:8]):
        raise BuildError("the app is not a plain ARM binary (no Beken vector at 0)", fmt=FMT_QIO, path="app")
    boot = _bootloader_enc(bytes(bootloader), k)
    if bkcipher.is_bypass(k):
        app_enc = app + b"\xff" * (align(len(app), DATA) - len(app)) + b"\xff" * 16
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


def bootloader_region(src: Source_ | Bk7231Image) -> tuple[bytes, Bk7231Image]:
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
    region = img.flash()[:BOOT_PARTITION_END]
    return region + b"\xff" * (BOOT_PARTITION_END - len(region)), img
