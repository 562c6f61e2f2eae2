"""Fast start of ``tuya-keys`` and of the Tuya part of ``info`` (issue 14): what they import and what they
compile, asserted on ``sys.modules`` and the schemas' state in a fresh interpreter; no timing.

``tuya-keys`` reads the storage only: no BK7231 dump analysis, chip detection of the flash, OpenBeken or
BL602 module; and reading one storage compiles no construct schema (compiling costs more than the
parses of one storage save: obkimg.formats.config.tuya_kv._Fast).
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, real_path

#: modules ``tuya-keys`` needs no part of
NOT_FOR_TUYA_KEYS = (
    "obkimg.bkdump",
    "obkimg.bkchip",
    "obkimg.bkmap",
    "obkimg.formats.bk7231",
    "obkimg.formats.bl602",
    "obkimg.formats.config.obk",
    "obkimg.formats.config.easyflash",
    "obkimg.obk",
    "obkimg.configs",
    "obkimg.scan",
    "obkimg.codecs.crcframe",
    "obkimg.codecs.bkcipher",
    "obkimg.codecs.xzinfo",
)

RUN = r"""
import contextlib, io, json, runpy, sys
sys.argv = ["obkimg", *json.loads(sys.argv[1])]
with contextlib.redirect_stdout(io.StringIO()):
    try:
        runpy.run_module("obkimg", run_name="__main__")
    except SystemExit:
        pass
kv = sys.modules.get("obkimg.formats.config.tuya_kv")
fast = () if kv is None else (kv.DATA_BLOCK.body.subcon.subcon, kv.INDEX_PAGE.subcon)
compiled = [f.fast is not None for f in fast]
print(json.dumps({"modules": sorted(sys.modules), "compiled": compiled}))
"""


def _run(*args: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run(
        [sys.executable, "-c", RUN, json.dumps(list(args))],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    return dict(json.loads(p.stdout.strip().splitlines()[-1]))


def _unneeded(modules: list[str]) -> list[str]:
    return [m for m in modules if m.startswith(NOT_FOR_TUYA_KEYS)]


def _demo_dump(tmp_path: Path) -> Path:
    out = tmp_path / "demo.bin"
    out.write_bytes(gzip.decompress((ROOT / "examples" / "bk7231n_demo_dump.bin.gz").read_bytes()))
    return out


def test_tuya_keys_imports_no_dump_analysis_and_compiles_nothing(tmp_path: Path) -> None:
    found = _run("tuya-keys", "--json", str(_demo_dump(tmp_path)))
    assert "obkimg.tuya_storage" in found["modules"] and "obkimg.tuya_pins" in found["modules"]  # it ran
    assert _unneeded(found["modules"]) == []
    assert found["compiled"] == [False, False]


@pytest.mark.parametrize(
    "parts",
    [
        ("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin"),
        ("bk7231t", "BK7231T_Tuya_A60_SmartBulb_RGBCWW_5ch_PWM_1000Hz.bin"),
    ],
)
def test_tuya_keys_on_real_bk7231_dumps(parts: tuple[str, str]) -> None:
    found = _run("tuya-keys", "--json", str(real_path(*parts)))
    assert "obkimg.tuya_storage" in found["modules"]
    assert _unneeded(found["modules"]) == []
    assert found["compiled"] == [False, False]  # 14-17 data blocks and 20-30 index pages, read interpreted


def test_info_reads_the_tuya_storage_without_compiling() -> None:
    found = _run(
        "info", "--json", str(real_path("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin"))
    )
    assert "obkimg.tuya_storage" in found["modules"] and "obkimg.bkdump" in found["modules"]
    assert found["compiled"] == [False, False]
