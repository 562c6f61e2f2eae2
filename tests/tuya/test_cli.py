"""`obkimg tuya-keys`: JSON document (validated against its schema), human output, --redact, errors."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from obkimg.cli import cli
from tests.conftest import fixture_path, real_path, validate_schema


def _run(*args: str, stdin: bytes | None = None) -> tuple[int, str, str]:
    r = CliRunner().invoke(cli, list(args), input=stdin)
    if r.exception and not isinstance(r.exception, SystemExit):
        raise r.exception
    return r.exit_code, r.stdout, r.stderr


def test_json_document(tmp_path: Path) -> None:
    code, out, _ = _run("tuya-keys", "--json", str(fixture_path("tuya", "tuya_bk7231n_2MB.bin.gz")))
    assert code == 0
    doc = json.loads(out)
    validate_schema(doc, "tuya-keys.v1")
    assert doc["wifi"]["ssid"] == "SynthNet-2G" and doc["wifi"]["password"] == "correct horse battery"
    assert doc["device"]["local_key"] == "LocalKeySynth001"
    assert doc["values"]["user_param_key"]["rl1_pin"] == 6
    st = doc["storage"]
    assert (st["key_offset"], st["protected_offsets"], st["key_variant"], st["block_count"]) == (
        0x1EE000,
        [0x1ED000],
        "8710+common",
        15,
    )
    assert [b["state"] for b in st["blocks"]].count("superseded") == 1
    assert doc["encodings"]["gw_ai"] == "json"


def test_stdin_and_redact() -> None:
    data = fixture_path("tuya", "tuya_bk7231n_region_0x1ED000.bin").read_bytes()
    code, out, _ = _run("tuya-keys", "--json", "--redact", "-", stdin=data)
    assert code == 0
    doc = json.loads(out)
    validate_schema(doc, "tuya-keys.v1")
    assert doc["device"]["local_key"] == "***" and "LocalKeySynth001" not in out
    assert "correct horse battery" not in out


def test_human_output() -> None:
    code, out, _ = _run("tuya-keys", str(fixture_path("tuya", "tuya_bk7231n_2MB.bin.gz")))
    assert code == 0
    assert "key block at 0x1ee000 (8710+common)" in out
    assert "ssid='SynthNet-2G' password='correct horse battery' (base64 in storage)" in out
    assert "local_key:" in out and "LocalKeySynth001" in out
    assert "P6   relay" in out and "synth_far:" in out


def test_problems_go_to_stderr() -> None:
    data = bytearray(fixture_path("tuya", "tuya_bk7231n_region_0x1ED000.bin").read_bytes())
    data[0x3100] ^= 0xFF  # block 1 (index of user_param_key and gw_ai)
    r = CliRunner().invoke(cli, ["tuya-keys", "-"], input=bytes(data))
    assert r.exit_code == 0
    assert "problem: warning: data block" in r.stderr and "problem:" not in r.stdout


def test_not_found_exits_1_with_error_document(tmp_path: Path) -> None:
    f = tmp_path / "erased.bin"
    f.write_bytes(b"\xff" * 0x4000)
    from obkimg.cli import main

    with pytest.raises(SystemExit) as e:
        main(["tuya-keys", "--json", str(f)])
    assert e.value.code == 1


def test_error_document_is_valid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from obkimg.cli import main

    f = tmp_path / "zeros.bin.gz"
    f.write_bytes(gzip.compress(bytes(0x3000)))
    with pytest.raises(SystemExit):
        main(["tuya-keys", "--json", str(f)])
    doc = json.loads(capsys.readouterr().out)
    validate_schema(doc, "error.v1")
    assert doc["error"]["code"] == "not-found" and doc["error"]["format"] == "tuya-kv"


def test_real_golden_case_json_validates() -> None:
    path = real_path("bk7231t", "golden_vault-8710-kvstorage-16sector-bk7231t.bin.gz")
    code, out, _ = _run("tuya-keys", "--json", "--redact", str(path))
    assert code == 0
    doc = json.loads(out)
    validate_schema(doc, "tuya-keys.v1")
    assert doc["chip"] == "BK7231T" and doc["storage"]["key_offset"] == 0x1EE000
    assert doc["pins"] and all(p["gpio"] >= 0 for p in doc["pins"])


def test_unknown_chip_is_refused_library_and_cli() -> None:
    """``--chip esp32`` used to be taken as it was (exit 0, reported as the chip)."""
    from obkimg.chipid import known_chip
    from obkimg.errors import UnknownChipError
    from obkimg.tuya import extract_keys

    demo = Path(__file__).resolve().parents[2] / "examples" / "bk7231n_demo_dump.bin.gz"
    with pytest.raises(UnknownChipError, match="unknown chip 'esp32'"):
        extract_keys(demo, chip="esp32")
    assert known_chip("bk7231n", fmt="t") == "BK7231N" and known_chip("bl602", fmt="t") == "BL602"
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "obkimg", "tuya-keys", str(demo), "--chip", "esp32"],
                       capture_output=True, text=True, timeout=120)  # fmt: skip
    assert r.returncode == 1 and r.stdout == "" and r.stderr.count("\n") == 1
    assert "unknown chip" in r.stderr and "known chips: BK7231T" in r.stderr
    assert CliRunner().invoke(cli, ["tuya-keys", str(demo), "--chip", "bk7231n", "--json"]).exit_code == 0
