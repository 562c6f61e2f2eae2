"""Structure-aware fuzzing of ``bl602 build-flash``: the input chooses a well-typed partition TOML (table
copy addresses, entries with addresses and sizes near 0, near the end of a 2/4 MiB flash, at 0xFFFF0000,
negative), which parts are given (firmware, factory DTB, other partitions) and ``--size``, and
``build_flash`` must refuse what does not fit before allocating: the image is never larger than
16 MiB, and is exactly ``size`` bytes when a size is given.

Only integers are generated: TOML keys of the wrong type are the TOML shape validation of issue 12
("Only ObkImgError"), handled on its own branch.
"""

from __future__ import annotations

import fuzzlib
from shapes import Shape

NAMES = ("FW", "mfg", "media", "PSM", "KEY", "DATA", "factory", "Boot2")


def _num(sh: Shape) -> int:
    kind = sh.int(0, 7)
    if kind == 0:
        return 0
    if kind == 1:
        return sh.int(0, 0x400) * 0x1000
    if kind == 2:
        return sh.pick((0xE000, 0xF000, 0x10000, 0x1FF000, 0x200000, 0x3FF000, 0x1000000, 0xFFFF0000))
    if kind == 3:
        return -sh.int(1, 0x10000)
    if kind == 4:
        return 0xFFFFFFFF - sh.int(0, 0x1000)
    if kind == 5:
        return sh.int(0, 1 << 34)
    return sh.u32()


def toml_of(sh: Shape) -> str:
    lines = [
        "[pt_table]",
        f"address0 = {_num(sh) if sh.int(0, 3) == 0 else 0xE000}",
        f"address1 = {_num(sh) if sh.int(0, 3) == 0 else 0xF000}",
    ]
    for _ in range(sh.int(1, 6)):
        name = (
            sh.pick(NAMES)
            if sh.int(0, 7)
            else "".join(chr(0x41 + sh.int(0, 25)) for _ in range(sh.int(1, 9)))
        )
        lines += ["", "[[pt_entry]]", f"type = {sh.int(0, 300)}", f'name = "{name}"', "device = 0"]
        for key in ("address0", "size0", "address1", "size1", "len"):
            lines.append(f"{key} = {_num(sh)}")
        if sh.bool():
            lines.append(f"activeindex = {sh.int(0, 2)}")
    return "\n".join(lines) + "\n"


def test_one_input(data: bytes) -> None:
    from obkimg.formats.bl602 import flash as bf

    sh = Shape(data)
    text = toml_of(sh)
    size = sh.pick((None, None, 0x200000, 0x400000, 0x100000, 0, -1, 5 << 30, sh.u32()))
    firmware = sh.bytes(0, 256) if sh.bool() else None
    dtb = (b"\xd0\x0d\xfe\xed" + sh.bytes(0, 64)) if sh.bool() else None
    others = {sh.pick(NAMES): sh.bytes(0, 64) for _ in range(sh.int(0, 2))}
    out = fuzzlib.clean(bf.build_flash, table=text, firmware=firmware, dtb=dtb, partitions=others, size=size)
    if out is not None:
        assert len(out) <= bf.MAX_FLASH, len(out)
        assert size is None or len(out) == size, (len(out), size)
        table, addrs = bf.table_from_toml(text)
        for a in addrs:
            assert a >= 0 and a + 0x1000 <= (size or bf.MAX_FLASH), a


def seeds() -> list[bytes]:
    import random

    rnd = random.Random(9)
    return [b"", b"\x00" * 64, b"\x02" * 200] + [rnd.randbytes(200) for _ in range(6)]


if __name__ == "__main__":
    fuzzlib.main(test_one_input, max_len=1024, extra_seeds=seeds)
