"""Output safety of every CLI command that writes: the atomic writer leaves no partial file when the
process is killed or interrupted midway, an output equal to an input is refused, existing outputs need
--force, and no input is ever modified (each run hashes every input before and after)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from obkimg.errors import OutputError
from obkimg.fileio import write_atomic
from tests.conftest import FIXTURES, ROOT
from tests.hardening._cli import run, sha256

needs_fixtures = pytest.mark.skipif(not FIXTURES.exists(), reason="../shared/fixtures is not present")

#: child preamble: the atomic writer's file write stops halfway (after flushing the first half) and
#: signals the parent through a flag file, then sleeps until it is killed or interrupted
SLOW_WRITER = """
import os, time, pathlib
_fdopen = os.fdopen
class _Slow:
    def __init__(self, f):
        self.f = f
    def write(self, b):
        self.f.write(b[: len(b) // 2])
        self.f.flush()
        pathlib.Path(os.environ["OBKIMG_TEST_FLAG"]).write_text("half")
        time.sleep(120)
        return self.f.write(b[len(b) // 2:])
    def __getattr__(self, name):
        return getattr(self.f, name)
    def __enter__(self):
        return self
    def __exit__(self, *exc):
        return self.f.__exit__(*exc)
os.fdopen = lambda *a, **k: _Slow(_fdopen(*a, **k))
"""


CLI_MAIN = """
import sys
from obkimg.cli import main
sys.argv = ["obkimg", *sys.argv[1:]]
main()
"""


def _start_slow(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[bytes], Path]:
    flag = tmp_path / "flag"
    code = SLOW_WRITER + CLI_MAIN
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OBKIMG_TEST_FLAG": str(flag)}
    p = subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    while not flag.exists():
        if p.poll() is not None or time.monotonic() > deadline:
            p.kill()
            out, err = p.communicate()
            pytest.fail(f"the child never reached the write: {err.decode(errors='replace')}")
        time.sleep(0.02)
    return p, flag


def _temp_files(folder: Path) -> list[Path]:
    return sorted(folder.glob(".*.part"))


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder holding a 2 MiB input (the output is written next to it)."""
    d = tmp_path / "work"
    d.mkdir()
    (d / "in.bin").write_bytes(os.urandom(2 << 20))
    return d


def test_sigkill_midway_leaves_no_destination(work: Path, tmp_path: Path) -> None:
    src, dest = work / "in.bin", work / "out.bin"
    before = sha256(src)
    p, _ = _start_slow(tmp_path, "bk", "crypt", str(src), "-o", str(dest))
    temps = _temp_files(work)
    assert len(temps) == 1 and temps[0].stat().st_size == 1 << 20  # half written, in the temp file only
    assert not dest.exists()
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    assert not dest.exists(), "a partial destination file was left"
    # SIGKILL runs no cleanup: the only trace is the hidden temporary file, which removing cleans up
    leftover = _temp_files(work)
    assert [t.name for t in leftover] == [temps[0].name]
    for t in leftover:
        t.unlink()
    assert sorted(x.name for x in work.iterdir()) == ["in.bin"]
    assert sha256(src) == before


def test_sigkill_midway_keeps_the_old_output(work: Path, tmp_path: Path) -> None:
    src, dest = work / "in.bin", work / "out.bin"
    dest.write_bytes(b"previous result")
    p, _ = _start_slow(tmp_path, "bk", "crypt", str(src), "-o", str(dest), "--force")
    p.send_signal(signal.SIGKILL)
    p.wait(30)
    assert dest.read_bytes() == b"previous result"


@pytest.mark.parametrize("force", [False, True])
def test_ctrl_c_midway_cleans_up(work: Path, tmp_path: Path, force: bool) -> None:
    src, dest = work / "in.bin", work / "out.bin"
    if force:
        dest.write_bytes(b"previous result")
    p, _ = _start_slow(tmp_path, "bk", "crypt", str(src), "-o", str(dest), *(["--force"] if force else []))
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=30)
    assert p.returncode == 130, err
    assert _temp_files(work) == []
    assert dest.read_bytes() == b"previous result" if force else not dest.exists()


def test_write_error_midway_cleans_up(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A disk-full error while writing: OutputError (exit 1), no temp file, no destination."""

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    r = run("bk", "crypt", str(work / "in.bin"), "-o", str(work / "out.bin"), outputs=[work / "out.bin"])
    assert r.code == 1 and "No space left" in r.err
    assert sorted(x.name for x in work.iterdir()) == ["in.bin"]
    with pytest.raises(OutputError):
        write_atomic(work / "x.bin", b"data")
    assert sorted(x.name for x in work.iterdir()) == ["in.bin"]


def test_unwritable_destination_is_a_clean_error(work: Path) -> None:
    r = run("bk", "crypt", str(work / "in.bin"), "-o", "/proc/obkimg-test.bin")
    assert r.code == 1 and "cannot write" in r.err
    from obkimg.formats.bk7231 import rbl as bk7231_rbl

    rbl = work / "x.rbl"
    rbl.write_bytes(bk7231_rbl.pack(b"app" * 100, version="1.0", timestamp=0))
    r = run("extract", str(rbl), "-d", "/proc/obkimg-test")
    assert r.code == 1 and "cannot create the folder" in r.err


# ------------------------------------------------------------------------ every writing command
def _fx(*parts: str) -> Path:
    return FIXTURES.joinpath(*parts)


def _commands(d: Path) -> list[tuple[str, list[str], list[Path]]]:
    """(name, argv with {out}, inputs) for every command that writes a file; inputs copied into ``d``."""

    def cp(*parts: str, name: str | None = None) -> Path:
        dst = d / (name or parts[-1])
        shutil.copyfile(_fx(*parts), dst)
        return dst

    rbl = cp("bk7231", "rtota_app_raw_gzip_aes.rbl")
    app = cp("bk7231", "app_raw.bin")
    ugf = cp("bk7231", "tuya_package_UG_rtota_gzip_aes.bin")
    ota = cp("bl602", "small", "FW_OTA.bin.xz.ota")
    img = cp("bl602", "small", "img.bin")
    toml = cp("bl602", "inputs", "partition_cfg_2M.toml")
    pt = cp("bl602", "small", "partition.bin")
    fw = cp("bl602", "small", "whole_img.bin")
    cfg = cp("obk", "obk_cfg_v5_bk7231_sector.bin")
    tuya = cp("tuya", "tuya_bk7231n_2MB.bin.gz")
    boot = cp("bk7231n", "bk7231n_bootloader.bin")
    from obkimg.bkdump import build_qio_from_app

    vector = bytes.fromhex("0e0000ea14f09fe5") + bytes.fromhex("14f09fe5") * 6
    qio = d / "qio.bin"
    qio.write_bytes(build_qio_from_app(vector + bytes(range(256)) * 40, boot.read_bytes()))
    ua = d / "ua.bin"
    ua.write_bytes(qio.read_bytes()[0x11000:])
    hexf = d / "app.hex"
    hexf.write_text(":020000040001F9\n:0400000001020304F2\n:00000001FF\n")
    dump = d / "dump.bin"
    dump.write_bytes(b"\xff" * 0x200000)
    return [
        ("rbl unpack", ["rbl", "unpack", str(rbl), "-o", "{out}"], [rbl]),
        ("rbl pack", ["rbl", "pack", str(app), "-o", "{out}", "--version", "1.0"], [app]),
        ("ug unpack", ["ug", "unpack", str(ugf), "-o", "{out}"], [ugf]),
        ("ug pack", ["ug", "pack", str(rbl), "-o", "{out}", "--version", "1.0"], [rbl]),
        ("ota unpack", ["ota", "unpack", str(ota), "-o", "{out}"], [ota]),
        ("ota pack", ["ota", "pack", str(img), "-o", "{out}"], [img]),
        ("partitions build", ["partitions", "build", str(toml), "-o", "{out}"], [toml]),
        ("partitions export", ["partitions", "export", str(pt), "-o", "{out}"], [pt]),
        ("bl602 header rebuild", ["bl602", "header", "rebuild", str(fw), "-o", "{out}"], [fw]),
        (
            "bl602 build-flash",
            ["bl602", "build-flash", "--pt", str(toml), "--firmware", str(img), "-o", "{out}"],
            [toml, img],
        ),
        ("convert qio2ua", ["convert", "qio2ua", str(qio), "-o", "{out}"], [qio]),
        (
            "convert ua2qio",
            ["convert", "ua2qio", str(ua), "--bootloader-from", str(qio), "-o", "{out}"],
            [ua, qio],
        ),
        ("convert bin2hex", ["convert", "bin2hex", str(app), "-o", "{out}"], [app]),
        ("convert hex2bin", ["convert", "hex2bin", str(hexf), "-o", "{out}"], [hexf]),
        ("bk crypt", ["bk", "crypt", str(app), "-o", "{out}"], [app]),
        ("obk-config extract", ["obk-config", "extract", str(cfg), "-o", "{out}"], [cfg]),
        ("obk-config set", ["obk-config", "set", str(cfg), "wifi_ssid=test", "-o", "{out}"], [cfg]),
        (
            "obk-config write",
            ["obk-config", "write", str(dump), str(cfg), "--chip", "BK7231N", "-o", "{out}"],
            [dump, cfg],
        ),
        ("obk-config new", ["obk-config", "new", "--from-tuya", str(tuya), "-o", "{out}"], [tuya]),
        ("info --svg", ["info", str(rbl), "--svg", "{out}"], [rbl]),
    ]


NAMES = [
    "rbl unpack",
    "rbl pack",
    "ug unpack",
    "ug pack",
    "ota unpack",
    "ota pack",
    "partitions build",
    "partitions export",
    "bl602 header rebuild",
    "bl602 build-flash",
    "convert qio2ua",
    "convert ua2qio",
    "convert bin2hex",
    "convert hex2bin",
    "bk crypt",
    "obk-config extract",
    "obk-config set",
    "obk-config write",
    "obk-config new",
    "info --svg",
]


def _command(tmp_path: Path, name: str) -> tuple[list[str], list[Path]]:
    d = tmp_path / "in"
    d.mkdir()
    for n, argv, inputs in _commands(d):
        if n == name:
            return argv, inputs
    raise AssertionError(name)


@needs_fixtures
@pytest.mark.parametrize("name", NAMES)
def test_writes_are_atomic_and_refusals_hold(
    tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # step 3 compares two runs byte for byte: `rbl pack` stamps its header with SOURCE_DATE_EPOCH when set
    # (else the current second, which made this test fail when the runs straddled a second)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    argv, inputs = _command(tmp_path, name)
    out = tmp_path / "out" / "result"
    out.parent.mkdir()

    def args(dest: Path | str) -> list[str]:
        return [str(dest) if a == "{out}" else a for a in argv]

    # 1. a fresh output: written, nothing else left in its folder
    r = run(*args(out), outputs=[out])
    assert r.code == 0, r.err
    first = out.read_bytes()
    assert first and sorted(p.name for p in out.parent.iterdir()) == ["result"]
    # 2. an existing output is not replaced without --force
    out.write_bytes(b"keep me")
    r = run(*args(out), outputs=[out])
    assert r.code == 1 and "--force" in r.err
    assert out.read_bytes() == b"keep me"
    # 3. with --force it is replaced (atomically: still nothing else in the folder)
    r = run(*args(out), "--force", outputs=[out])
    assert r.code == 0, r.err
    assert out.read_bytes() == first and sorted(p.name for p in out.parent.iterdir()) == ["result"]
    # 4. an output equal to any input is refused, even with --force, even through another path
    for src in inputs:
        before = sha256(src)
        for alias in (src, src.parent / ".." / src.parent.name / src.name):
            r = run(*args(alias), "--force")
            assert r.code == 1, r.err
            assert "refusing to overwrite the input" in r.err
        link = tmp_path / f"link-{src.name}"
        link.symlink_to(src)
        r = run(*args(link), "--force")
        assert r.code == 1 and "refusing to overwrite the input" in r.err
        assert sha256(src) == before


@needs_fixtures
def test_output_to_stdout_is_not_a_file(tmp_path: Path) -> None:
    argv, _ = _command(tmp_path, "rbl unpack")
    r = run(*[("-" if a == "{out}" else a) for a in argv])
    assert r.code == 0 and len(r.stdout) > 0
    assert not (Path.cwd() / "-").exists()


@needs_fixtures
def test_extract_folder_rules(tmp_path: Path) -> None:
    src = tmp_path / "x.rbl"
    shutil.copyfile(_fx("bk7231", "rtota_app_raw_gzip_aes.rbl"), src)
    d = tmp_path / "out"
    r = run("extract", str(src), "-d", str(d))
    assert r.code == 0, r.err
    names = sorted(p.name for p in d.iterdir())
    assert "manifest.json" in names and not [n for n in names if n.endswith(".part")]
    r = run("extract", str(src), "-d", str(d))
    assert r.code == 1 and "--force" in r.err
    r = run("extract", str(src), "-d", str(d), "--force")
    assert r.code == 0 and sorted(p.name for p in d.iterdir()) == names
    r = run("extract", str(src), "-d", str(src))
    assert r.code in (1, 2) and r.err
