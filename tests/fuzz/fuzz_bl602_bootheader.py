"""Fuzz the BL602 boot header and boot image: header parse (strict and not), rebuild, checksums,
image parse with each role (auto, firmware, boot2), extension and segment parsing, detect/load."""

from __future__ import annotations

import fuzzlib

GLOBS = (
    "bl602/small/bootinfo*.bin",
    "bl602/odd/bootinfo.bin",
    "bl602/add16/bootinfo.bin",
    "bl602/small/img*.bin",
    "bl602/small/whole_img*.bin",
    "bl602/small/FW_OTA.bin",
    "bl602/mcu/*.bin",
    "bl602/odd/whole_img.bin",
    "bl602/inputs/boot2_isp_release.bin",
    "real/bl602/*bootheader*.bin",
    "real/bl602/*bootinfo*.bin",
    "real/bl602/BL602_AppHdr*.bin",
    "real/bl602/*boot2*.bin",
    "real/bl602/*eflash_loader*.bin",
)


def test_one_input(data: bytes) -> None:
    from obkimg.formats.bl602 import bootheader as bh
    from obkimg.source import Source

    clean = fuzzlib.clean
    clean(bh.BootHeader.parse, data, strict=True)
    h = clean(bh.BootHeader.parse, data)
    if h is not None:
        assert h.build() == data[: bh.HEADER_SIZE], "boot header rebuild differs"
        h.check()
        h.to_dict()
        clean(h.with_checksums, data)
    for role in ("firmware", "boot2"):  # the model is exercised below, for the detected role
        img = clean(bh.BootImage.parse, data, role=role)
        if img is not None:
            img.regions()
            img.problems()
    bh.looks_like_bl602_code(data)
    bh.detect(data)
    img = clean(bh.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=8192)
