"""``obkimg migrate``: forms, stdout/stderr discipline, usage errors, --json schema, odd storages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from obkimg import tuya_storage as ts
from obkimg.cli import cli
from obkimg.formats.config import obk_config as oc
from obkimg.migrate import plan, render
from tests.conftest import ROOT, validate_schema
from tests.migrate._yaml import load_esphome

DEMO = str(ROOT / "examples" / "bk7231n_demo_dump.bin.gz")
KEY = bytes(range(16))


def _run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


@pytest.mark.parametrize("form", ["template", "commands", "esphome"])
def test_text_forms_to_stdout_summary_to_stderr(form: str) -> None:
    r = _run("migrate", DEMO, "--to", form, "-o", "-")
    assert r.exit_code == 0, r.output
    assert r.stdout.encode() == render(plan(DEMO), form)
    assert "3 pins mapped, 0 uncertain" in r.stderr and "rl1_pin=6" in r.stderr
    if form == "template":
        validate_schema(json.loads(r.stdout), "obk-template.v1")
    if form == "esphome":
        assert load_esphome(r.stdout)["bk72xx"]


def test_config_to_file_and_stdout(tmp_path: Path) -> None:
    out = tmp_path / "cfg.bin"
    r = _run("migrate", DEMO, "--to", "config", "-o", str(out), "--name", "demo")
    assert r.exit_code == 0, r.output
    cfg = oc.ObkConfig.parse(out.read_bytes(), strict=True)
    assert cfg.crc_valid and cfg.get("shortDeviceName") == "demo"
    assert _run("migrate", DEMO, "--to", "config", "-o", str(out)).exit_code == 1  # exists, no --force
    assert _run("migrate", DEMO, "--to", "config", "-o", str(out), "--force").exit_code == 0
    r = CliRunner().invoke(cli, ["migrate", DEMO, "--to", "config", "-o", "-"])
    assert r.exit_code == 0 and r.stdout_bytes[:3] == b"CFG" and len(r.stdout_bytes) == 3584


def test_json_plan_masks_wifi_unless_asked() -> None:
    r = _run("migrate", DEMO, "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    validate_schema(doc, "migrate.v1")
    assert doc["wifi"]["password"] != "not-a-real-password" and doc["chip"] == "BK7231N"
    shown = json.loads(_run("migrate", DEMO, "--json", "--show-secrets").stdout)
    assert shown["wifi"]["password"] == "not-a-real-password"


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--to", "config"],
        ["-o", "x.bin"],
        ["--to", "template", "-o", "-", "--json"],
        ["--to", "yaml", "-o", "-"],
    ],
)
def test_usage_errors(args: list[str]) -> None:
    assert _run("migrate", DEMO, *args).exit_code == 2


def test_help_lists_migrate() -> None:
    assert "migrate" in _run("--help").output
    assert "--to FORM" in _run("migrate", "--help").output


def _storage(values: dict[str, bytes]) -> bytes:
    return ts.build_storage(values, device_key=KEY)


def test_bad_base64_long_password_does_not_stop_the_migration(tmp_path: Path) -> None:
    """An 84-character password flagged base64 but not valid base64: reported, everything else written."""
    bad = "A" * 83 + "!"
    src = tmp_path / "store.bin"
    src.write_bytes(
        _storage(
            {
                "gw_wsm": json.dumps({"ssid": "RGVtb05ldA==", "passwd": bad, "wfb64": 1}).encode(),
                "user_param_key": b"{Jsonver:1.1.8,module:CB2S,rl1_pin:6,rl1_lv:1,crc:1,}",
                "em_sys_env": b"bk7231n",
            }
        )
    )
    p = plan(src)
    assert p.wifi_ssid is None and p.wifi_password is None  # the pair is not written half
    assert any("84 characters" in pr.message for pr in p.problems)
    out = tmp_path / "cfg.bin"
    r = _run("migrate", str(src), "--to", "config", "-o", str(out))
    assert r.exit_code == 0, r.output
    assert "does not fit" in r.stderr and bad not in r.stderr + r.stdout
    cfg = oc.ObkConfig.parse(out.read_bytes(), strict=True)
    assert cfg.get("roles")[6] == 1 and cfg.get("wifi_ssid") == ""
    new = _run("obk-config", "new", "--from-tuya", str(src), "-o", str(tmp_path / "new.bin"))
    assert new.exit_code == 0, new.output


def test_unknown_chip_still_writes_the_config(tmp_path: Path) -> None:
    src = tmp_path / "store.bin"
    src.write_bytes(_storage({"baud_cfg": b'{"baud":9600}'}))
    p = plan(src)
    assert p.chip is None and p.chip_source == "unknown" and any("unknown" in n for n in p.notes)
    cfg = oc.ObkConfig.parse(render(p, "config"), strict=True)
    assert cfg.crc_variant == "signed" and cfg.get("initCommandLine") == (
        "backlog startDriver TuyaMCU; tuyaMcu_setBaudRate 9600"
    )
    assert json.loads(render(p, "template"))["chip"] == "unknown"
    r = _run("migrate", str(src), "--to", "esphome", "-o", "-")
    assert r.exit_code == 1 and "pass --chip" in r.stderr
    r = _run("migrate", str(src), "--to", "esphome", "-o", "-", "--chip", "BK7231N")
    assert r.exit_code == 0 and load_esphome(r.stdout)["tuya"] == {"uart_id": "uart_tuya"}
    doc = json.loads(_run("obk-config", "new", "--from-tuya", str(src), "--json").stdout)
    validate_schema(doc, "obk-config-new.v1")
    assert doc["chip"] == "unknown"


def test_led_driver_order_and_default(tmp_path: Path) -> None:
    upk = b"{Jsonver:1.1.8,module:WBLC9,iicscl:26,iicsda:24,dmod:6,iicr:1,iicg:2,iicb:0,iicc:3,iicw:4,crc:1,}"
    src = tmp_path / "bulb.bin"
    src.write_bytes(_storage({"user_param_key": upk, "em_sys_env": b"bk7231n"}))
    p = plan(src)
    assert p.led_map == (1, 2, 0, 3, 4) and any("not its own inverse" in n for n in p.notes)
    assert oc.ObkConfig.parse(render(p, "config")).get("ledRemap") == [1, 2, 0, 3, 4]
    assert "startDriver BP5758D; LED_Map 1 2 0 3 4" in render(p, "commands").decode()
    doc = load_esphome(render(p, "esphome"))
    chans = {o["id"]: o["channel"] for o in doc["output"]}
    assert chans == {"output_r": 2, "output_g": 3, "output_b": 1, "output_c": 4, "output_w": 5}  # OUT1..OUT5
    assert doc["light"][0]["platform"] == "rgbww"
    src.write_bytes(
        _storage(
            {
                "user_param_key": upk.replace(b"iicr:1,iicg:2,iicb:0,iicc:3,iicw:4,", b""),
                "em_sys_env": b"bk7231n",
            }
        )
    )
    assert oc.ObkConfig.parse(render(plan(src), "config")).get("ledRemap") == [0, 0, 0, 0, 0]


@pytest.mark.parametrize(
    "data", [b"", b"\xff" * 0x10000, bytes(range(256)) * 16], ids=["empty", "ff", "garbage"]
)
def test_bad_input_one_error_line_exit_1(tmp_path: Path, data: bytes) -> None:
    from tests.hardening._cli import run

    src = tmp_path / "in.bin"
    src.write_bytes(data)
    out = tmp_path / "out.bin"
    r = run("migrate", str(src), "--to", "config", "-o", str(out), outputs=[out])
    assert r.code == 1 and r.err.startswith("error: ") and len(r.err.strip().splitlines()) == 1
    assert not out.exists()
    j = run("migrate", str(src), "--json")
    assert j.code == 1
    validate_schema(json.loads(j.stdout), "error.v1")


def test_esphome_needs_a_known_board(tmp_path: Path) -> None:
    from tests.hardening._cli import run

    src = tmp_path / "store.bin"
    src.write_bytes(_storage({"baud_cfg": b'{"baud":9600}'}))
    r = run("migrate", str(src), "--to", "esphome", "-o", "-")
    assert r.code == 1 and "error: migrate: no LibreTiny board known for chip unknown" in r.err
    assert r.stdout == b""


@pytest.mark.parametrize(("form", "mode"), [("config", 0o600), ("esphome", 0o600), ("template", None)])
def test_forms_holding_wifi_credentials_are_created_0600(tmp_path: Path, form: str, mode: int | None) -> None:
    import os
    import stat

    out = tmp_path / f"out.{form}"
    old = os.umask(0o022)
    try:
        assert _run("migrate", DEMO, "--to", form, "-o", str(out)).exit_code == 0
    finally:
        os.umask(old)
    got = stat.S_IMODE(out.stat().st_mode)
    assert got == (mode if mode is not None else 0o644), oct(got)


def test_migrate_json_masks_by_default_and_has_the_common_secret_flags() -> None:
    masked = json.loads(_run("migrate", DEMO, "--json").stdout)
    shown = json.loads(_run("migrate", DEMO, "--json", "--show-secrets").stdout)
    assert masked["wifi"]["password"] == "***" and shown["wifi"]["password"] == "not-a-real-password"
    assert json.loads(_run("migrate", DEMO, "--json", "--redact").stdout) == masked


def test_esphome_form_masks_wifi_unless_asked() -> None:
    """Seen: `migrate --to esphome -o -` printed the Wi-Fi SSID and password under the masking
    default (--redact). Masked, the YAML refers to ESPHome's secrets.yaml (`!secret wifi_ssid`)."""
    shown = json.loads(_run("migrate", DEMO, "--json", "--show-secrets").stdout)["wifi"]
    assert shown["ssid"] and shown["password"]
    for flags in ((), ("--redact",)):
        r = _run("migrate", DEMO, "--to", "esphome", "-o", "-", *flags)
        assert r.exit_code == 0
        leaked = [k for k in ("ssid", "password") if shown[k] in r.stdout + r.stderr]
        assert not leaked, f"the Wi-Fi {leaked} are in `migrate --to esphome {' '.join(flags)}`"
        wifi = load_esphome(r.stdout)["wifi"]
        assert wifi["ssid"] == "!secret wifi_ssid" and wifi["password"] == "!secret wifi_password"
    r = _run("migrate", DEMO, "--to", "esphome", "-o", "-", "--show-secrets")
    wifi = load_esphome(r.stdout)["wifi"]
    assert (wifi["ssid"], wifi["password"]) == (shown["ssid"], shown["password"])


