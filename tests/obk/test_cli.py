"""`obkimg obk-config` commands through click's CliRunner; JSON outputs validated against the schemas."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from obkimg import obk_locate
from obkimg.cli import cli
from obkimg.errors import NotFoundError
from obkimg.formats.config import obk_config as oc
from tests.conftest import real_path, validate_schema
from tests.obk.helpers import EF_FIXTURE, SECTOR_FIXTURE, dump_with, obk_fixture


def _run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def test_show_json_and_text(tmp_path: Path) -> None:
    f = tmp_path / "cfg.bin"
    f.write_bytes(obk_fixture(SECTOR_FIXTURE))
    r = _run("obk-config", "show", str(f), "--json")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    validate_schema(doc, "obk-config.v1")
    assert doc["crc"] == {
        "stored": 5,
        "valid": True,
        "variant": "signed",
        "expected_variant": None,
        "signed": 5,
        "unsigned": 166,
        "range": [4, 3584],
    }
    assert doc["wifi"]["password"] == "correct horse battery", "show is the command whose job it is"
    red = json.loads(_run("obk-config", "show", str(f), "--json", "--redact").stdout)
    assert red["wifi"]["password"] != "correct horse battery" and red["mqtt"]["password"] != "synthMqttPass"
    txt = _run("obk-config", "show", str(f))
    assert txt.exit_code == 0 and "IOR_Relay" in txt.stdout and "CRC 0x05 ok (signed char)" in txt.stdout


def test_show_bad_crc_exits_1_and_missing_is_error(tmp_path: Path) -> None:
    bad = bytearray(obk_fixture(SECTOR_FIXTURE))
    bad[100] ^= 4
    f = tmp_path / "bad.bin"
    f.write_bytes(bytes(bad))
    r = _run("obk-config", "show", str(f), "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["crc"]["valid"] is False
    e = tmp_path / "erased.bin"
    e.write_bytes(b"\xff" * 0x10000)
    r2 = _run("obk-config", "show", str(e))
    assert r2.exit_code == 1 and isinstance(r2.exception, NotFoundError)


def test_extract_set_diff_write(tmp_path: Path) -> None:
    dump = tmp_path / "dump.bin"
    dump.write_bytes(dump_with(obk_fixture(SECTOR_FIXTURE), 0x1D1000))
    cfg = tmp_path / "cfg.bin"
    r = _run("obk-config", "extract", str(dump), "--chip", "BK7231N", "-o", str(cfg))
    assert r.exit_code == 0 and cfg.read_bytes() == obk_fixture(SECTOR_FIXTURE)[:3584]
    assert _run("obk-config", "extract", str(dump), "-o", str(cfg)).exit_code == 1, (
        "no overwrite without --force"
    )
    new = tmp_path / "new.bin"
    r = _run("obk-config", "set", str(cfg), "ssid=CliNet", "pin.10=LED_n:1", "-o", str(new))
    assert r.exit_code == 0, r.output
    shown = json.loads(_run("obk-config", "show", str(new), "--json").stdout)
    assert (
        shown["wifi"]["ssid"] == "CliNet"
        and {"pin": 10, "role": 6, "role_name": "IOR_LED_n", "channel": 1, "channel2": 0} in shown["pins"]
    )
    d = _run("obk-config", "diff", str(cfg), str(new), "--json")
    doc = json.loads(d.stdout)
    validate_schema(doc, "obk-config-diff.v1")
    assert {x["field"] for x in doc["differences"]} == {
        "wifi_ssid",
        "roles[10]",
        "channels[10]",
        "changeCounter",
    }
    assert (
        "wifi_ssid: 'SynthNet-2G' -> 'CliNet'"
        in _run("obk-config", "diff", str(cfg), str(new), "--show-secrets").stdout
    )
    assert "wifi_ssid: '***' -> '***'" in _run("obk-config", "diff", str(cfg), str(new)).stdout, (
        "SSIDs masked"
    )
    assert _run("obk-config", "diff", str(cfg), str(cfg)).stdout.strip() == "identical"
    out = tmp_path / "qio.bin"
    qio = tmp_path / "app.bin"
    qio.write_bytes(b"\x55" * 0x1000)
    r = _run("obk-config", "write", str(qio), str(new), "--chip", "BK7231T", "-o", str(out))
    assert r.exit_code == 0
    data = out.read_bytes()
    assert (
        data[:0x1000] == b"\x55" * 0x1000 and oc.ObkConfig.parse(data[0x1E1000:]).get("wifi_ssid") == "CliNet"
    )
    r = _run("obk-config", "set", str(cfg), "bogus=1", "-o", str(tmp_path / "x.bin"))
    assert r.exit_code == 1 and not (tmp_path / "x.bin").exists()


def test_easyflash_set_via_cli(tmp_path: Path) -> None:
    f = tmp_path / "ef.bin"
    f.write_bytes(obk_fixture(EF_FIXTURE))
    out = tmp_path / "ef2.bin"
    assert _run("obk-config", "set", str(f), "mqtt_host=192.0.2.99", "-o", str(out)).exit_code == 0
    doc = json.loads(_run("obk-config", "show", str(out), "--json").stdout)
    assert doc["mqtt"]["host"] == "192.0.2.99" and doc["location"]["mechanism"] == "easyflash"
    assert doc["crc"]["variant"] == "unsigned"


def test_real_bl602_show_json_validates() -> None:
    path = real_path("bl602", "full_binary_with_app_OpenBL602_1.18.57.bin")
    r = _run("obk-config", "show", str(path), "--json", "--redact")
    assert r.exit_code == 0
    doc = json.loads(r.stdout)
    validate_schema(doc, "obk-config.v1")
    assert doc["chip"] == "BL602" and doc["location"]["partition"] == "PSM"


def test_psm_comes_from_the_partitions_module() -> None:
    """The one BFPT reader (formats.bl602.partitions) gives the PSM partition the config search uses."""
    from obkimg.formats.bl602 import partitions

    assert obk_locate.PT_MAGIC == partitions.PT_MAGIC
    data = real_path("bl602", "full_binary_with_app_OpenBL602_1.18.57.bin").read_bytes()
    copies = partitions.read_copies(data)
    psm = copies[partitions.select_active(copies)].table.get("PSM")
    assert obk_locate.find_psm(data)[:2] == (psm.address[0], psm.size[0])
    assert obk_locate.find_psm(data[:0xE000] + b"\xff" * 0x2000 + data[0x10000:]) is None
