"""Fast start (issue 14): what a command imports, asserted on ``sys.modules`` of a fresh interpreter.

No timing is asserted here (benchmarks/ measures time, paired with the interpreter floor); these tests
pin the import *set*: a BK7231 dump must not load the BL602 or OpenBeken modules, and the cheap
detection pre-conditions must never change what ``obkimg.detect`` answers.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from obkimg import configs, obk_locate
from obkimg.detect import _probe
from obkimg.formats import MAY_DETECT, iter_modules
from obkimg.formats.config import obk_config as oc
from tests.conftest import FIXTURES, ROOT, real_path

BL602_OR_OBK = ("obkimg.formats.bl602.", "obkimg.formats.config.obk_config", "obkimg.obk")

MODULES = r"""
import json, runpy, sys
sys.argv = ["obkimg", *json.loads(sys.argv[1])]
try:
    runpy.run_module("obkimg", run_name="__main__")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def _modules(*args: str) -> list[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run(
        [sys.executable, "-c", MODULES, json.dumps(list(args))],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return list(json.loads(p.stderr.strip().splitlines()[-1]))


def _demo_dump(tmp_path: Path) -> Path:
    out = tmp_path / "demo.bin"
    out.write_bytes(gzip.decompress((ROOT / "examples" / "bk7231n_demo_dump.bin.gz").read_bytes()))
    return out


@pytest.mark.parametrize("command", ["info", "detect", "tuya-keys"])
def test_bk7231_dump_loads_no_bl602_or_obk_module(command: str) -> None:
    dump = real_path("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin")
    loaded = _modules(command, "--json", str(dump))
    assert "obkimg.formats.bk7231.image" in loaded or command == "tuya-keys", loaded  # the test can fail
    assert [m for m in loaded if m.startswith(BL602_OR_OBK)] == []


def test_demo_dump_loads_no_bl602_module_but_finds_its_obk_config(tmp_path: Path) -> None:
    """The synthetic demo dump holds an OpenBeken config: its modules load (and only then)."""
    loaded = _modules("info", "--json", str(_demo_dump(tmp_path)))
    assert "obkimg.formats.config.obk_config" in loaded
    assert [m for m in loaded if m.startswith("obkimg.formats.bl602.")] == []


def test_info_does_not_load_the_pin_table() -> None:
    """``info`` shows the Tuya keys' summary, never their pins: the Tuya -> OpenBeken pin table and the
    OpenBeken enums stay out; ``tuya-keys`` labels pins, without the OpenBeken enums."""
    dump = real_path("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin")
    loaded = _modules("info", "--json", str(dump))
    assert "obkimg.tuya" in loaded, loaded  # the test can fail: info did read the Tuya storage
    assert [m for m in loaded if m in ("obkimg.tuya_pins", "obkimg.formats.config.obk_enums")] == []
    loaded = _modules("tuya-keys", "--json", str(dump))
    assert "obkimg.tuya_pins" in loaded
    assert "obkimg.formats.config.obk_enums" not in loaded


def test_tuya_keys_does_not_load_the_image_parsers() -> None:
    dump = real_path("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin")
    loaded = _modules("tuya-keys", "--json", str(dump))
    assert "obkimg.formats.config.tuya_kv" in loaded
    assert [m for m in loaded if m.startswith(("obkimg.formats.bk7231.", "lzma", "intelhex"))] == []


def _inputs() -> list[Path]:
    if not FIXTURES.exists():
        return []
    return sorted(
        p for p in FIXTURES.rglob("*") if p.is_file() and not p.name.endswith((".json", ".txt", ".md"))
    )


def test_may_detect_never_hides_a_detection() -> None:
    """Every module whose pre-condition is False really detects nothing, on every shared fixture, and
    ``_probe`` (which skips them) ranks exactly what probing every module ranks."""
    from obkimg.source import load

    paths = _inputs()
    if not paths:
        pytest.skip("../shared/fixtures absent")
    mods = list(iter_modules())
    skipped = 0
    for p in paths:
        try:
            data = load(p).data
        except Exception:  # noqa: BLE001 - unreadable inputs are not this test's business
            continue
        full = []
        for mod in mods:
            hit = mod.detect(data)
            name = mod.__name__.removeprefix("obkimg.formats.")
            if name in MAY_DETECT and not MAY_DETECT[name](data):
                skipped += 1
                assert hit is None, (p.name, name)
            if hit is not None:
                full += hit if isinstance(hit, list) else [hit]
        full.sort(key=lambda d: -d.confidence)
        assert _probe(data)[0] == full, p.name
    assert skipped > len(paths)  # the pre-conditions do skip modules


def test_obk_precheck_matches_the_obk_locations() -> None:
    """configs.may_hold_obk_config knows every place find_config looks at."""
    assert oc.IDENT == configs.OBK_IDENT
    offsets = {off for off, _ in oc.RAW_CANDIDATES} | {
        i.offset for i in oc.CHIPS.values() if i.offset is not None
    }
    assert {o for o in offsets if o % oc.SECTOR} == set(configs.OBK_OFF_GRID)
    assert oc.SECTOR == 0x1000
    keys = {i.key for i in oc.CHIPS.values() if i.key} | {"mY0bcFg", "ObkCfg"}
    assert {k.encode() for k in keys} == set(configs.OBK_KEYS)


def test_obk_precheck_is_exact_where_it_says_no() -> None:
    from obkimg.errors import NotFoundError

    erased = bytearray(b"\xff" * 0x200000)
    erased[0x1234:0x1237] = b"CFG"  # off the grid: cannot be a config
    assert not configs.may_hold_obk_config(bytes(erased))
    with pytest.raises(NotFoundError):
        obk_locate.find_config(bytes(erased))
    sector = FIXTURES / "obk" / "obk_cfg_v5_bk7231_sector.bin"
    if sector.exists():
        erased[0x1D1000:0x1D2000] = sector.read_bytes()
        assert configs.may_hold_obk_config(bytes(erased))
        assert obk_locate.find_config(bytes(erased)).location["offset"] == 0x1D1000


def test_bl602_marker_list_is_the_bootheader_one() -> None:
    from obkimg import formats
    from obkimg.formats.bl602 import bootheader as bl602_bootheader

    assert formats.BL602_MARKERS is bl602_bootheader.BL602_MARKERS
