"""Synthetic vectors for chip identification (issue 10), built with obkimg's own builders only.

Each carries the *evidence* of a real file named in the issue (build strings, bootloader version,
N marker, FAL layout, code-key class, trailer positions, RT-Thread strings), none of its bytes:
code is made-up bytes behind an ARM vector.
"""

from __future__ import annotations

from obkimg.bkdump import build_qio_from_app
from obkimg.codecs import bkcipher, crcframe
from obkimg.codecs.bkcipher import Key
from obkimg.formats.bk7231.fal import FalEntry, FalTable
from obkimg.formats.bk7231.rbl import RblHeader

VECTOR = bytes.fromhex("0e0000ea14f09fe5") + bytes.fromhex("14f09fe5") * 6
#: a generic ARM vector table (LDR PC, [PC, #0x18] x 8): no Beken "B, LDR PC [PC, #0x14]" start
LDR_VECTOR = bytes.fromhex("18f09fe5") * 8

T_FAL = (0x108700, 0x132000, 0xA6000)  # app length, download offset, download size (T-class)
N_FAL = (0x108700, 0x12A000, 0xA6000)  # Tuya N layout
SDK_FAL = (0x110000, 0x132000, 0xAE000)  # Beken SDK layout (zero-key N family, U-class)
Q_FAL = (0x110000, 0x132000, 0xCC000)


def fal(layout: tuple[int, int, int]) -> bytes:
    app_len, dl, dl_size = layout
    return FalTable(
        (
            FalEntry("bootloader", "beken_onchip_crc", 0, 0x10000),
            FalEntry("app", "beken_onchip_crc", 0x10000, app_len),
            FalEntry("download", "beken_onchip", dl, dl_size),
        )
    ).build()


def _code(size: int, seed: int) -> bytes:
    return bytes((i * 53 + seed) & 0xFF for i in range(size))


def bootloader(
    *,
    marker: bool,
    layout: tuple[int, int, int] | None,
    version: bytes = b"",
    strings: bytes = b"",
    vector: bytes = VECTOR,
    size: int = 0x1800,
) -> bytes:
    """A plain bootloader: vector, made-up code, optional N marker / version / strings, FAL at the end."""
    code = bytearray(vector + _code(size - len(vector), 3))
    if marker:
        code[0x100:0x108] = b"BK7231\0\0"
    blob = version + b"\0" + strings
    code[0x400 : 0x400 + len(blob)] = blob
    return bytes(code) + (fal(layout) if layout is not None else b"")


def app(build: bytes, size: int = 0x3000) -> bytes:
    """A plain app linked at 0x10000 carrying the build string ``build`` (e.g. ``OpenBK7238_1.18.300``)."""
    banner = b"\0" + build + b"\0"
    return VECTOR + banner + _code(size - len(VECTOR) - len(banner), 7)


#: OpenBeken QIO per chip: (app build string, key, bootloader kwargs, layout name)
OBK = {
    "BK7231T": (
        b"OpenBK7231T_1.18.300",
        "tuya",
        {"marker": False, "layout": T_FAL, "version": b"BK7231S_1.0.5"},
        "bk7231t-obk",
    ),
    "BK7231N": (
        b"OpenBK7231N_1.18.300",
        "tuya",
        {"marker": True, "layout": N_FAL, "version": b"BK7231N_1.0.1"},
        "bk7231n",
    ),
    # OpenBeken's BK7231M QIO is the N build with the zero key (OpenBK7231N_... inside)
    "BK7231M": (
        b"OpenBK7231N_1.18.300",
        "zero",
        {"marker": True, "layout": N_FAL, "version": b"BK7231N_1.0.1"},
        "bk7231n",
    ),
    "BL2028N": (
        b"OpenBK7231N_1.18.300",
        "uascent",
        {"marker": True, "layout": N_FAL, "version": b"BK7231N_1.0.1"},
        "bk7231n",
    ),
    "BK7231U": (b"OpenBK7231U_1.18.300", "zero", {"marker": False, "layout": SDK_FAL}, "bk7231u"),
    "BK7238": (b"OpenBK7238_1.18.300", "zero", {"marker": False, "layout": SDK_FAL}, "bk7231u"),
    "BK7252": (b"OpenBK7252_1.18.300", "zero", {"marker": False, "layout": SDK_FAL}, "bk7231u"),
    "BK7252N": (b"OpenBK7252N_1.18.300", "zero", {"marker": False, "layout": SDK_FAL}, "bk7231u"),
}


