"""Fast start of ``tuya-keys`` and of the Tuya part of ``info`` (issue 14): what they import and what they
run, asserted on ``sys.modules`` of a fresh interpreter and on call counts; no timing.

``tuya-keys`` reads the storage only: no construct (the workflow reads healthy sectors directly), no
BK7231 dump analysis, chip detection of the flash, OpenBeken or BL602 module. The Tuya KV schemas are
declared on first use only, so neither ``tuya-keys`` nor ``info`` declares them for a healthy storage.
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

from obkimg import tuya_storage as ts
from obkimg.formats.config import tuya_kv as kv
from obkimg.tuya import extract_keys
from tests.conftest import ROOT, real_path
from tests.tuya.helpers import block, index_page, storage

#: modules ``tuya-keys`` needs no part of
NOT_FOR_TUYA_KEYS = (
    "construct",
    "obkimg._construct",
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
print(json.dumps({"modules": sorted(sys.modules), "schemas": sorted(kv._SCHEMAS) if kv else None}))
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


def test_tuya_keys_imports_no_construct_and_no_dump_analysis(tmp_path: Path) -> None:
    found = _run("tuya-keys", "--json", str(_demo_dump(tmp_path)))
    assert "obkimg.tuya_storage" in found["modules"] and "obkimg.tuya_pins" in found["modules"]  # it ran
    assert _unneeded(found["modules"]) == []
    assert found["schemas"] == []  # the storage was read without declaring a schema


@pytest.mark.parametrize(
    "parts",
    [
        ("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin"),
        ("bk7231t", "BK7231T_Tuya_A60_SmartBulb_RGBCWW_5ch_PWM_1000Hz.bin"),
    ],
)
def test_tuya_keys_on_real_bk7231_dumps_imports_no_construct(parts: tuple[str, str]) -> None:
    found = _run("tuya-keys", "--json", str(real_path(*parts)))
    assert "obkimg.tuya_storage" in found["modules"]
    assert _unneeded(found["modules"]) == []
    assert found["schemas"] == []


def test_info_reads_the_tuya_storage_without_declaring_its_schemas() -> None:
    """``info`` loads construct for the BK7231 formats, but its Tuya part reads the storage directly."""
    found = _run(
        "info", "--json", str(real_path("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin"))
    )
    assert "obkimg.tuya_storage" in found["modules"] and "construct" in found["modules"]
    assert found["schemas"] == []


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = kv._parse

    def counted(name: str, *args: Any, **kw: Any) -> Any:
        calls.append(name)
        return real(name, *args, **kw)

    monkeypatch.setattr(kv, "_parse", counted)
    return calls


def test_a_healthy_storage_is_read_without_one_schema_parse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls = _counting(monkeypatch)
    keys = extract_keys(_demo_dump(tmp_path))
    assert keys.values and keys.storage.live
    assert calls == []


def test_a_damaged_block_goes_through_the_schema(monkeypatch: pytest.MonkeyPatch) -> None:
    """The counter can see schema parses: a data block with a bad checksum is parsed by the schema (and
    reported), the healthy one next to it is not."""
    good = block(0, 1, {1: index_page("a", b"1", 0, 1, [(0, 2, 2)]), 2: b"1"}, {1})
    data = bytearray(storage([good, block(1, 1, {}, set())]))
    data[2 * kv.SECTOR_SIZE + 700] ^= 0xFF  # inside the second data block (after the key block)
    calls = _counting(monkeypatch)
    keys = extract_keys(bytes(data))
    assert keys.values == {"a": 1}
    assert calls and set(calls) == {"DATA_BLOCK"}
    assert any("skipped" in p.message for p in keys.problems)
    assert ts.DataBlock is kv.DataBlock