def test_json_with_an_output_that_cannot_be_written_prints_only_the_error_document(tmp_path: Path) -> None:
    """Seen: `migrate --json --to commands -o EXISTING` printed the obkimg.migrate/1 document, then
    failed (exit 1): stdout said success. A failing --json run prints one obkimg.error/1 document."""
    from tests.secrets.leaks import run_main

    existing = tmp_path / "exists.txt"
    existing.write_text("keep\n")
    for out in (str(existing), str(tmp_path / "nodir" / "x.txt")):
        code, stdout, _ = run_main("migrate", DEMO, "--json", "--to", "commands", "-o", out)
        assert code == 1
        doc = json.loads(stdout)  # exactly one document
        assert doc["schema"] == "obkimg.error/1", doc["schema"]
    assert existing.read_text() == "keep\n"


@pytest.mark.parametrize(
    "args",
    [
        ("migrate", DEMO, "--chip", "esp32", "--to", "config", "-o", "-"),
        ("migrate", DEMO, "--chip", "zz", "--json"),
        ("obk-config", "new", "--from-tuya", DEMO, "--chip", "esp32", "-o", "-"),
    ],
)
def test_a_chip_openbeken_does_not_know_is_refused(args: tuple[str, ...]) -> None:
    """Seen: `migrate --chip esp32` wrote a BK7231-layout config and a template saying chip ESP32
    (exit 0). A given chip must be one whose OpenBeken config layout obkimg knows."""
    from tests.secrets.leaks import run_main

    code, out, err = run_main(*args)
    assert code == 1 and "BK7231N" in err + out  # the known chips are named
    if "--json" in args:
        assert json.loads(out)["schema"] == "obkimg.error/1"
    else:
        assert out == ""


def test_a_known_chip_in_any_case_is_taken() -> None:
    r = _run("migrate", DEMO, "--chip", "bk7231t", "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["chip"] == "BK7231T"
