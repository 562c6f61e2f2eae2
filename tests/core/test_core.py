"""Errors, input loading limits, the atomic writer and the CLI frame."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

import obkimg
from obkimg.cli import cli
from obkimg.errors import LimitError, OutputError
from obkimg.fileio import write_atomic
from obkimg.source import MAX_INPUT, load
from tests.conftest import validate_schema


def test_error_message_names_format_field_offset() -> None:
    e = obkimg.FormatError("bad thing", fmt="bk7231-rbl", offset=0x10F9A, path="header.crc")
    assert str(e) == "bk7231-rbl: bad thing in field header.crc at offset 0x10f9a"
    validate_schema({"schema": "obkimg.error/1", "error": e.to_dict()}, "error.v1")


def test_huge_input_refused_before_reading(tmp_path) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "big.bin"
    with open(big, "wb") as f:
        f.truncate(4 * 1024 * 1024 * 1024)  # sparse 4 GB
    with pytest.raises(LimitError):
        load(big)


def test_gzip_input_is_transparent_and_bounded(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "x.bin.gz"
    p.write_bytes(gzip.compress(b"abc" * 10))
    src = load(p)
    assert src.data == b"abc" * 10 and src.container == "gzip"
    p.write_bytes(gzip.compress(bytes(MAX_INPUT + 1)))
    with pytest.raises(LimitError):
        load(p)


def test_intel_hex_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from intelhex import IntelHex

    ih = IntelHex()
    ih.frombytes(b"\x01\x02\x03", offset=0x11000)
    p = tmp_path / "x.hex"
    ih.write_hex_file(str(p))
    src = load(p)
    assert src.data == b"\x01\x02\x03" and src.base_address == 0x11000 and src.container == "ihex"


def test_atomic_writer_refuses_overwrite_and_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "o.bin"
    write_atomic(out, b"1")
    with pytest.raises(OutputError, match="force=True"):
        write_atomic(out, b"2")
    write_atomic(out, b"2", force=True)
    assert out.read_bytes() == b"2"
    with pytest.raises(OutputError, match="input"):
        write_atomic(out, b"3", force=True, inputs=[out])
    assert out.read_bytes() == b"2"


def test_atomic_writer_leaves_nothing_when_interrupted(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "o.bin"

    def boom(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(out, b"x" * 100000)
    assert list(tmp_path.iterdir()) == []


def test_cli_unknown_file_is_exit_1_one_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "garbage.bin"
    p.write_bytes(b"\x00\x01garbage" * 3)
    r = subprocess.run([sys.executable, "-m", "obkimg", "info", str(p)], capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    r = subprocess.run(
        [sys.executable, "-m", "obkimg", "--traceback", "info", str(p)], capture_output=True, text=True
    )
    assert r.returncode == 1 and "Traceback" in r.stderr


def test_cli_json_error_document(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json

    p = tmp_path / "garbage.bin"
    p.write_bytes(b"\x00" * 10)
    r = subprocess.run(
        [sys.executable, "-m", "obkimg", "info", "--json", str(p)], capture_output=True, text=True
    )
    assert r.returncode == 1
    validate_schema(json.loads(r.stdout), "error.v1")


def test_cli_usage_error_is_exit_2() -> None:
    r = CliRunner().invoke(cli, ["info"])
    assert r.exit_code == 2


def test_cli_version_and_formats_json() -> None:
    import json

    r = subprocess.run([sys.executable, "-m", "obkimg", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and obkimg.__version__ in r.stdout
    r2 = CliRunner().invoke(cli, ["formats", "--json"])
    assert r2.exit_code == 0
    validate_schema(json.loads(r2.output), "formats.v1")


def test_import_is_light() -> None:
    code = (
        "import sys, obkimg; bad = [m for m in ('construct', 'numpy', 'cryptography', 'lzma', 'click') "
        "if m in sys.modules]; print(bad)"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.stdout.strip() == "[]"


def test_detect_stays_callable_after_open(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import importlib

    p = tmp_path / "g.bin"
    p.write_bytes(b"\x00garbage" * 4)
    with pytest.raises(obkimg.DetectionError):
        obkimg.open(p)
    importlib.import_module("obkimg.detect")
    assert callable(obkimg.detect) and obkimg.detect(p) == []


def test_atomic_writer_uses_normal_permissions(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "perm.bin"
    old = os.umask(0o022)
    try:
        write_atomic(out, b"1")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644
    out.chmod(0o600)
    write_atomic(out, b"2", force=True)
    assert out.stat().st_mode & 0o777 == 0o600
