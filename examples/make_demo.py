"""Build the two shipped examples with obkimg's builders only:

- examples/bk7231n_demo_qio.bin.gz: a synthetic BK7231N QIO image (what a firmware release is);
- examples/bk7231n_demo_dump.bin.gz: a synthetic 2 MiB BK7231N backup of a device that ran Tuya and
  then OpenBeken: the QIO, an OpenBeken config at 0x1D1000 (generated from the Tuya storage by
  ``obkimg.obk.new_from_tuya``, i.e. the migration path) and Tuya key-value storage at 0x1EE000 with
  made-up Wi-Fi credentials and keys (``obkimg.tuya_storage.build_storage``).


Nothing in it comes from a real device or vendor file: the "bootloader" is made-up bytes with an ARM
vector, the N-family marker "BK7231\\0\\0" at 0x100 and a FAL partition table (Tuya N layout); the
"app" is an ARM vector plus a pattern. Both are encrypted with the public default Tuya code key and
packed like beken_packager does (CRC framing, RBL trailers). Deterministic: re-running it gives the
same bytes.   Usage: python examples/make_demo.py [FOLDER]
"""

from __future__ import annotations

import sys
from pathlib import Path

from obkimg import obk
from obkimg.bkdump import build_qio_from_app
from obkimg.codecs.bkcipher import KEY_TUYA
from obkimg.codecs.compress import gzip_member
from obkimg.fileio import write_atomic
from obkimg.formats.bk7231.fal import FalEntry, FalTable
from obkimg.tuya_storage import build_storage

OUT = Path(__file__).with_name("bk7231n_demo_qio.bin.gz")
OUT_DUMP = Path(__file__).with_name("bk7231n_demo_dump.bin.gz")
FLASH = 0x200000
TUYA_KV = 0x1EE000
#: made-up values: the SSID/password/keys of no real network or device
DEMO_TUYA = {
    "gw_bi": b'{"uuid":"demo0000000000aa","auth_key":"DemoAuthKeyDemoAuthKeyDemoAuth00","psk_key":"",'
    b'"ap_ssid":"SmartLife","country_code":"EU"}',
    "gw_wsm": b'{"nc_tp":4,"ssid":"RGVtb05ldA==","passwd":"bm90LWEtcmVhbC1wYXNzd29yZA==","md":0,"wfb64":1,'
    b'"stat":2,"token":"DEMO1234","region":"EU"}',
    "gw_di": b'{"id":"bf00000000000000demo00","swv":"1.0.0","pk":"demoproductkey01","s_id":"000000demo"}',
    "gw_ai": b'{"key":"0000000000demokey","lckey":"demo0localkey000","mq_url":"m2.tuyaeu.com:1883"}',
    "user_param_key": b"{Jsonver:1.1.8,module:CB2S,rl1_pin:6,rl1_lv:1,bt1_pin:8,bt1_lv:0,netled1_pin:26,"
    b"netled1_lv:0,crc:42}",
}
VECTOR = bytes.fromhex("0e0000ea14f09fe514f09fe514f09fe514f09fe514f09fe514f09fe514f09fe5")


def demo_bootloader() -> bytes:
    code = bytearray(VECTOR + bytes((i * 37 + 11) & 0xFF for i in range(0x1FE0)))
    code[0x100:0x108] = b"BK7231\0\0"  # N-family marker, stays plaintext
    fal = FalTable(
        (
            FalEntry("bootloader", "beken_onchip_crc", 0x0, 0x10000),
            FalEntry("app", "beken_onchip_crc", 0x10000, 0x108700),
            FalEntry("download", "beken_onchip", 0x12A000, 0xA6000),
        )
    )
    return bytes(code) + fal.build()


def demo_app() -> bytes:
    banner = b"obkimg demo app: synthetic, not runnable\0"
    body = bytes((i * 131 + 7) & 0xFF for i in range(0x3000 - len(VECTOR) - len(banner) - 5))
    return VECTOR + banner + body + b"\x01\x02\x03\x04\x05"  # odd length, like real apps


def demo_qio() -> bytes:
    return build_qio_from_app(
        demo_app(),
        demo_bootloader(),
        key=KEY_TUYA,
        version="OpenBK7231N_0.1.0-demo",
        layout="bk7231n",
        timestamp=1700000000,
    )


def build() -> bytes:
    return gzip_member(demo_qio())


def demo_dump() -> bytes:
    """QIO + 0xFF up to 2 MiB, Tuya storage at 0x1EE000, and an OBK config migrated from it."""
    qio = demo_qio()
    tuya_area = build_storage(DEMO_TUYA, device_key=b"DemoDeviceKey-01")
    flash = bytearray(b"\xff" * FLASH)
    flash[: len(qio)] = qio
    flash[TUYA_KV : TUYA_KV + len(tuya_area)] = tuya_area
    new = obk.new_from_tuya(bytes(flash), chip="BK7231N", name="obkdemo")
    return obk.write_config(bytes(flash), new.config, chip="BK7231N").data


def build_dump() -> bytes:
    return gzip_member(demo_dump())


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else OUT.parent
    for out, blob in ((folder / OUT.name, build()), (folder / OUT_DUMP.name, build_dump())):
        write_atomic(out, blob, force=True)
        print(f"wrote {out} ({len(blob)} bytes)")
