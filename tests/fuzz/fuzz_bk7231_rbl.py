"""Fuzz the BK7231 RBL container: header (plain and CRC-framed), OTA file (parse, unpack, verify) and
in-flash partition (framed trailer + image checks), plus detect/load."""

from __future__ import annotations

import fuzzlib

GLOBS = ("bk7231/*.rbl", "bk7231/lt_app_container_0xC000.bin", "bk7231/tuya_package_UG*.bin")


def extra_seeds() -> list[bytes]:
    from obkimg.formats.bk7231 import rbl

    app = bytes(range(256)) * 4
    out = [
        rbl.pack(app, version="1.0", timestamp=0, compression=c, encryption=e)
        for c in ("gzip", "none")
        for e in ("aes256", "none")
    ]
    hdr = rbl.RblHeader.for_flash_image(app, name="app", version="1.0", timestamp=0)
    out.append(hdr.build())
    out.append(rbl.RblPartition.pack(app, size=0x1000).build())
    return out


def test_one_input(data: bytes) -> None:
    from obkimg.formats import loader_of
    from obkimg.formats.bk7231 import rbl
    from obkimg.source import Source

    clean = fuzzlib.clean
    for strict in (True, False):
        clean(rbl.RblHeader.parse, data, strict=strict)
        clean(rbl.RblHeader.parse_framed, data, strict=strict)
    f = clean(rbl.RblFile.parse, data, strict=False)
    if f is not None:
        assert f.build() == data, "RblFile rebuild differs"
        clean(f.unpack, limit=1 << 20)
        f.verify(limit=1 << 20)
    p = clean(rbl.RblPartition.parse, data, strict=False)
    if p is not None:
        p.image_problems()
    if clean(rbl.RblPartition.parse, data, strict=True) is not None:
        # a lenient parse re-frames the trailer on build (fresh CRC-16s); a valid one is kept exactly
        assert p is not None and p.build() == data, "RblPartition rebuild differs"
    rbl.detect(data)
    img = clean(loader_of(rbl), Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=2048, extra_seeds=extra_seeds)
