"""Fuzz the front door: ``obkimg.detect`` and ``obkimg.open`` on any bytes (gzip and Intel HEX
containers included), then everything ``obkimg info/verify/extract`` does with the model."""

from __future__ import annotations

import fuzzlib

GLOBS = (
    "bk7231/*.rbl",
    "bk7231/tuya_package_UG*.bin",
    "bk7231n/bk7231n_bootloader.bin",
    "bl602/small/*.bin",
    "bl602/small/*.ota",
    "bl602/small/*.xz",
    "bl602/small/*.dtb",
    "bl602/efuse/efusedata_mac.bin",
    "bl602/pt/*.bin",
    "obk/*.bin",
    "tuya/tuya_bk7231n_region_0x1ED000.bin",
    "real/bl602/OpenBL602SDK_bootinfo_01bc637.bin",
)


def extra_seeds() -> list[bytes]:
    import gzip

    hex_text = b":020000040000FA\n:10000000" + b"00" * 16 + b"F0\n:00000001FF\n"
    return [gzip.compress(b"\xff" * 1024, mtime=0), hex_text]


def test_one_input(data: bytes) -> None:
    import obkimg
    from obkimg.extract import extract

    clean = fuzzlib.clean
    for d in clean(obkimg.detect, data) or []:
        d.to_dict()
    img = clean(obkimg.open, data)
    if img is not None:
        fuzzlib.exercise(img)
    clean(extract, data)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=16384, extra_seeds=extra_seeds)
