"""Every command on bad input (empty, garbage, truncated files of each kind, all-0xFF, corrupt gzip and
Intel HEX, a folder, a missing path, stdin): exit 1 (bad data) or 2 (usage), never 3 (internal error),
a message on stderr, nothing half-written, inputs untouched; with --json, exactly one error document on
stdout that validates against schemas/error.v1."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, validate_schema
from tests.hardening._cli import run

#: read commands with --json: (argv before the file, argv after the file)
JSON_COMMANDS = [
    (["info"], []),
    (["verify"], []),
    (["detect"], []),
    (["tuya-keys"], []),
    (["obk-config", "show"], []),
    (["partitions", "show"], []),
    (["bl602", "header", "show"], []),
    (["ota", "check"], ["--against", "{file}"]),
    (["check"], ["--chip", "BK7231N"]),
]
#: commands that write: the output goes to {out}
WRITE_COMMANDS = [
    (["rbl", "unpack"], ["-o", "{out}"]),
    (["ug", "unpack"], ["-o", "{out}", "--app", "{out}.app"]),
    (["ota", "unpack"], ["-o", "{out}"]),
    (["ota", "pack"], ["-o", "{out}"]),
    (["convert", "qio2ua"], ["-o", "{out}"]),
    (["convert", "ua2qio"], ["--bootloader-from", "{file}", "-o", "{out}"]),
    (["convert", "hex2bin"], ["-o", "{out}"]),
    (["partitions", "build"], ["-o", "{out}"]),
    (["partitions", "export"], ["-o", "{out}"]),
    (["bl602", "header", "rebuild"], ["-o", "{out}"]),
    (["obk-config", "extract"], ["-o", "{out}"]),
    (["obk-config", "set"], ["wifi_ssid=x", "-o", "{out}"]),
    (["extract"], ["-d", "{out}"]),
]


def _bad_inputs(d: Path) -> dict[str, Path]:
    out: dict[str, bytes] = {
        "empty": b"",
        "garbage": bytes((i * 167 + 13) & 0xFF for i in range(1000)),
        "all-ff": b"\xff" * 0x10000,
        "all-00": b"\x00" * 0x10000,
        "bad-gzip": b"\x1f\x8b\x08\x00" + b"\x00" * 60,
        "truncated-gzip": gzip.compress(b"\xff" * 100000, mtime=0)[:80],
        "bad-hex": b":10000000ZZ\n:00000001FF\n",
        "bad-hex-checksum": b":0400000001020304FF\n:00000001FF\n",
        "text": b"config = { wifi = 'x' }\n[[pt_entry]]\nname = \n",
        "utf16-toml": "[pt_table]\naddress0 = 0xE000\n".encode("utf-16"),
    }
    if FIXTURES.exists():  # heads and cuts of one file of each kind
        for name, rel, cut in [
            ("rbl-head", "bk7231/rtota_app_raw_gzip_aes.rbl", 100),
            ("rbl-cut", "bk7231/lt_ota_gzip_aes.rbl", 400),
            ("ug-cut", "bk7231/tuya_package_UG_rtota_gzip_aes.bin", 300),
            ("boot-cut", "bk7231n/bk7231n_bootloader.bin", 5000),
            ("ota-cut", "bl602/small/FW_OTA.bin.xz.ota", 3000),
            ("bl602-header-cut", "bl602/small/bootinfo.bin", 100),
            ("pt-cut", "bl602/small/partition.bin", 100),
            ("dtb-cut", "bl602/small/ro_params.dtb", 1000),
            ("obk-cut", "obk/obk_cfg_v5_bk7231_sector.bin", 1000),
            ("tuya-cut", "tuya/tuya_bk7231n_region_0x1ED000.bin", 0x1800),
            ("flash-cut", "bl602/small/whole_flash_data.bin", 0xE100),
        ]:
            out[name] = (FIXTURES / rel).read_bytes()[:cut]
    paths = {}
    for name, data in out.items():
        p = d / f"{name}.bin"
        p.write_bytes(data)
        paths[name] = p
    return paths


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _bad_inputs(tmp_path_factory.mktemp("bad"))


def _argv(pre: list[str], post: list[str], file: str, out: str) -> list[str]:
    return [*pre, file, *[a.format(file=file, out=out) for a in post]]


@pytest.mark.parametrize("pre,post", JSON_COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_read_commands_on_bad_input(bad: dict[str, Path], pre: list[str], post: list[str]) -> None:
    for name, path in bad.items():
        r = run(*_argv(pre, post, str(path), ""))
        assert r.code in (0, 1), f"{name}: {r.err}"  # 0: e.g. detect listing nothing, verify of a valid cut
        if r.code == 1:  # an error on stderr, or a failed check's report (verify, check) on stdout
            assert r.err.strip() or r.stdout.strip(), name
        rj = run(*_argv(pre, post, str(path), ""), "--json")
        # detect: "nothing recognised" is exit 1 as text, an empty candidate list (exit 0) as JSON
        assert rj.code == r.code or (pre == ["detect"] and rj.code == 0), name
        doc = json.loads(rj.stdout)  # exactly one document
        if rj.code == 1 and doc.get("schema") == "obkimg.error/1":
            validate_schema(doc, "error.v1")
            assert doc["error"]["message"]


@pytest.mark.parametrize("pre,post", WRITE_COMMANDS, ids=lambda v: " ".join(v) if isinstance(v, list) else "")
def test_write_commands_on_bad_input(
    bad: dict[str, Path], tmp_path: Path, pre: list[str], post: list[str]
) -> None:
    for name, path in bad.items():
        out = tmp_path / f"out-{name}"
        r = run(*_argv(pre, post, str(path), str(out)), outputs=[out])
        assert r.code in (0, 1), f"{name}: {r.err}"
        if r.code == 1:
            assert r.err.strip() and not out.exists() and not Path(f"{out}.app").exists(), name
        assert not list(tmp_path.glob(".*.part")), name


@pytest.mark.parametrize(
    "pre", [["info"], ["verify"], ["rbl", "unpack"], ["tuya-keys"], ["convert", "bin2hex"]]
)
def test_missing_path_and_folder_are_usage_errors(tmp_path: Path, pre: list[str]) -> None:
    extra = ["-o", str(tmp_path / "o")] if pre[0] in ("rbl", "convert") else []
    for target in (tmp_path / "missing.bin", tmp_path):
        r = run(*pre, str(target), *extra)
        assert r.code == 2 and r.err, target


def test_bad_stdin(bad: dict[str, Path]) -> None:
    for name in ("empty", "garbage", "bad-gzip", "bad-hex"):
        r = run("info", "-", stdin=bad[name].read_bytes())
        assert r.code == 1 and r.err, name
        r = run("info", "-", "--json", stdin=bad[name].read_bytes())
        validate_schema(json.loads(r.stdout), "error.v1")


def test_scan_of_a_folder_of_bad_files(bad: dict[str, Path]) -> None:
    folder = next(iter(bad.values())).parent
    r = run("scan", str(folder), "--json")
    assert r.code in (0, 1), r.err
    doc = json.loads(r.stdout)
    validate_schema(doc, "scan.v1")


def test_unreadable_input_is_a_clean_error(tmp_path: Path) -> None:
    """A path that exists but cannot be read as a file (a FIFO with no writer would block: use /proc)."""
    r = run("info", "/proc/self/mem", outputs=["/proc/self/mem"])  # (not hashed: it cannot be read)
    assert r.code in (1, 2) and r.err


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    f = tmp_path / "x.bin"
    f.write_bytes(b"\xff" * 100)
    for argv in (
        ["bk", "crypt", str(f), "-o", "-", "--key", "nonsense"],
        ["bk", "crypt", str(f), "-o", "-", "--address", "0xZZ"],
        ["info", str(f), "--kind", "no-such-format"],
        ["rbl", "pack", str(f), "-o", str(tmp_path / "o"), "--version", "x" * 100],
        ["ug", "pack", str(f), "-o", str(tmp_path / "o"), "--version", "1"],
        ["ota", "unpack", str(f), "-o", str(tmp_path / "o"), "--limit", "-5"],
        ["obk-config", "show", str(f), "--chip", "Z80"],
    ):
        r = run(*argv)
        assert r.code in (1, 2) and r.err, argv
        assert not (tmp_path / "o").exists()


def test_the_runner_flags_internal_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper used above fails a test on exit 3 (so the tests above can fail)."""
    from obkimg.formats.bk7231 import rbl as bk7231_rbl
    from obkimg.model import Image

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("simulated bug")

    f = tmp_path / "x.rbl"
    f.write_bytes(bk7231_rbl.pack(b"app" * 100, version="1.0", timestamp=0))
    assert run("info", str(f)).code == 0
    monkeypatch.setattr(Image, "to_dict", boom)
    with pytest.raises(AssertionError, match="internal error"):
        run("info", str(f))
