"""Fuzz BL602 partition tables: the binary table (strict and not, rebuild), device copies at any
offset, copy selection, the table region model, and the TOML reader (bytes as text)."""

from __future__ import annotations

import fuzzlib

GLOBS = ("bl602/pt/*.bin", "bl602/small/partition.bin", "real/bl602/*artition*.bin", "bl602/inputs/*.toml")


def extra_seeds() -> list[bytes]:
    return [p.read_bytes() for p in fuzzlib.FIXTURES.glob("bl602/inputs/*.toml")]


def test_one_input(data: bytes) -> None:
    from obkimg import partitions as pw
    from obkimg.formats.bl602 import partitions as bp
    from obkimg.source import Source

    clean = fuzzlib.clean
    clean(bp.PartitionTable.parse, data, strict=True)
    t = clean(bp.PartitionTable.parse, data, strict=False)
    if t is not None:
        t.to_dict()
        clean(t.build)
        clean(pw.table_to_toml, t)
        bp.layout_name(t)
    c = clean(bp.TableCopy.parse, data)
    if c is not None:
        c.to_dict()
    copies = bp.read_copies(data, (0, 0x1000))
    bp.select_active(copies)
    r = clean(bp.TableRegion.parse, data)
    if r is not None:
        fuzzlib.exercise(r)
        clean(r.build)
    bp.detect(data)
    img = clean(bp.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return
    clean(pw.parse_toml, text)
    res = clean(pw.table_from_toml, text)
    if res is not None:
        clean(pw.table_to_toml, res[0], addresses=res[1])


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=0x2000, extra_seeds=extra_seeds)
