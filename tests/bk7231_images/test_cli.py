"""CLI: info / verify / detect on BK7231 images and `obkimg convert` (CliRunner)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from obkimg import bkdump as bi
from obkimg.cli import cli
from obkimg.errors import FormatError, MismatchError, OutputError
from tests.bk7231_images import _synth
from tests.conftest import real_path, validate_schema

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "bk7231n_demo_qio.bin.gz"


def run(*args: str, input: bytes | None = None) -> tuple[int, str, bytes]:
    r = CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)
    return r.exit_code, r.stderr if hasattr(r, "stderr") else "", r.stdout_bytes


@pytest.fixture
def qio_file(tmp_path: Path) -> Path:
    p = tmp_path / "synth_qio.bin"
    p.write_bytes(_synth.qio())
    return p


def test_info_demo_text_and_json() -> None:
    code, _, out = run("info", str(DEMO))
    text = out.decode()
    assert code == 0 and "bk7231-qio" in text and "BK7231N" in text
    for name in ("bootloader", "bootloader-rbl", "fal", "app", "app-rbl"):
        assert f" {name} " in text
    code, _, out = run("info", "--json", str(DEMO))
    doc = json.loads(out)
    assert code == 0 and doc["kind"] == "bk7231-qio" and doc["chip"] == "BK7231N" and doc["ok"]
    validate_schema(doc, "info.v1")


@pytest.mark.parametrize(
    "maker,kind",
    [
        (lambda: _synth.qio(), "bk7231-qio"),
        (lambda: bytes(_synth.dump()), "bk7231-dump"),
        (lambda: _synth.framed_app_only(), "bk7231-ua"),
        (lambda: _synth.bootloader(), "bk7231-bootloader"),
        (lambda: bi.encrypt_bootloader(_synth.bootloader()), "bk7231-bootloader"),
        (lambda: _synth.app(), "bk7231-app"),
    ],
)
def test_info_json_every_kind(tmp_path: Path, maker, kind: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "x.bin"
    p.write_bytes(maker())
    code, _, out = run("info", "--json", str(p))
    doc = json.loads(out)
    assert code == 0 and doc["kind"] == kind
    validate_schema(doc, "info.v1")
    code, _, out = run("verify", "--json", str(p))
    assert code == 0 and json.loads(out)["ok"]
    validate_schema(json.loads(out), "verify.v1")


def test_verify_fails_on_flipped_bit(tmp_path: Path) -> None:
    q = bytearray(_synth.qio())
    q[0x11000 + 34 * 7 + 3] ^= 0x10
    p = tmp_path / "flipped.bin"
    p.write_bytes(bytes(q))
    code, _, out = run("verify", "--json", str(p))
    doc = json.loads(out)
    assert code == 1 and not doc["ok"]
    assert 0x11000 + 34 * 7 in [pr["offset"] for pr in doc["problems"]]
    code, _, out = run("verify", str(p))
    assert code == 1 and b"problem" in out


def test_verify_real_flipped_dump(tmp_path: Path) -> None:
    data = bytearray(real_path("bk7231t", "Brilo_8464455_Ceiling_Light.bin").read_bytes())
    data[0x20000] ^= 1
    p = tmp_path / "d.bin"
    p.write_bytes(bytes(data))
    code, _, out = run("verify", "--json", str(p))
    doc = json.loads(out)
    assert code == 1 and (0x20000 - 0x11000) // 34 * 34 + 0x11000 in [pr["offset"] for pr in doc["problems"]]


def test_detect_cli() -> None:
    code, _, out = run("detect", "--json", str(DEMO))
    doc = json.loads(out)
    assert code == 0 and doc["candidates"][0]["kind"] == "bk7231-qio"
    validate_schema(doc, "detect.v1")


def test_convert_roundtrips(tmp_path: Path, qio_file: Path) -> None:
    ua, back = tmp_path / "a.ua", tmp_path / "b.qio"
    assert run("convert", "qio2ua", str(qio_file), "-o", str(ua))[0] == 0
    assert ua.read_bytes() == qio_file.read_bytes()[0x11000:]
    assert run("convert", "ua2qio", str(ua), "--bootloader-from", str(qio_file), "-o", str(back))[0] == 0
    assert back.read_bytes() == qio_file.read_bytes()
    trimmed = tmp_path / "t.ua"
    assert run("convert", "qio2ua", "--trim", str(qio_file), "-o", str(trimmed))[0] == 0
    assert trimmed.read_bytes() == _synth.framed_app_only()
    hx, bn = tmp_path / "a.hex", tmp_path / "a2.ua"
    assert run("convert", "bin2hex", str(ua), "--base", "0x11000", "-o", str(hx))[0] == 0
    assert hx.read_text().startswith(":020000040001F9")
    r = CliRunner().invoke(cli, ["convert", "hex2bin", str(hx), "-o", str(bn)])
    assert r.exit_code == 0 and bn.read_bytes() == ua.read_bytes() and "0x11000" in r.stderr
    # the HEX file itself is readable by info (through the Intel HEX source loader)
    code, _, out = run("info", "--json", str(hx))
    assert code == 0 and json.loads(out)["kind"] == "bk7231-ua"


def test_convert_stdout_and_refusals(tmp_path: Path, qio_file: Path) -> None:
    code, _, out = run("convert", "qio2ua", str(qio_file), "-o", "-")
    assert code == 0 and out == qio_file.read_bytes()[0x11000:]
    zero = tmp_path / "zero.qio"
    zero.write_bytes(_synth.qio(key=(0, 0, 0, 0)))
    ua = tmp_path / "a.ua"
    ua.write_bytes(_synth.framed_app_only())
    out_path = tmp_path / "x.qio"
    r = CliRunner().invoke(
        cli, ["convert", "ua2qio", str(ua), "--bootloader-from", str(zero), "-o", str(out_path)]
    )
    assert r.exit_code == 1 and isinstance(r.exception, MismatchError) and not out_path.exists()
    assert "key mismatch" in str(r.exception)
    # through the real entry point: one line on stderr, exit 1
    import subprocess
    import sys

    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "obkimg",
            "convert",
            "ua2qio",
            str(ua),
            "--bootloader-from",
            str(zero),
            "-o",
            str(out_path),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert p.returncode == 1 and not out_path.exists()
    assert p.stderr.startswith("error: bk7231-qio: code key mismatch")
    assert "--allow-mismatch combines them" in p.stderr and "allow_mismatch=True" not in p.stderr
    # --force only allows overwriting: it does not combine a mismatched pair
    r = CliRunner().invoke(
        cli, ["convert", "ua2qio", str(ua), "--bootloader-from", str(zero), "-o", str(out_path), "--force"]
    )
    assert r.exit_code == 1 and isinstance(r.exception, MismatchError) and not out_path.exists()
    r = CliRunner().invoke(
        cli,
        [
            "convert",
            "ua2qio",
            str(ua),
            "--bootloader-from",
            str(zero),
            "-o",
            str(out_path),
            "--allow-mismatch",
        ],
    )
    assert r.exit_code == 0 and out_path.read_bytes()[:0x11000] == zero.read_bytes()[:0x11000]
    # existing output without --force is refused
    r = CliRunner().invoke(cli, ["convert", "qio2ua", str(qio_file), "-o", str(out_path)])
    assert r.exit_code == 1 and isinstance(r.exception, OutputError)
    # not a QIO
    r = CliRunner().invoke(cli, ["convert", "qio2ua", str(ua), "-o", str(tmp_path / "n.ua")])
    assert r.exit_code == 1 and isinstance(r.exception, FormatError) and "expected a QIO" in str(r.exception)
