"""Issue 12, "Memory and time bounded by the input, on every path": each crafted input of
``tests/hardening/_attacks.py`` is refused (exit 1, one line; or the library's ObkImgError) or handled
within a 1.5 GiB address-space cap and a generous wall-clock bound.

The CLI runs in a child process whose address space is capped (``MEMORY_LIMIT``): before the fixes these
inputs took 1.2-4 GB (MemoryError, exit 3, under the cap) or minutes. Figures: tests/hardening/README.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import obkimg
from obkimg import tuya
from obkimg import tuya_storage as ts
from obkimg.codecs import ihex
from obkimg.convert import bin_to_hex, hex_to_bin
from obkimg.errors import BuildError, FormatError, LimitError
from obkimg.formats.bl602 import dtb
from obkimg.formats.bl602 import flash as bf
from obkimg.source import MAX_HEX_TEXT, MAX_INPUT, read_bytes
from tests.hardening import _attacks as A
from tests.hardening._cli import MEMORY_LIMIT, Result, run_process

#: wall-clock bound of one capped CLI run (the machine may be shared and loaded: generous on purpose)
CLI_SECONDS = 90


def capped(*args: str, stdin: int | bytes | None = None, seconds: float = CLI_SECONDS) -> Result:
    """``obkimg ARGS`` in a child under the 1.5 GiB cap; fails if it takes longer than ``seconds``."""
    t0 = time.monotonic()
    r = run_process(*args, stdin=stdin, preamble=MEMORY_LIMIT, timeout=seconds + 60)
    took = time.monotonic() - t0
    assert took < seconds, f"obkimg {' '.join(args)} took {took:.1f} s"
    assert r.code != 3, r.err
    return r


def refused(r: Result, *words: str) -> None:
    """Exit 1 with exactly one line on stderr that holds every one of ``words``."""
    lines = r.err.strip().splitlines()
    assert r.code == 1 and len(lines) == 1, r.err
    for w in words:
        assert w in lines[0], lines[0]


def timed(fn: Callable[..., Any], *args: Any, seconds: float = 30, **kw: Any) -> Any:
    t0 = time.monotonic()
    try:
        return fn(*args, **kw)
    finally:
        assert time.monotonic() - t0 < seconds, f"{fn.__name__} took {time.monotonic() - t0:.1f} s"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("bounds")
    made = {
        "kv": A.kv_amplification(),
        "kv16": A.kv_amplification(4094),
        "keys": A.kv_key_blocks(),
        "dtb": A.dtb_amplification(),
        "dtb16": A.dtb_amplification(16 * A.MiB - 4096),
        "dtbsuffix": A.dtb_name_suffixes(),
        "hexfull": A.hex_full_flash(),
        "hexspread": A.hex_spread(),
        "pt_far": A.build_flash_toml(table0="0xFFFF0000").encode(),
        "pt_neg": A.build_flash_toml(table0="-0x1000").encode(),
        "pt_fw_far": A.build_flash_toml(fw0="0xFFF00000").encode(),
        "pt_ok": A.build_flash_toml().encode(),
        "fw": b"\x01" * 4096,
    }
    out = {}
    for name, data in made.items():
        p = d / f"{name}.bin"
        p.write_bytes(data)
        out[name] = p
    return out


# ------------------------------------------------------------------------------ Tuya KV amplification
def test_kv_amplification_library() -> None:
    """400 KiB whose index pages name 313 MB of values: LimitError after twice the storage area."""
    data = A.kv_amplification()
    with pytest.raises(LimitError) as e:
        timed(ts.read_storage, data)
    assert e.value.fmt == "tuya-kv" and "twice" in e.value.message and e.value.offset is not None
    with pytest.raises(LimitError):
        timed(tuya.extract_keys, data)
    with pytest.raises(LimitError):
        timed(obkimg.open, data)


def test_kv_value_larger_than_the_area_is_dropped() -> None:
    """With 3 index blocks every 103,168-byte value is larger than the 4 live blocks' 15,872 value bytes:
    each is dropped with an error problem, nothing is assembled."""
    keys = timed(tuya.extract_keys, A.kv_amplification(3))
    assert keys.values == {}
    dropped = [p for p in keys.problems if "more than the 15872 value bytes" in p.message]
    assert len(dropped) == 3 * 31 and all(p.severity == "error" for p in dropped)


def test_kv_bound_keeps_real_shaped_storages() -> None:
    """A storage as a device writes it (build_storage) is read whole: the bounds never bite."""
    values = {f"key{i}": bytes([0x61 + i % 26]) * (100 + 37 * i) for i in range(40)}
    data = ts.build_storage(values, device_key=A.DEVICE_KEY)
    st = ts.read_storage(data)
    assert st.raw_values == values


@pytest.mark.parametrize(
    "args",
    [
        ("tuya-keys", "--json", "{kv}"),
        ("tuya-keys", "{kv}"),
        ("info", "{kv}"),
        ("info", "--json", "{kv}"),
        ("tuya-keys", "--json", "{kv16}"),
        ("extract", "{kv}", "-d", "{out}"),
    ],
)
def test_kv_amplification_cli(files: dict[str, Path], tmp_path: Path, args: tuple[str, ...]) -> None:
    argv = [a.format(**{k: str(v) for k, v in files.items()}, out=tmp_path / "x") for a in args]
    r = capped(*argv)
    if "--json" in argv:
        assert r.code == 1 and len(r.stdout) < 4096, r.err
    else:
        refused(r, "twice", "tuya-kv")


def test_many_key_blocks_linear(files: dict[str, Path]) -> None:
    """4096 valid key blocks with distinct device keys (16 MiB): the candidate search is bounded (at most
    MAX_STORAGES keys, each tried on the sectors within DATA_WINDOW) and says so."""
    data = files["keys"].read_bytes()
    locs = timed(ts.locate, data, seconds=20)
    assert len(locs) == ts.MAX_STORAGES
    assert any("only the first 64" in p.message for p in locs[0].problems)
    r = capped("tuya-keys", str(files["keys"]), seconds=60)
    assert r.code in (0, 1) and "only the first 64" in r.err


# ------------------------------------------------------------------------------ device-tree amplification
def test_dtb_names_bounded_by_the_strings_block() -> None:
    with pytest.raises(FormatError, match="no NUL before the end of the strings block") as e:
        timed(dtb.Fdt.parse, A.dtb_amplification())
    assert e.value.fmt == "bl602-dtb" and e.value.path == "dt_struct.nameoff"
    with pytest.raises(FormatError, match="longer than 31"):
        timed(dtb.Fdt.parse, A.dtb_name_suffixes())


def test_dtb_shared_names_cost_their_bytes_once() -> None:
    """A valid tree with 100,000 properties naming the same 31-character string: one str for all of
    them, and the dtc-style rebuild (suffix reuse) stays linear and byte-exact."""
    name = b"n" * 31
    root = dtb.FdtNode("", tuple((name.decode(), b"") for _ in range(100_000)))
    raw = dtb.Fdt(root).build()
    fdt = timed(dtb.Fdt.parse, raw)
    assert len({id(k) for k, _ in fdt.root.props}) == 1
    assert timed(fdt.build) == raw
    assert sum(1 for _ in fdt.walk()) == 100_000 == fdt.property_count()


@pytest.mark.parametrize("name", ["dtb", "dtb16", "dtbsuffix"])
def test_dtb_amplification_cli(files: dict[str, Path], name: str) -> None:
    refused(capped("info", str(files[name])), "bl602-dtb", "property name")


# ------------------------------------------------------------------------------ Intel HEX
def test_hex_streamed_span_checked_while_reading() -> None:
    """16 MiB spread over 4 GiB: refused at the record that makes the span too large (line 4354 of
    about 1.1 million), before the rest is read."""
    text = A.hex_spread()
    with pytest.raises(LimitError, match="by line 4354") as e:
        timed(ihex.parse, text, seconds=10)
    assert e.value.fmt == "ihex" and e.value.offset < 0x30000
    with pytest.raises(LimitError):
        obkimg.open(text)


def test_hex_text_larger_than_the_largest_flash() -> None:
    """One-byte records: 16 MiB of data would be 240 MiB of text; anything longer than the text of a
    16 MiB flash (45 MiB) is refused before a record is read."""
    assert MAX_HEX_TEXT == ihex.text_limit(MAX_INPUT) < 46 * A.MiB
    text = A.hex_one_byte_records(200_000)
    with pytest.raises(LimitError, match="longer than"):
        ihex.parse(text, limit=len(text) // 16)
    with pytest.raises(LimitError, match="Intel HEX"):
        read_bytes(b":" + b"0" * MAX_HEX_TEXT, allow_hex=True)
    with pytest.raises(LimitError, match="larger than the largest supported flash"):
        read_bytes(b":" + b"0" * MAX_HEX_TEXT)  # raw commands: 16 MiB, HEX-looking or not


def test_hex_data_size_and_overlap_checked() -> None:
    rec = A._rec
    over = rec(0, 0, b"\x01\x02") + rec(0, 1, b"\x03") + rec(1, 0, b"")
    with pytest.raises(FormatError, match="overlaps earlier data at address 0x1"):
        ihex.parse(over)
    with pytest.raises(LimitError, match="spans"):
        ihex.parse(rec(0, 0, b"\x01" * 16) + rec(0, 0x20, b"\x02"), limit=32)
    assert ihex.parse(rec(0, 0x10, b"\x01") + rec(0, 0, b"\x02") + rec(1, 0, b"")) == (
        0,
        b"\x02" + b"\xff" * 15 + b"\x01",
    )


def test_hex_full_flash_converts_in_bounded_memory(files: dict[str, Path], tmp_path: Path) -> None:
    """A legitimate 44 MiB HEX of a 16 MiB flash: converted under the 1.5 GiB cap, byte-exact."""
    out = tmp_path / "flash.bin"
    r = capped("convert", "hex2bin", str(files["hexfull"]), "-o", str(out), seconds=150)
    assert r.code == 0, r.err
    data = out.read_bytes()
    assert (
        len(data) == 16 * A.MiB and data[:512] == bytes(range(256)) * 2 and data[-256:] == bytes(range(256))
    )
    assert "base address 0x0" in r.err


@pytest.mark.parametrize(
    "args", [("info", "{hexspread}"), ("convert", "hex2bin", "{hexspread}", "-o", "{out}")]
)
def test_hex_spread_cli(files: dict[str, Path], tmp_path: Path, args: tuple[str, ...]) -> None:
    argv = [a.format(**{k: str(v) for k, v in files.items()}, out=tmp_path / "o.bin") for a in args]
    refused(capped(*argv), "spans", "16777216")
    assert not (tmp_path / "o.bin").exists()


def test_hex_library_still_round_trips() -> None:
    data = bytes(range(256)) * 300
    text = bin_to_hex(data, 0x1FF00)
    assert text.startswith(":020000040001F9\n:10FF0000") and hex_to_bin(text) == (0x1FF00, data)


# ------------------------------------------------------------------------------ bl602 build-flash
def test_build_flash_addresses_checked_before_building() -> None:
    for toml, field in (
        (A.build_flash_toml(table0="0xFFFF0000"), "pt_table.address0"),
        (A.build_flash_toml(fw0="0xFFF00000"), "FW.address0"),
    ):
        with pytest.raises(BuildError, match="beyond the flash") as e:
            timed(bf.build_flash, table=toml, firmware=b"\x01" * 64, seconds=5)
        assert e.value.path == field
    table = bf.table_from_toml(A.build_flash_toml())[0]
    for addrs in ((-0x1000, 0xF000), (0xE000, 0x200000 - 0x800)):
        with pytest.raises(BuildError):
            bf.build_flash(table=table, table_addresses=addrs, size=0x200000)
    with pytest.raises(BuildError, match="flash size"):
        bf.build_flash(table=table, size=5 << 30)
    with pytest.raises(BuildError, match="beyond"):
        bf.build_flash(table=table, size=0x100000)  # factory at 0x1FF000 is outside a 1 MiB flash
    assert len(bf.build_flash(table=table, size=0x200000)) == 0x200000


@pytest.mark.parametrize(
    "pt,extra",
    [
        ("pt_far", ()),
        ("pt_neg", ()),
        ("pt_fw_far", ("--firmware", "{fw}")),
        ("pt_ok", ("--size", "0x140000000")),
    ],
)
def test_build_flash_cli(files: dict[str, Path], tmp_path: Path, pt: str, extra: tuple[str, ...]) -> None:
    out = tmp_path / "flash.bin"
    args = [
        "bl602",
        "build-flash",
        "--pt",
        str(files[pt]),
        "-o",
        str(out),
        *[e.format(fw=files["fw"]) for e in extra],
    ]
    r = capped(*args, seconds=60)
    assert r.code == 1 and len(r.err.strip().splitlines()) == 1, r.err
    assert not out.exists()


# ------------------------------------------------------------------------------ 16 MiB before reading
@pytest.mark.parametrize(
    "args",
    [
        ("bk", "crypt", "-", "-o", "{out}"),
        ("rbl", "pack", "-", "--version", "1", "-o", "{out}"),
        ("ug", "pack", "-", "--version", "1", "-o", "{out}"),
        ("convert", "hex2bin", "-", "-o", "{out}"),
        ("convert", "bin2hex", "-", "-o", "{out}"),
        ("info", "-"),
    ],
)
def test_stdin_zero_refused_at_16_mib(tmp_path: Path, args: tuple[str, ...]) -> None:
    """/dev/zero on stdin: at most 16 MiB + 1 bytes are read, and the message names 16777216."""
    argv = [a.format(out=tmp_path / "o") for a in args]
    with open("/dev/zero", "rb") as zero:
        r = capped(*argv, stdin=zero.fileno(), seconds=60)
    refused(r, "16777216 bytes", "largest supported flash")
    assert "50331648" not in r.err and not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "args",
    [
        ("bk", "crypt", "{in}", "-o", "{out}"),
        ("rbl", "pack", "{in}", "--version", "1", "-o", "{out}"),
        ("ug", "pack", "{in}", "--version", "1", "-o", "{out}"),
        ("convert", "hex2bin", "{in}", "-o", "{out}"),
        ("convert", "bin2hex", "{in}", "-o", "{out}"),
    ],
)
def test_raw_file_over_16_mib_refused_before_reading(tmp_path: Path, args: tuple[str, ...]) -> None:
    """A sparse 17 MiB file (raw commands used to take up to 48 MiB): refused by its size."""
    p = tmp_path / "big.bin"
    with open(p, "wb") as f:
        f.truncate(17 * A.MiB)
    r = capped(*[a.format(out=tmp_path / "o", **{"in": p}) for a in args], seconds=60)
    refused(r, f"{17 * A.MiB} bytes", "(16777216 bytes)")
    assert not (tmp_path / "o").exists()


def test_hex_looking_file_over_the_hex_text_bound(tmp_path: Path) -> None:
    """A file that starts like Intel HEX may be up to MAX_HEX_TEXT long; beyond that it is refused by
    its size, with the HEX bound in the message."""
    p = tmp_path / "big.hex"
    with open(p, "wb") as f:
        f.write(b":00000001FF\n" * 8)
        f.truncate(MAX_HEX_TEXT + 1)
    for args in (("info", str(p)), ("convert", "hex2bin", str(p), "-o", str(tmp_path / "o"))):
        refused(capped(*args, seconds=60), "Intel HEX", str(MAX_HEX_TEXT))
    with pytest.raises(LimitError):
        obkimg.open(p)
