"""Fuzz the BK7231 image analyser: every kind forced (QIO, UA, dump, bootloader, app) and detected,
plus split_qio, decrypt_app, recover_app_length and bootloader_region.

Inputs are small (``-max_len`` 76 KiB covers the bootloader partition and the start of the app at
0x11000), so whole-dump code paths run on short, truncated dumps; seeds are the vendor bootloaders and
apps and the first 76 KiB of real dumps and QIO releases. To keep the speed up, each input is analysed
as detected plus as one forced kind, chosen by the input length.
"""

from __future__ import annotations

import fuzzlib

MAX_LEN = 0x13000
#: restart interval for run_all.py (atheris leaked numpy comparison results on big inputs, see README.md)
CHUNK = 4000
GLOBS = (
    "bk7231/app_*.bin",
    "bk7231/beken_encrypt*.bin",
    "bk7231n/*.bin",
    "bk7231t/*.bin",
    "real/bk7231n/OpenBK7231N_QIO_*.bin",
    "real/bk7231t/OpenBK7231T_QIO_*.bin",
    "real/bk7231n/*bootloader*.bin",
    "real/bk7231t/*bootloader*.bin",
    "real/bk7231n/Mirabella_Genio_I003632_Plug.bin",
    "real/bk7231t/BK7231T_QIO_Woox_*.bin",
)
KINDS = (None, "bk7231-qio", "bk7231-ua", "bk7231-dump", "bk7231-bootloader", "bk7231-app")


def test_one_input(data: bytes) -> None:
    from obkimg import bkdump as bki

    clean = fuzzlib.clean
    bki.detect(data)
    for kind in (None, KINDS[1 + len(data) % (len(KINDS) - 1)]):
        img = clean(bki.analyze, data, kind=kind)
        if img is None:
            continue
        fuzzlib.exercise(img)
        clean(bki.decrypt_app, img)
        clean(bki.recover_app_length, img)
        clean(bki.bootloader_region, img)
        clean(img.build)
    parts = clean(bki.split_qio, data)
    if parts is not None:
        clean(bki.build_qio, parts)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=MAX_LEN, windows=(0, 0x11000))
