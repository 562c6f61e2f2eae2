"""CLI round trips: rbl unpack|pack, ug unpack|pack, bk crypt, info --json on RBL/UG."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from obkimg.cli import cli
from obkimg.errors import ObkImgError
from tests.conftest import fixture_path, validate_schema

APP_SHA256 = "539e902d74f6fdb9e9ccbf357d041560202cb37599c5902bb9e3ac3a7533441f"


def _run(*args: str) -> bytes:
    r = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return r.stdout_bytes


def test_rbl_unpack_and_pack_roundtrip(tmp_path: Path) -> None:
    src = fixture_path("bk7231", "rtota_app_raw_gzip_aes.rbl")
    app = tmp_path / "app.bin"
    _run("rbl", "unpack", str(src), "-o", str(app))
    assert hashlib.sha256(app.read_bytes()).hexdigest() == APP_SHA256
    assert hashlib.sha256(_run("rbl", "unpack", str(src), "-o", "-")).hexdigest() == APP_SHA256
    out = tmp_path / "x.rbl"
    _run("rbl", "pack", str(app), "-o", str(out), "--version", "1.0.0-test", "--timestamp", "1795249040")
    assert out.read_bytes() == src.read_bytes()
    lt = _run(
        "rbl",
        "pack",
        str(app),
        "-o",
        "-",
        "--version",
        "1.0.0-test",
        "--timestamp",
        "1700000000",
        "--encryption",
        "none",
        "--compression",
        "none",
        "--style",
        "ltchiptool",
    )
    assert lt == fixture_path("bk7231", "lt_ota_none.rbl").read_bytes()
    rt = _run(
        "rbl",
        "pack",
        str(app),
        "-o",
        "-",
        "--version",
        "1.0.0-test",
        "--timestamp",
        "0x6b015390",
        "--encryption",
        "none",
        "--compression",
        "none",
        "--key",
        "0123456789ABCDEF0123456789ABCDEF",
        "--iv",
        "0123456789ABCDEF",
    )
    assert rt == fixture_path("bk7231", "rtota_app_raw_none.rbl").read_bytes()


def test_ug_unpack_and_pack_roundtrip(tmp_path: Path) -> None:
    src = fixture_path("bk7231", "tuya_package_UG_rtota_gzip_aes.bin")
    rbl, app = tmp_path / "a.rbl", tmp_path / "a.bin"
    _run("ug", "unpack", str(src), "-o", str(rbl), "--app", str(app))
    assert rbl.read_bytes() == fixture_path("bk7231", "rtota_app_raw_gzip_aes.rbl").read_bytes()
    assert hashlib.sha256(app.read_bytes()).hexdigest() == APP_SHA256
    assert _run("ug", "pack", str(rbl), "-o", "-", "--version", "1.0.0-test") == src.read_bytes()
    assert _run("ug", "unpack", str(src), "-o", "-") == rbl.read_bytes()


def test_bk_crypt(tmp_path: Path) -> None:
    raw32 = fixture_path("bk7231", "app_raw32.bin")
    enc = _run(
        "bk",
        "crypt",
        str(raw32),
        "-o",
        "-",
        "--key",
        "510fb093 a3cbeadc 5993a17e c7adeb03",
        "--address",
        "0x10000",
    )
    assert enc == fixture_path("bk7231", "app_enc_0x10000.bin").read_bytes()
    assert _run("bk", "crypt", str(raw32), "-o", "-") == enc  # defaults: tuya key, 0x10000
    uas = _run("bk", "crypt", str(raw32), "-o", "-", "--key", "uascent")
    assert uas == fixture_path("bk7231", "app_enc_uascent_0x10000.bin").read_bytes()
    assert _run("bk", "crypt", str(raw32), "-o", "-", "--key", "zero") == raw32.read_bytes()
    e = tmp_path / "enc.bin"
    e.write_bytes(enc)
    assert (
        _run("bk", "crypt", str(e), "-o", "-", "--key", "4862379A8612784B85C5E25875754528")
        != raw32.read_bytes()
    )
    assert _run("bk", "crypt", str(e), "-o", "-", "--key", "tuya") == raw32.read_bytes()
    # a bootloader is encrypted at address 0 (marker 0x100..0x107 and FAL table stay plain)
    plain = fixture_path("bk7231n", "bk7231n_bootloader.bin")
    boot = _run("bk", "crypt", str(plain), "-o", "-", "--address", "0")
    assert boot[:0x100] == fixture_path("bk7231n", "bk7231n_bootloader_enc.bin").read_bytes()[:0x100]


def test_bk_crypt_bad_key_and_address(tmp_path: Path) -> None:
    raw32 = fixture_path("bk7231", "app_raw32.bin")
    with pytest.raises(ObkImgError):
        CliRunner().invoke(
            cli, ["bk", "crypt", str(raw32), "-o", "-", "--key", "1234"], catch_exceptions=False
        )
    with pytest.raises(ObkImgError):
        CliRunner().invoke(
            cli, ["bk", "crypt", str(raw32), "-o", "-", "--address", "2"], catch_exceptions=False
        )


def test_existing_output_needs_force(tmp_path: Path) -> None:
    src = fixture_path("bk7231", "lt_ota_gzip.rbl")
    out = tmp_path / "app.bin"
    out.write_bytes(b"old")
    with pytest.raises(ObkImgError):
        CliRunner().invoke(cli, ["rbl", "unpack", str(src), "-o", str(out)], catch_exceptions=False)
    _run("rbl", "unpack", str(src), "-o", str(out), "--force")
    assert hashlib.sha256(out.read_bytes()).hexdigest() == APP_SHA256


def test_corrupted_input_exits_1_with_field_and_offset(tmp_path: Path) -> None:
    data = bytearray(fixture_path("bk7231", "rtota_app_raw_gzip_aes.rbl").read_bytes())
    data[400] ^= 1
    bad = tmp_path / "bad.rbl"
    bad.write_bytes(bytes(data))
    r = subprocess.run(
        [sys.executable, "-m", "obkimg", "rbl", "unpack", str(bad), "-o", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 1
    assert "crc32" in r.stderr and "0x4c" in r.stderr
    assert not (tmp_path / "o").exists()
    v = CliRunner().invoke(cli, ["verify", str(bad)])
    assert v.exit_code == 1


@pytest.mark.parametrize(
    "name",
    [
        "tuya_package_UG_rtota_gzip_aes.bin",
        "lt_ota_gzip_aes.rbl",
        "rtota_app_raw_none.rbl",
        "lt_app_container_0xC000.bin",
    ],
)
def test_info_json_validates(name: str) -> None:
    kind = "bk7231-ug" if "_UG_" in name else "bk7231-rbl"
    path = str(fixture_path("bk7231", name))
    doc = json.loads(_run("info", "--json", "--kind", kind, path))
    validate_schema(doc, "info.v1")
    assert doc["kind"] == kind and doc["ok"] is True
    v = json.loads(_run("verify", "--json", "--kind", kind, path))
    validate_schema(v, "verify.v1")
    assert v["ok"] is True
