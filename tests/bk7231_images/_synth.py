"""Synthetic BK7231 images for tests that must run without ../shared (no real bytes anywhere)."""

from __future__ import annotations

from obkimg.bkdump import build_qio_from_app
from obkimg.codecs import crcframe
from obkimg.codecs.bkcipher import KEY_TUYA, Key
from obkimg.formats.bk7231.fal import FalEntry, FalTable

VECTOR = bytes.fromhex("0e0000ea14f09fe5") + bytes.fromhex("14f09fe5") * 6


def bootloader(n_marker: bool = True, download: int = 0x12A000, size: int = 0x1800) -> bytes:
    code = bytearray(VECTOR + bytes((i * 53 + 3) & 0xFF for i in range(size - len(VECTOR))))
    if n_marker:
        code[0x100:0x108] = b"BK7231\0\0"
    fal = FalTable(
        (
            FalEntry("bootloader", "beken_onchip_crc", 0, 0x10000),
            FalEntry("app", "beken_onchip_crc", 0x10000, 0x108700),
            FalEntry("download", "beken_onchip", download, 0xA6000),
        )
    )
    return bytes(code) + fal.build()


def app(size: int = 0x2345, banner: bytes = b"synthetic app\0") -> bytes:
    body = bytes((i * 131 + 7) & 0xFF for i in range(size - len(VECTOR) - len(banner)))
    return VECTOR + banner + body


def qio(key: Key = KEY_TUYA, layout: str = "bk7231n", **kw: object) -> bytes:
    return build_qio_from_app(
        app(**kw),
        bootloader(),
        key=key,
        version="9.9.9-test",
        layout=layout,  # type: ignore[arg-type]
        timestamp=1234567890,
    )


def dump(key: Key = KEY_TUYA) -> bytearray:
    """A 2 MiB N dump: QIO + OTA-free download with LittleFS, RF TLV with a MAC, OBK config."""
    q = qio(key)
    d = bytearray(b"\xff" * 0x200000)
    d[: len(q)] = q
    d[0x1C8000:0x1C8010] = b"\x01\x00\x00\x00\xf0\x0f\xff\xf7littlefs"  # LittleFS superblock tag + name
    mac = bytes.fromhex("020000aabbcc")
    sub = b"\x02\x11\x11\x11" + (6).to_bytes(4, "little") + mac
    grp = b"\x00\x11\x11\x11" + len(sub).to_bytes(4, "little") + sub
    d[0x1D0000 : 0x1D0000 + 8 + len(grp)] = b"TLV\0" + len(grp).to_bytes(4, "little") + grp
    d[0x1D1000:0x1D1008] = b"CFG\x5a" + (5).to_bytes(4, "little")
    return d


def framed_app_only(key: Key = KEY_TUYA) -> bytes:
    from obkimg.codecs import bkcipher

    return crcframe.frame(bkcipher.beken_encrypt_v031(app(), key, 0x10000))
