"""The secrets policy (obkimg/secrets.py): one definition, one mask, the same flags everywhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import click
import pytest

from obkimg.cli import cli
from obkimg.errors import BuildError
from obkimg.model import Secret, jsonable, mask_secret
from obkimg.secrets import MASK, find_secrets, is_secret, mask, redact, scrub_text
from tests.conftest import ROOT

PW = "not-a-real-pw-0123"  # made-up


@pytest.mark.parametrize(
    ("name", "parent"),
    [
        ("pwsd", "ap_item"),
        ("ssid", "ap_item"),
        ("tuya_seed", None),
        ("fac_pin", "gw_bi"),
        ("hs_psk", "gw_ai"),
        ("mq_psk", "gw_ai"),
        ("ble_beaconkey", None),
        ("psk30_key", "gw_bi"),
        ("key", "gw_ai"),
        ("id", "gw_di"),
        ("pin", "gw_bi"),
        ("user", "mqtt"),
        ("mqtt_userName", None),
        ("webPassword", None),
        ("wifi_ssid2", None),
        ("ap_info_v2", None),
        ("reg_key", "gw_wsm"),
        ("token", "gw_wsm"),
        ("sta_pwd", "factory"),
        ("sta_ssid", "factory"),
        ("device_key", "storage"),
        ("lckey", "gw_ai"),
        ("uuid", "gw_bi"),
    ],
)
def test_secret_names(name: str, parent: str | None) -> None:
    assert is_secret(name, parent)


@pytest.mark.parametrize(
    ("name", "parent"),
    [
        ("key", "pins"),
        ("id", "channels"),
        ("ap_ssid", "gw_bi"),
        ("hs_psk_ip", "gw_ai"),
        ("mq_url", "gw_ai"),
        ("pk", "gw_di"),
        ("product_key", "device"),
        ("user_param_key", "values"),
        ("module", None),
        ("is_psk30_cfg", "gw_wsm"),
        ("tuya_seed", "encodings"),
        ("key_variant", "storage"),
        ("user", "device"),
    ],
)
def test_not_secret_names(name: str, parent: str | None) -> None:
    assert not is_secret(name, parent)


def test_mask_reveals_neither_length_nor_characters() -> None:
    assert {mask(v) for v in ("a", "hunter22", "x" * 64, 12345678)} == {MASK}
    assert (mask(None), mask(""), mask(True)) == (None, "", True)
    assert mask_secret("correct horse battery") == MASK == Secret("abc").masked
    assert repr(Secret(PW)) == "Secret('***')"


def test_redact_at_any_depth_and_inside_json_strings() -> None:
    doc = {
        "wf_pt": {"ap_item": [{"ssid": "Net1", "pwsd": PW}, {"ssid": "Net2", "pwsd": PW + "b"}]},
        "gw_bi": {"uuid": "u" * 16, "fac_pin": "f" * 16, "ap_ssid": "SmartLife"},
        "tuya_seed": "00" * 32,
        "meta": json.dumps({"inner": {"passwd": PW}, "n": 1}),
        "note": f"password={PW} and token: 'abcdef'",
        "pins": [{"key": "rl1_pin", "gpio": 6}],
        "secret": Secret(PW),
    }
    before = json.dumps(doc)
    out = redact(doc)
    assert json.dumps(doc) == before, "input not modified"
    text = json.dumps(out)
    assert PW not in text and "Net1" not in text and "u" * 16 not in text and "abcdef" not in text
    assert [i["pwsd"] for i in out["wf_pt"]["ap_item"]] == [MASK, MASK]
    assert out["gw_bi"]["ap_ssid"] == "SmartLife" and out["pins"][0]["key"] == "rl1_pin"
    assert json.loads(out["meta"]) == {"inner": {"passwd": MASK}, "n": 1}
    assert out["tuya_seed"] == MASK and out["secret"] == MASK
    assert redact(out) == out, "idempotent"
    found = dict(find_secrets(doc))
    assert found["meta<json>.inner.passwd"] == PW and "wf_pt.ap_item[1].pwsd" in found
    assert "gw_bi.ap_ssid" not in found and "pins[0].key" not in found


def test_jsonable_masks_by_the_policy() -> None:
    doc = {"wifi": {"ssid": "Plain", "password": Secret(PW)}, "raw": b"\x01"}
    assert jsonable(doc, show_secrets=False) == {"wifi": {"ssid": MASK, "password": MASK}, "raw": "01"}
    assert jsonable(doc) == {"wifi": {"ssid": "Plain", "password": PW}, "raw": "01"}


def test_scrub_text() -> None:
    assert scrub_text(f"wifi_pass: '{PW}' is too long") == "wifi_pass: '***' is too long"
    assert scrub_text(f'{{"ssid": "Home", "passwd": "{PW}"}}') == '{"ssid": "***", "passwd": "***"}'
    assert scrub_text("ssid=Home, key=value mq_url=m2.tuyaeu.com:1883") == (
        "ssid=***, key=value mq_url=m2.tuyaeu.com:1883"
    )
    assert scrub_text(f"x {PW} y", known=[PW]) == "x *** y"


def test_library_errors_carry_no_secret() -> None:
    e = BuildError(f"'password:{PW}': expected key=value", path="password")
    assert PW not in str(e) and PW not in json.dumps(e.to_dict())


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    ctx = click.Context(group)
    out = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        if isinstance(cmd, click.Group):
            out += _commands(cmd, f"{prefix}{name} ")
        else:
            out.append((prefix + name, cmd))
    return out


def test_same_flags_and_defaults_on_every_command() -> None:
    """--show-secrets/--redact on every command that can print a secret; shown by default only by the
    commands whose job is to show them; no other spelling of the flag anywhere."""
    shows = {"tuya-keys": True, "obk-config show": True}
    masks = {"info": False, "obk-config new": False, "obk-config diff": False, "migrate": False}
    seen = {}
    for name, cmd in _commands(cli):
        for p in cmd.params:
            opts = set(p.opts) | set(getattr(p, "secondary_opts", []))
            if opts & {"--redact", "--show-secrets", "--mask", "--show-secret", "--reveal"}:
                assert opts == {"--show-secrets", "--redact"} and p.name == "show_secrets", name
                seen[name] = p.default
    assert seen == {**shows, **masks}


def test_cli_error_message_and_traceback_scrubbed() -> None:
    """A secret typed on the command line is not echoed by the error (nor by --traceback); the JSON
    error document renders the same scrubbed exception (test_library_errors_carry_no_secret)."""
    demo = ROOT / "examples" / "bk7231n_demo_dump.bin.gz"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for extra in ([], ["--traceback"]):
        args = [
            sys.executable,
            "-m",
            "obkimg",
            *extra,
            "obk-config",
            "set",
            str(demo),
            f"password:{PW}",
            "-o",
            os.devnull,
        ]
        r = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 1 and "expected key=value" in r.stderr
        assert ("Traceback" in r.stderr) == bool(extra)
        leaked = PW in r.stdout + r.stderr
        assert not leaked, f"the password is in the error output of {extra}"


def test_deep_nesting_is_bounded() -> None:
    """A hostile value (a string of 200,000 '[' or a 500-deep JSON array) neither crashes nor hangs the
    masking; what is too deep to walk is masked whole."""
    flat = "[" * 200_000
    assert redact({"x": flat}) == {"x": flat} and list(find_secrets({"x": flat})) == []
    deep: object = {"passwd": PW}
    for _ in range(500):
        deep = [deep]
    assert PW not in json.dumps(redact({"v": deep})) and PW not in json.dumps(redact({"v": json.dumps(deep)}))
