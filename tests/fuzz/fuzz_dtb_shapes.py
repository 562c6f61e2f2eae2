"""Structure-aware fuzzing of the device-tree reader: the input chooses a tree (node names, nesting up to
past MAX_DEPTH, properties with factory-key or odd names, shared names), which ``Fdt.build`` lays out as
dtc does, and then a few surgical edits of the kind issue 12 found (a name offset pointing mid-string or
past the end, NULs removed from the strings block, one property token repeated thousands of times,
header sizes and offsets moved).

Checked on top of "only ObkImgError": every property name read is NUL-terminated inside the strings
block and at most MAX_NAME long, so the names of a tree cost at most their bytes.
"""

from __future__ import annotations

import struct

import fuzzlib
from shapes import Shape

PROP_NAMES = (
    "mode",
    "sta_mac_addr",
    "pwr_table_11b",
    "xtal",
    "country_code",
    "pwd",
    "ssid",
    "compatible",
    "n" * 31,
    "n" * 32,
    "",
)
NODE_NAMES = ("wifi", "mac", "brd_rf", "region", "sta", "ap", "bluetooth", "node@0")


def tree(sh: Shape, depth: int):  # type: ignore[no-untyped-def]
    from obkimg.formats.bl602.dtb import FdtNode

    name = "" if depth == 0 else (sh.pick(NODE_NAMES) if sh.int(0, 3) else sh.bytes(0, 40).decode("latin-1"))
    props = []
    for _ in range(sh.int(0, 6)):
        pname = sh.pick(PROP_NAMES) if sh.int(0, 3) else sh.bytes(0, 40).decode("latin-1")
        props.append((pname.replace("\0", "_"), sh.bytes(0, 24)))
    children = []
    if depth < 40:
        for _ in range(sh.pick((0, 0, 1, 1, 2, 3))):
            children.append(tree(sh, depth + 1))
    return FdtNode(name.replace("\0", "_"), tuple(props), tuple(children))


def _edit(sh: Shape, raw: bytearray) -> bytearray:
    """One surgical edit of a laid-out FDT."""
    if len(raw) < 40:
        return raw
    off_struct, off_strings = struct.unpack_from(">II", raw, 8)
    size_strings, size_struct = struct.unpack_from(">II", raw, 32)
    kind = sh.int(0, 6)
    end = min(off_struct + size_struct, len(raw)) - 12  # the header may have been edited already
    prop_at = [i for i in range(off_struct, end, 4) if raw[i : i + 4] == b"\0\0\0\3"][:4096]
    if kind == 0 and prop_at:  # a name offset anywhere (mid-string, past the end)
        at = sh.pick(prop_at)
        struct.pack_into(">I", raw, at + 8, sh.int(0, size_strings + 8))
    elif kind == 1:  # NULs of the strings block removed from some point on
        cut = off_strings + sh.int(0, size_strings)
        raw[cut : off_strings + size_strings] = raw[cut : off_strings + size_strings].replace(b"\0", b"n")
    elif kind == 2 and prop_at:  # one property token repeated (the 181 KB amplification shape)
        at = sh.pick(prop_at)
        ln = struct.unpack_from(">I", raw, at + 4)[0]
        token = bytes(raw[at : at + 12 + min(ln, 64) + (-min(ln, 64) % 4)])  # len may be edited already
        times = sh.int(1, 3000)
        raw[at:at] = token * times
        grow = len(token) * times
        for at, word in ((36, size_struct), (12, off_strings), (4, struct.unpack_from(">I", raw, 4)[0])):
            struct.pack_into(">I", raw, at, (word + grow) & 0xFFFFFFFF)
    elif kind == 3:  # a header word moved
        struct.pack_into(">I", raw, 4 * sh.int(1, 9), sh.u32())
    elif kind == 4:  # cut short / padded
        raw = raw[: sh.int(0, len(raw))] if sh.bool() else raw + b"\xff" * sh.int(0, 256)
    elif kind == 5:  # NOPs inserted after the root's name
        raw[off_struct + 8 : off_struct + 8] = b"\0\0\0\4" * sh.int(1, 8)
    return raw


def test_one_input(data: bytes) -> None:
    from obkimg.errors import ObkImgError
    from obkimg.formats.bl602 import dtb

    clean = fuzzlib.clean
    sh = Shape(data)
    try:
        raw = bytearray(dtb.Fdt(tree(sh, 0), version=sh.pick((17, 17, 16, 15, 18))).build())
    except (ObkImgError, UnicodeEncodeError):
        return
    for _ in range(sh.int(0, 3)):
        raw = _edit(sh, raw)
    raw = bytes(raw)
    fdt = clean(dtb.Fdt.parse, raw)
    if fdt is not None:
        for node in dtb._iter_nodes(fdt.root):
            for name, _ in node.props:
                assert len(name) <= dtb.MAX_NAME and "\0" not in name, name
        assert fdt.property_count() == sum(1 for _ in fdt.walk())
        clean(fdt.build)
        dtb.FactoryParams.from_fdt(fdt).to_dict()
    img = clean(dtb.DtbImage.parse, raw)
    if img is not None:
        fuzzlib.exercise(img)
        clean(img.build)
    dtb.detect(raw)


def seeds() -> list[bytes]:
    import random

    rnd = random.Random(7)
    return [b"", b"\x01" * 64, b"\x02\x00\x01\x02" * 40] + [rnd.randbytes(600) for _ in range(6)]


if __name__ == "__main__":
    fuzzlib.main(test_one_input, max_len=2048, extra_seeds=seeds)