def obk_qio(chip: str, *, app_size: int = 0x3000) -> bytes:
    build, key, boot_kw, layout = OBK[chip]
    return build_qio_from_app(
        app(build, app_size),
        bootloader(**boot_kw),
        key=key,  # type: ignore[arg-type]
        version="1.18.300",
        layout=layout,
        timestamp=1700000000,
    )


def framed_bootloader(plain: bytes, key: Key | str = "zero", trailer_at: int = 0xFE9A) -> bytes:
    """A CRC-framed bootloader partition (0x11000 bytes) with its in-flash RBL trailer."""
    k = bkcipher.parse_key(key) if isinstance(key, str) else key
    from obkimg.bkdump import encrypt_bootloader

    enc = encrypt_bootloader(plain, k) if plain[3] == 0xEA else plain
    out = bytearray(b"\xff" * 0x11000)
    f = crcframe.frame(enc)
    out[: len(f)] = f
    out[trailer_at : trailer_at + 102] = RblHeader.for_flash_image(
        enc, name="bootloader", version="1.0.13", timestamp=1
    ).build_framed()
    return bytes(out)


def bl2028n_stock_dump() -> bytes:
    """A 2 MiB BL2028N-style stock dump: zero-key N bootloader (marker, ``BK7231n_1.0.13``, Beken SDK FAL,
    trailer at 0xFE9A) and a zero-key app with a Tuya SDK banner; the rest erased."""
    boot = bootloader(marker=True, layout=SDK_FAL, version=b"BK7231n_1.0.13")
    q = build_qio_from_app(
        app(b"FOR ty_iot_sdk AT bk7231n", 0x20000),
        boot,
        key="zero",
        version="1.0.0",
        layout="bk7231n-beken",
        timestamp=1,
    )
    d = bytearray(b"\xff" * 0x200000)
    d[: len(q)] = q
    return bytes(d)


def sdk_bootloader(chip: str) -> bytes:
    """A beken_freertos_sdk ``bootloader_<chip>_uart1_v1.0.15.bin`` stand-in: plain, no N marker, the
    T-class FAL, its version string without a chip prefix."""
    return bootloader(marker=False, layout=T_FAL, version=b"uart1_v1.0.15", strings=chip.lower().encode())


def rtthread_bootloader(*, framed: bool = False) -> bytes:
    """A BK7252 RT-Thread OTA bootloader stand-in: generic ARM vector, RT-Thread OTA strings, no FAL."""
    plain = bootloader(
        marker=False,
        layout=None,
        vector=LDR_VECTOR,
        size=0xC000,
        strings=b"[I/OTA] bootloader build Jan  1 2020\0beken_onchip_crc\0bootloader\0app\0",
    )
    if not framed:
        return plain
    out = bytearray(b"\xff" * 0x11000)
    f = crcframe.frame(plain)
    out[: len(f)] = f
    return bytes(out)


def bk7252_app_partition(app_size: int = 0x30000) -> bytes:
    """A BK7252 app-partition image read from its start: zero-key CRC-framed app from 0 (longer than
    0x11000), 0xFF fill, and an in-flash RBL trailer at the end whose CRC covers the image from 0."""
    plain = VECTOR + b"\0rt-thread camera app\0" + _code(app_size - len(VECTOR) - 22, 11)
    image = plain + b"\xff" * (-len(plain) % 32) + b"\xff" * 16
    f = crcframe.frame(image)
    total = 0x121000
    out = bytearray(b"\xff" * total)
    out[: len(f)] = f
    hdr = RblHeader.for_flash_image(image, name="app", version="2M.1220", timestamp=1)
    out[total - 102 :] = hdr.build_framed()
    return bytes(out)


def bl602_mfg(size: int = 0x8000) -> bytes:
    """A BL602 SDK ``mfg_*`` factory-test image stand-in: bare RISC-V code (``j`` at 0), SDK strings."""
    jal = (0x40 << 20 | 0x6F).to_bytes(4, "little")  # jal x0, +0x400 (a plain ``j``)
    text = b"\0bl602 mfg factory test\0MFG version\0bflb_platform\0"
    body = _code(size - len(jal) - len(text), 5)
    return jal + text + body
