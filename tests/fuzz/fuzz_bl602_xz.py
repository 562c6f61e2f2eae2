"""Fuzz the XZ side of BL602 OTA: ``xz_info`` (stream facts without decompressing) and the bare
``FW_OTA.bin.xz`` model (with and without its SHA-256 trailer), decompression capped at 1 MiB."""

from __future__ import annotations

import fuzzlib

GLOBS = ("bl602/small/FW_OTA.bin.xz*", "real/bl602/*.bin.xz", "real/bl602/*FW_OTA.bin.xz")
LIMIT = 1 << 20


def extra_seeds() -> list[bytes]:
    from obkimg.formats.bl602 import ota as bo

    return [bo.xz_compress(b""), bo.xz_compress(bytes(4096)), bo.xz_compress(bytes(range(256)) * 8)]


def test_one_input(data: bytes) -> None:
    from obkimg.codecs.compress import xz_decompress
    from obkimg.formats.bl602 import ota as bo
    from obkimg.source import Source

    clean = fuzzlib.clean
    info = clean(bo.xz_info, data)
    if info is not None:
        info.to_dict()
    clean(xz_decompress, data, limit=LIMIT)
    for strict in (True, False):
        img = clean(bo.XzImage.parse, data, strict=strict, limit=LIMIT)
        if img is not None:
            fuzzlib.exercise(img)
    img = clean(bo.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=16384, extra_seeds=extra_seeds)
