"""Fuzz the Tuya UG wrapper: parse (strict and lenient), rebuild identity, unwrap/unpack, verify,
detect/load."""

from __future__ import annotations

import fuzzlib

GLOBS = ("bk7231/tuya_package_UG*.bin", "real/bk7231*/*.ug.bin")


def extra_seeds() -> list[bytes]:
    from obkimg.formats.bk7231 import rbl, ug

    app = bytes(range(256)) * 2
    return [
        ug.wrap(rbl.pack(app, version="1.0", timestamp=0, compression=c, encryption=e), "1.0.0")
        for c, e in (("gzip", "aes256"), ("none", "none"), ("gzip", "none"))
    ]


def test_one_input(data: bytes) -> None:
    from obkimg.formats import loader_of
    from obkimg.formats.bk7231 import ug
    from obkimg.source import Source

    clean = fuzzlib.clean
    clean(ug.UgFile.parse, data, strict=True)
    f = clean(ug.UgFile.parse, data, strict=False)
    if f is not None:
        assert f.build() == data, "UG rebuild differs"
        f.verify(limit=1 << 20)
        clean(f.unpack, limit=1 << 20)
        clean(f.build, fresh=True)
    clean(ug.unwrap, data, app=True, limit=1 << 20)
    ug.detect(data)
    img = clean(loader_of(ug), Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=4096, extra_seeds=extra_seeds)
