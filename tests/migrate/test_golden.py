"""Golden files: every form of the synthetic demo dump (examples/bk7231n_demo_dump.bin.gz).

Regenerate after an intended change with ``OBKIMG_UPDATE_GOLDEN=1 pytest tests/migrate/test_golden.py``
and review the diff. The demo's Wi-Fi credentials are synthetic (examples/make_demo.py).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from obkimg.formats.config import obk_config as oc
from obkimg.migrate import FORMS, plan, render
from tests.conftest import ROOT, validate_schema
from tests.migrate._yaml import load_esphome

DEMO = ROOT / "examples" / "bk7231n_demo_dump.bin.gz"
GOLDEN = Path(__file__).parent / "golden"
SUFFIX = {"config": "bin", "template": "json", "commands": "txt", "esphome": "yaml"}


@pytest.mark.parametrize("form", FORMS)
def test_golden(form: str) -> None:
    out = render(plan(DEMO), form)
    path = GOLDEN / f"demo.{form}.{SUFFIX[form]}"
    if os.environ.get("OBKIMG_UPDATE_GOLDEN"):
        path.write_bytes(out)
    want = path.read_bytes()
    if form == "config":
        assert hashlib.sha256(out).hexdigest() == hashlib.sha256(want).hexdigest()
    else:
        assert out.decode() == want.decode()


def test_golden_forms_are_valid() -> None:
    cfg = oc.ObkConfig.parse((GOLDEN / "demo.config.bin").read_bytes(), strict=True)
    assert cfg.crc_valid and cfg.crc_variant == "signed" and cfg.version == 5
    roles = cfg.get("roles")
    assert (roles[6], roles[8], roles[26]) == (1, 3, 9)  # Relay, Button, LED_WIFI_n (new_pins.h numbers)
    assert cfg.get("ledRemap") == [0, 0, 0, 0, 0]
    tpl = json.loads((GOLDEN / "demo.template.json").read_text())
    validate_schema(tpl, "obk-template.v1")
    assert tpl["pins"] == {"6": "Rel;1", "8": "Btn;1", "26": "WifiLED_n;0"}
    assert tpl["pin_sources"]["6"] == "rl1_pin=6, rl1_lv=1"
    doc = load_esphome((GOLDEN / "demo.esphome.yaml").read_text())
    assert doc["bk72xx"]["board"] == "generic-bk7231n-qfn32-tuya"
    assert doc["switch"][0]["pin"] == "P6" and doc["binary_sensor"][0]["on_press"] == [
        {"switch.toggle": "relay_1"}
    ]
    text = (GOLDEN / "demo.esphome.yaml").read_text()
    assert "# P6 Relay ch 1 <- rl1_pin=6, rl1_lv=1" in text
    cmds = (GOLDEN / "demo.commands.txt").read_text()
    assert "// P8  Btn;1  <- bt1_pin=8, bt1_lv=0 (button)" in cmds
    assert cmds.splitlines()[-1].startswith("backlog SetPinRole 6 Rel; SetPinChannel 6 1;")
