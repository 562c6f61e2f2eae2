"""Issue 12, "Never the input, never a half file, never a device node" and "Output that cannot be turned
against the reader": one regression test per attack (exit 1 with one line, or the library's
ObkImgError; the CLI runner hashes every input before and after each run)."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import threading
import time
from pathlib import Path

import pytest

from obkimg import ota
from obkimg import partitions as pw
from obkimg import tuya_storage as ts
from obkimg.errors import LimitError, OutputError
from obkimg.fileio import write_atomic
from obkimg.formats.bl602 import partitions as bp
from tests.conftest import FIXTURES
from tests.hardening._cli import run, sha256
from tests.hardening.test_errors_round_two import DEVICE_KEY, one_line_error
from tests.hardening.test_output_safety import _commands, _start_slow, _temp_files

needs_fixtures = pytest.mark.skipif(not FIXTURES.exists(), reason="../shared/fixtures is not present")


# ------------------------------------------------------------------- every input is an input
def _every_input_case(d: Path) -> list[tuple[str, list[str], list[Path]]]:
    cases = _commands(d)
    img = d / "img.bin"
    dump = d / "whole_flash.bin"
    shutil.copyfile(FIXTURES / "bl602" / "small" / "whole_flash_data.bin", dump)
    cases += [
        ("ota pack --against", ["ota", "pack", str(img), "-o", "{out}", "--against", str(dump)], [img, dump]),
        (
            "ota pack --header-from",
            ["ota", "pack", str(img), "-o", "{out}", "--header-from", str(dump)],
            [img, dump],
        ),
    ]
    return cases


@needs_fixtures
def test_no_input_of_any_command_can_be_its_output(tmp_path: Path) -> None:
    """`ota pack fw.bin -o dump.bin --against dump.bin --force` replaced a 2 MiB backup with an OTA."""
    d = tmp_path / "in"
    d.mkdir()
    tried = 0
    for name, argv, inputs in _every_input_case(d):
        for src in inputs:
            before = sha256(src)
            args = [str(src) if a == "{out}" else a for a in argv]
            r = run(*args, "--force")
            assert r.code == 1 and "Traceback" not in r.err, (name, r.err)
            line = r.err.strip().splitlines()[-1]  # after the notes some commands print first
            assert "refusing to overwrite the input file" in line, (name, line)
            assert sha256(src) == before, name
            tried += 1
    assert tried >= 25


@needs_fixtures
def test_ug_unpack_does_not_overwrite_its_own_first_output(tmp_path: Path) -> None:
    ugf = tmp_path / "u.bin"
    shutil.copyfile(FIXTURES / "bk7231" / "tuya_package_UG_rtota_gzip_aes.bin", ugf)
    x = tmp_path / "X"
    line = one_line_error(run("ug", "unpack", str(ugf), "-o", str(x), "--app", str(x), "--force"))
    assert "-o and --app" in line and not x.exists()
    x.write_bytes(b"keep")
    one_line_error(run("ug", "unpack", str(ugf), "-o", str(x), "--app", str(tmp_path / "." / "X"), "--force"))
    assert x.read_bytes() == b"keep"


# ------------------------------------------------------------------------- device nodes, FIFOs
def test_dev_null_is_written_through_not_replaced(tmp_path: Path) -> None:
    """``-o /dev/null --force`` as root: the node is written through, never replaced by a file.

    The test uses a private null device node of its own (same major/minor as /dev/null): a broken build
    must not be able to replace the machine's real /dev/null while being tested.
    """
    node = tmp_path / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        with open(node, "wb") as f:
            f.write(b"probe")
    except OSError:
        pytest.skip("cannot create and open a character device node here (needs root, no nodev mount)")
    app = tmp_path / "app.bin"
    app.write_bytes(bytes(range(256)) * 16)
    r = run("bk", "crypt", str(app), "-o", str(node), "--force")
    assert r.code == 0, r.err
    assert stat.S_ISCHR(os.stat(node).st_mode)
    write_atomic(node, b"x", force=True)
    assert stat.S_ISCHR(os.stat(node).st_mode)
    assert not list(tmp_path.glob(".null.*.part"))


def test_fifo_is_written_through(tmp_path: Path) -> None:
    app = tmp_path / "app.bin"
    app.write_bytes(bytes(range(256)) * 16)
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got: list[bytes] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
    reader.start()
    r = run("bk", "crypt", str(app), "-o", str(fifo))
    reader.join(30)
    assert r.code == 0, r.err
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    assert len(got[0]) == 4096
    assert not _temp_files(tmp_path)


def test_block_device_is_refused(tmp_path: Path) -> None:
    node = tmp_path / "disk"
    try:
        os.mknod(node, 0o600 | stat.S_IFBLK, os.makedev(7, 200))
    except (PermissionError, OSError):
        pytest.skip("cannot create a block device node here")
    with pytest.raises(OutputError, match="block device"):
        write_atomic(node, b"x", force=True)
    assert stat.S_ISBLK(os.stat(node).st_mode)


# ---------------------------------------------------------------------------------- signals
@pytest.fixture
def work(tmp_path: Path) -> Path:
    d = tmp_path / "work"
    d.mkdir()
    (d / "in.bin").write_bytes(os.urandom(2 << 20))
    return d


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT])
@pytest.mark.parametrize("force", [False, True])
def test_termination_signals_midway_clean_up(work: Path, tmp_path: Path, sig: int, force: bool) -> None:
    src, dest = work / "in.bin", work / "out.bin"
    if force:
        dest.write_bytes(b"previous result")
    p, _ = _start_slow(tmp_path, "bk", "crypt", str(src), "-o", str(dest), *(["--force"] if force else []))
    assert len(_temp_files(work)) == 1
    p.send_signal(sig)
    p.communicate(timeout=30)
    assert p.returncode == -sig  # ends by the signal, as it would have
    assert _temp_files(work) == []
    assert dest.read_bytes() == b"previous result" if force else not dest.exists()


def test_next_run_removes_the_part_file_a_sigkill_left(work: Path, tmp_path: Path) -> None:
    src, dest = work / "in.bin", work / "out.bin"
    p, _ = _start_slow(tmp_path, "bk", "crypt", str(src), "-o", str(dest))
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    assert len(_temp_files(work)) == 1
    other = work / ".other.bin.123.abcdefgh.part"  # not for this destination: left alone
    other.write_bytes(b"x")
    r = run("bk", "crypt", str(src), "-o", str(dest))
    assert r.code == 0, r.err
    assert _temp_files(work) == [other] and dest.stat().st_size == 2 << 20


# ---------------------------------------------------------------------------------- extract
@needs_fixtures
def test_extract_into_a_non_empty_folder_by_a_dotdot_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = tmp_path / "x.rbl"
    shutil.copyfile(FIXTURES / "bk7231" / "rtota_app_raw_gzip_aes.rbl", src)
    adir = tmp_path / "adir"
    adir.mkdir()
    (adir / "mine.txt").write_text("keep")
    monkeypatch.chdir(tmp_path)
    line = one_line_error(run("extract", str(src), "-d", "nothere/../adir"))
    assert "not empty" in line
    assert sorted(p.name for p in adir.iterdir()) == ["mine.txt"]
    assert not (tmp_path / "nothere").exists()


@needs_fixtures
def test_extract_checks_every_destination_before_writing(tmp_path: Path) -> None:
    from obkimg.extract import extract, write_extraction

    src = tmp_path / "x.rbl"
    shutil.copyfile(FIXTURES / "bk7231" / "rtota_app_raw_gzip_aes.rbl", src)
    res = extract(str(src))
    d = tmp_path / "out"
    d.mkdir()
    victim = d / res.files[-1].name
    victim.write_bytes(b"input")
    with pytest.raises(OutputError, match="input"):
        write_extraction(res, d, force=True, inputs=[victim])
    assert sorted(p.name for p in d.iterdir()) == [victim.name]


# ------------------------------------------------------------------- escaped text output
EVIL = "\x1b]0;pwned\x07\r\x9b2J\u202e"


def _clean(r: object) -> None:
    out = r.stdout + r.stderr  # type: ignore[attr-defined]
    text = out.decode("utf-8", errors="replace")
    for ch in ("\x1b", "\x07", "\r", "\x9b", "\u202e"):
        assert ch not in text, repr(text[:400])


def test_rbl_version_is_escaped(tmp_path: Path) -> None:
    app = tmp_path / "app.bin"
    app.write_bytes(bytes(range(256)) * 8)
    rbl = tmp_path / "x.rbl"
    r = run("rbl", "pack", str(app), "-o", str(rbl), "--version", "v1" + EVIL[:10])
    assert r.code == 0, r.err
    _clean(r)
    for args in (
        ["info", str(rbl)],
        ["info", str(rbl), "--json"],
        ["verify", str(rbl)],
        ["scan", str(tmp_path)],
    ):
        r = run(*args)
        assert r.code in (0, 1), r.err
        _clean(r)
    assert b"\\x1b]0;pwned\\x07" in run("info", str(rbl)).stdout


def test_partition_names_are_escaped(tmp_path: Path) -> None:
    t = bp.PartitionTable((bp.Partition("\x1b]0;x\x07", 0, (0x10000, 0), (0x1000, 0)),))
    f = tmp_path / "pt.bin"
    f.write_bytes(t.build())
    for args in (["partitions", "show", str(f)], ["info", str(f)], ["partitions", "show", str(f), "--json"]):
        r = run(*args)
        assert r.code == 0, r.err
        _clean(r)


def test_scan_file_names_are_escaped(tmp_path: Path) -> None:
    (tmp_path / f"a{EVIL}b.bin").write_bytes(b"\xff" * 100)
    for args in (
        ["scan", str(tmp_path)],
        ["scan", str(tmp_path), "--json"],
        ["scan", str(tmp_path), "--jsonl"],
    ):
        r = run(*args)
        assert r.code == 0, r.err
        _clean(r)


def test_wifi_ssid_is_escaped(tmp_path: Path) -> None:
    ssid = "net\\u001b]0;pwned\\u0007\\r"
    area = ts.build_storage({"gw_bi": f'{{"ssid":"{ssid}","passwd":"y"}}'.encode()}, device_key=DEVICE_KEY)
    f = tmp_path / "kv.bin"
    f.write_bytes(area)
    for args in (["tuya-keys", str(f)], ["tuya-keys", str(f), "--redact"], ["info", str(f)]):
        r = run(*args)
        assert r.code == 0, r.err
        _clean(r)


# ------------------------------------------------------------------- partitions export / build
def test_export_round_trips_a_name_with_a_newline(tmp_path: Path) -> None:
    t = bp.PartitionTable(
        (
            bp.Partition('a\nb"', 0, (0x10000, 0), (0x1000, 0)),
            bp.Partition("c\\d", 7, (0x20000, 0), (0x1000, 0)),
        )
    )
    f = tmp_path / "pt.bin"
    f.write_bytes(t.build())
    r = run("partitions", "export", str(f), "-o", str(tmp_path / "pt.toml"))
    assert r.code == 0, r.err
    r = run("partitions", "build", str(tmp_path / "pt.toml"), "-o", str(tmp_path / "back.bin"))
    assert r.code == 0, r.err
    assert (tmp_path / "back.bin").read_bytes() == f.read_bytes()


def test_export_comment_of_a_hostile_file_name_stays_a_comment(tmp_path: Path) -> None:
    t = bp.PartitionTable((bp.Partition("FW", 0, (0x10000, 0), (0x1000, 0)),))
    f = tmp_path / "x\n[[pt_entry]]\ntype = 0\nname = 'FW2'\n\x1b.bin"
    f.write_bytes(t.build())
    out = tmp_path / "pt.toml"
    assert run("partitions", "export", str(f), "-o", str(out)).code == 0
    back, _ = pw.table_from_toml(out.read_bytes())
    assert back == t


OVERLAPS = {
    "overlap": "[[pt_entry]]\ntype = 0\nname = 'FW'\naddress0 = 0x10000\nsize0 = 0x20000\n"
    "[[pt_entry]]\ntype = 2\nname = 'mfg'\naddress0 = 0x20000\nsize0 = 0x1000\n",
    "two-fw": "[[pt_entry]]\ntype = 0\nname = 'FW'\naddress0 = 0x10000\nsize0 = 0x1000\n"
    "[[pt_entry]]\ntype = 0\nname = 'FW2'\naddress0 = 0x20000\nsize0 = 0x1000\n",
    "wraps": "[[pt_entry]]\ntype = 0\nname = 'FW'\naddress0 = 0xFFFFF000\nsize0 = 0xFFFFFFFF\n",
    "slots-overlap": "[[pt_entry]]\ntype = 0\nname = 'FW'\naddress0 = 0x10000\nsize0 = 0x20000\n"
    "address1 = 0x18000\nsize1 = 0x1000\n",
}


@pytest.mark.parametrize("name", sorted(OVERLAPS))
def test_partitions_build_refuses_bad_layouts(tmp_path: Path, name: str) -> None:
    toml = tmp_path / "pt.toml"
    toml.write_text(OVERLAPS[name])
    out = tmp_path / "pt.bin"
    line = one_line_error(run("partitions", "build", str(toml), "-o", str(out)))
    assert "--allow-overlap" in line and not out.exists()
    r = run("partitions", "build", str(toml), "-o", str(out), "--allow-overlap")
    assert r.code == 0, r.err
    assert bp.PartitionTable.parse(out.read_bytes()).build() == out.read_bytes()


@needs_fixtures
def test_vendor_layouts_build_without_allow_overlap() -> None:
    for name in ("partition_cfg_2M.toml", "partition_cfg_2M_sdk.toml", "pt_test.toml"):
        table, _ = pw.table_from_toml((FIXTURES / "bl602" / "inputs" / name).read_bytes())
        assert pw.layout_errors(table) == []


# ---------------------------------------------------------------------------- ota --limit 0
@needs_fixtures
def test_ota_unpack_limit_zero_is_refused(tmp_path: Path) -> None:
    f = FIXTURES / "bl602" / "small" / "FW_OTA.bin.xz.ota"
    out = tmp_path / "fw.bin"
    r = run("ota", "unpack", str(f), "-o", str(out), "--limit", "0")
    assert r.code == 2 and "--limit" in r.err and not out.exists()
    with pytest.raises(LimitError):
        ota.unpack(f.read_bytes(), limit=0)
    t0 = time.monotonic()
    line = one_line_error(run("ota", "unpack", str(f), "-o", str(out), "--limit", "100"))
    assert "limit" in line and time.monotonic() - t0 < 60
