"""The BL602 commands through click's CliRunner: outputs byte-compared, --json documents validated against
their schemas, exit codes (1 for a failed check or bad data), BK files refused with a plain message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from obkimg.cli import cli
from obkimg.errors import MismatchError, TruncatedError
from tests.bl602._helpers import fx
from tests.conftest import fixture_path, real_path, validate_schema


def _run(*args: str) -> object:
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_ota_pack_unpack_cli(tmp_path: Path) -> None:
    out = tmp_path / "fw.xz.ota"
    r = _run("ota", "pack", fixture_path("bl602", "inputs", "fw_small.bin"), "-o", out)
    assert r.exit_code == 0, r.output
    assert out.read_bytes() == fx("small", "FW_OTA.bin.xz.ota")
    raw = tmp_path / "fw.ota"
    assert (
        _run("ota", "pack", fixture_path("bl602", "inputs", "fw_small.bin"), "--raw", "-o", raw).exit_code
        == 0
    )
    assert raw.read_bytes() == fx("small", "FW_OTA.bin.ota")
    assert _run("ota", "pack", fixture_path("bl602", "inputs", "fw_small.bin"), "-o", out).exit_code == 1, (
        "no overwrite without --force"
    )
    fw = tmp_path / "FW_OTA.bin"
    assert _run("ota", "unpack", out, "-o", fw).exit_code == 0
    assert fw.read_bytes() == fx("small", "FW_OTA.bin")
    bare = tmp_path / "bare.bin"
    assert _run("ota", "unpack", out, "-o", bare, "--bare").exit_code == 0
    assert bare.read_bytes() == fx("small", "img.bin")
    odd = tmp_path / "odd.xz.ota"
    r = _run(
        "ota",
        "pack",
        fixture_path("bl602", "inputs", "fw_odd.bin"),
        "-o",
        odd,
        "--against",
        fixture_path("bl602", "inputs", "partition_cfg_2M.toml"),
    )
    assert r.exit_code == 0 and odd.read_bytes() == fx("odd", "FW_OTA.bin.xz.ota")
    assert r.stdout == "" and "OK: the OTA fits" in r.stderr


def test_ota_pack_options(tmp_path: Path) -> None:
    out = tmp_path / "v.xz.ota"
    r = _run(
        "ota",
        "pack",
        fixture_path("bl602", "inputs", "fw_small.bin"),
        "-o",
        out,
        "--sw-version",
        "1.18.57",
        "--hw-version",
        "OBK",
        "--unpacked-len",
    )
    assert r.exit_code == 0
    info = json.loads(_run("info", out, "--json").stdout)
    validate_schema(info, "info.v1")
    h = info["details"]["header"]
    assert (h["sw_version"], h["hw_version"], h["unpacked_len"]) == ("1.18.57", "OBK", 24096)


def test_ota_check_cli(tmp_path: Path) -> None:
    ota_file = real_path("bl602", "OpenBL602_1.17.551_OTA.bin.xz.ota")
    dump = real_path("bl602", "full_binary_with_app_OpenBL602_1.18.57.bin")
    r = _run("ota", "check", ota_file, "--against", dump, "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    validate_schema(doc, "ota-check.v1")
    assert doc["ok"] and doc["layout"] == "openbl602-2M" and doc["target_size"] == 557056
    toml = tmp_path / "tiny.toml"
    toml.write_text(
        fx("inputs", "partition_cfg_2M.toml").decode().replace("size1 = 0x88000", "size1 = 0x60000")
    )
    bad = _run("ota", "check", ota_file, "--against", toml)
    assert bad.exit_code == 1
    assert (
        "XZ stream is 426776 bytes, larger than FW slot 1 (393216 bytes" in bad.stdout
        and "FAIL" in bad.stdout
    )
    jbad = _run("ota", "check", ota_file, "--against", toml, "--json")
    assert jbad.exit_code == 1 and json.loads(jbad.stdout)["ok"] is False
    cut = _run(
        "ota", "check", real_path("bl602", "OpenBL602_1.17.551_OTA.bin.xz.ota_cutted"), "--against", dump
    )
    assert (
        cut.exit_code == 1 and isinstance(cut.exception, TruncatedError) and cut.exception.offset == 0x64000
    )


def test_partitions_cli(tmp_path: Path) -> None:
    out = tmp_path / "partition.bin"
    assert (
        _run(
            "partitions", "build", fixture_path("bl602", "inputs", "partition_cfg_2M.toml"), "-o", out
        ).exit_code
        == 0
    )
    assert out.read_bytes() == fx("small", "partition.bin")
    sec = tmp_path / "sector.bin"
    assert (
        _run(
            "partitions", "build", fixture_path("bl602", "inputs", "pt_test.toml"), "--sector", "-o", sec
        ).exit_code
        == 0
    )
    assert len(sec.read_bytes()) == 0x2000 and sec.read_bytes()[0x1000 : 0x1000 + 92] == fx(
        "pt", "pt_test.bin"
    )
    for src in (
        out,
        sec,
        fixture_path("bl602", "small", "whole_flash_data.bin"),
        fixture_path("bl602", "inputs", "partition_cfg_2M_sdk.toml"),
    ):
        r = _run("partitions", "show", src, "--json")
        assert r.exit_code == 0, r.output
        doc = json.loads(r.stdout)
        validate_schema(doc, "partitions.v1")
        assert doc["firmware"]["active_slot"] in (0, 1)
    dump_doc = json.loads(
        _run("partitions", "show", fixture_path("bl602", "small", "whole_flash_data.bin"), "--json").stdout
    )
    assert dump_doc["source"] == "dump" and dump_doc["active_copy"] == 0 and len(dump_doc["copies"]) == 2
    text = _run("partitions", "show", fixture_path("bl602", "small", "whole_flash_data.bin"))
    assert "layout: bflb-iot-tool-2M" in text.stdout and "(active)" in text.stdout
    toml = tmp_path / "x.toml"
    assert (
        _run(
            "partitions", "export", fixture_path("bl602", "small", "whole_flash_data.bin"), "-o", toml
        ).exit_code
        == 0
    )
    again = tmp_path / "again.bin"
    assert _run("partitions", "build", toml, "-o", again).exit_code == 0
    assert again.read_bytes() == fx("small", "partition.bin")


def test_bl602_header_cli(tmp_path: Path) -> None:
    r = _run("bl602", "header", "show", fixture_path("bl602", "small", "whole_flash_data.bin"), "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    validate_schema(doc, "details/bl602-header.v1")
    assert [(h["offset"], h["role"]) for h in doc["headers"]] == [(0, "boot2"), (0x10000, "firmware")]
    text = _run("bl602", "header", "show", fixture_path("bl602", "small", "bootinfo.bin"))
    assert "boot_cfg 0x00003300" in text.stdout and "header valid" in text.stdout
    broken = tmp_path / "broken.bin"
    data = bytearray(fx("small", "whole_img.bin"))
    data[172:176] = b"\0\0\0\1"
    broken.write_bytes(bytes(data))
    assert _run("verify", broken).exit_code == 1
    fixed = tmp_path / "fixed.bin"
    r = _run("bl602", "header", "rebuild", broken, "-o", fixed)
    assert (
        r.exit_code == 0 and fixed.read_bytes() == fx("small", "whole_img.bin") and "header CRC" in r.stderr
    )
    assert _run("verify", fixed).exit_code == 0
    one = _run(
        "bl602",
        "header",
        "show",
        fixture_path("bl602", "small", "whole_flash_data.bin"),
        "--offset",
        "0x10000",
        "--json",
    )
    assert [h["offset"] for h in json.loads(one.stdout)["headers"]] == [0x10000]
    assert _run("bl602", "header", "show", fixture_path("bl602", "small", "partition.bin")).exit_code == 1


def test_build_flash_cli(tmp_path: Path) -> None:
    out = tmp_path / "flash.bin"
    r = _run(
        "bl602",
        "build-flash",
        "--pt",
        fixture_path("bl602", "inputs", "partition_cfg_2M.toml"),
        "--boot2",
        fixture_path("bl602", "inputs", "boot2_isp_release.bin"),
        "--firmware",
        fixture_path("bl602", "inputs", "fw_small.bin"),
        "--dtb",
        fixture_path("bl602", "small", "ro_params.dtb"),
        "--size",
        "2M",
        "-o",
        out,
    )
    assert r.exit_code == 0, r.output
    expect = fx("small", "whole_flash_data.bin")
    assert out.read_bytes() == expect + b"\xff" * (0x200000 - len(expect))


def test_info_and_verify_json_for_bl602_kinds() -> None:
    for parts in (
        ("small", "whole_flash_data.bin"),
        ("small", "FW_OTA.bin.xz.ota"),
        ("small", "partition.bin"),
        ("small", "ro_params.dtb"),
        ("efuse", "efusedata_mac.bin"),
        ("small", "FW_OTA.bin.xz"),
        ("small", "bootinfo.bin"),
    ):
        r = _run("info", fixture_path("bl602", *parts), "--json")
        assert r.exit_code == 0, parts
        validate_schema(json.loads(r.stdout), "info.v1")
        v = _run("verify", fixture_path("bl602", *parts), "--json")
        assert v.exit_code == 0, parts
        validate_schema(json.loads(v.stdout), "verify.v1")


def test_bk_file_gets_a_plain_error() -> None:
    pytest.importorskip("obkimg.formats.bk7231.image")
    qio = real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin")
    for args in (
        ("ota", "pack", qio, "-o", "-"),
        ("ota", "check", qio, "--against", fixture_path("bl602", "small", "partition.bin")),
        ("partitions", "show", qio),
        ("bl602", "header", "show", qio),
    ):
        r = _run(*args)
        assert r.exit_code == 1 and isinstance(r.exception, MismatchError), args
        assert r.exception.message.startswith("this is a BK7231N QIO image, not ")


def test_bk_error_through_the_console_entry_point(tmp_path: Path) -> None:
    pytest.importorskip("obkimg.formats.bk7231.image")
    qio = real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin")
    p = subprocess.run(
        [sys.executable, "-m", "obkimg", "ota", "pack", str(qio), "-o", str(tmp_path / "x.ota")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert p.returncode == 1
    assert "this is a BK7231N QIO image, not BL602 firmware" in p.stderr and not (tmp_path / "x.ota").exists()
