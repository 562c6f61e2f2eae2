"""Fuzz the BL602 efuse image (128 bytes, or the 4224-byte secure-save form): parse, rebuild identity,
MAC and lock decoding, detect/load."""

from __future__ import annotations

import fuzzlib

GLOBS = ("bl602/efuse/*.bin", "real/bl602/*efusedata*.bin")


def test_one_input(data: bytes) -> None:
    from obkimg.formats.bl602 import efuse as ef
    from obkimg.source import Source

    clean = fuzzlib.clean
    e = clean(ef.Efuse.parse, data)
    if e is not None:
        assert e.build() == data[: ef.EFUSE_SIZE], "efuse rebuild differs"
        e.to_dict(show_secrets=True)
        e.to_dict()
        assert e.mac is None or isinstance(e.mac, str)
        assert e.mac_check_ok in (None, True, False)
    img = clean(ef.EfuseImage.parse, data)
    if img is not None:
        fuzzlib.exercise(img)
        clean(img.build)
    ef.detect(data)
    img = clean(ef.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=4400)
