"""Fuzz the BL602 whole-flash model: partition table copies (at 0xE000/0xF000, and at 0/0x1000 so short
inputs reach the slot analysis), slot contents (boot header, XZ OTA, PSM...), regions, artifacts."""

from __future__ import annotations

import fuzzlib

GLOBS = (
    "bl602/small/whole_flash_data.bin",
    "real/bl602/*whole_flash_data*.bin",
    "real/bl602/full_binary_with_app_*.bin",
)


def extra_seeds() -> list[bytes]:
    # partition table copies moved to 0 and 0x1000, slots pointing into the input
    out = []
    for p in fuzzlib.fixture_files(("bl602/small/whole_flash_data.bin",)):
        d = fuzzlib.read_fixture(p)
        out.append(d[0xE000:0x10000] + d[0x10000:0x14000])
    return out


def test_one_input(data: bytes) -> None:
    from obkimg.formats.bl602 import flash as bf
    from obkimg.source import Source

    clean = fuzzlib.clean
    for addrs in (bf.TABLE_ADDRESSES, (0, 0x1000)):
        d = clean(bf.FlashDump.parse, data, table_addresses=addrs)
        if d is not None:
            fuzzlib.exercise(d)
            assert d.build() == data, "flash dump rebuild differs"
            clean(d.running_firmware)
    bf.detect(data)
    img = clean(bf.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=0x14000, windows=(0, 0xE000), extra_seeds=extra_seeds)
