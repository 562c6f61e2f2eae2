"""Fuzz the flattened device tree reader (BL602 factory parameters): parse, canonical rebuild, walk,
factory parameter decoding, detect/load."""

from __future__ import annotations

import fuzzlib

GLOBS = ("bl602/small/ro_params.dtb", "real/bl602/BL602_Dts*.bin")


def test_one_input(data: bytes) -> None:
    from obkimg.formats.bl602 import dtb
    from obkimg.source import Source

    clean = fuzzlib.clean
    fdt = clean(dtb.Fdt.parse, data)
    if fdt is not None:
        list(fdt.walk())
        clean(fdt.build)
        clean(dtb.FactoryParams.from_fdt, fdt)
    img = clean(dtb.DtbImage.parse, data)
    if img is not None:
        fuzzlib.exercise(img)
        clean(img.build)
    dtb.detect(data)
    img = clean(dtb.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=8192)
