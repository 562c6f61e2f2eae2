"""Fuzz the BL602 OTA container: header, ``.ota`` / ``.xz.ota`` parse (strict and not), the ota
workflows (unpack, table_from, firmware_from, check), detect/load. Decompression is capped at 1 MiB."""

from __future__ import annotations

import fuzzlib

GLOBS = (
    "bl602/small/FW_OTA.bin*.ota",
    "bl602/odd/FW_OTA.bin.xz.ota",
    "real/bl602/*.ota",
    "real/bl602/bl602_zengge_ota_header.bin",
    "real/bl602/*xz.ota_cutted",
)
LIMIT = 1 << 20


def test_one_input(data: bytes) -> None:
    from obkimg import ota
    from obkimg.formats.bl602 import ota as bo
    from obkimg.source import Source

    clean = fuzzlib.clean
    h = clean(bo.OtaHeader.parse, data)
    if h is not None:
        assert h.build() == data[: bo.OTA_HEADER_SIZE], "OTA header rebuild differs"
        h.to_dict()
    for strict in (True, False):
        img = clean(bo.OtaImage.parse, data, strict=strict, limit=LIMIT)
        if img is not None:
            fuzzlib.exercise(img)
            img.build()
    clean(ota.unpack, data, limit=LIMIT)
    clean(ota.table_from, data)
    clean(ota.firmware_from, data)
    clean(ota.check, data, data)
    bo.detect(data)
    img = clean(bo.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=16384)
