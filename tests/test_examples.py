"""Every script in examples/ runs on the shipped synthetic examples (no ../shared needed)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
QIO = EXAMPLES / "bk7231n_demo_qio.bin.gz"
DUMP = EXAMPLES / "bk7231n_demo_dump.bin.gz"


def run(*args: str) -> str:
    r = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout


def test_five_example_scripts_exist() -> None:
    assert len(sorted(EXAMPLES.glob("0[1-5]_*.py"))) == 5


def test_01_inspect_dump() -> None:
    out = run(str(EXAMPLES / "01_inspect_dump.py"), str(DUMP))
    assert out.startswith("bk7231-dump for BK7231N") and "all checks passed" in out
    assert "obk-config" in out and "tuya-kv" in out


def test_02_wifi_credentials() -> None:
    out = run(str(EXAMPLES / "02_wifi_credentials.py"), str(DUMP))
    # the demo's made-up credentials (base64 in storage, wfb64=1)
    assert "Wi-Fi SSID:     DemoNet" in out and "not-a-real-password" in out
    assert "GPIO6   relay" in out and "at 0x1ee000" in out


def test_03_qio_to_ua(tmp_path: Path) -> None:
    out = run(str(EXAMPLES / "03_qio_to_ua.py"), str(QIO), str(tmp_path / "ua.bin"))
    assert "bk7231-ua" in out and "valid" in out
    assert (tmp_path / "ua.bin").stat().st_size == 0x129F70 - 0x11000


def test_04_pack_bl602_ota(tmp_path: Path) -> None:
    import random

    fw = tmp_path / "fw.bin"
    fw.write_bytes(random.Random(4).randbytes(50_000))
    out = run(str(EXAMPLES / "04_pack_bl602_ota.py"), str(fw), str(tmp_path / "fw.xz.ota"))
    assert "unpacks back: True" in out
    assert (tmp_path / "fw.xz.ota").read_bytes()[:16] == b"BL60X_OTA_Ver1.0"


def test_05_recover_obk_config(tmp_path: Path) -> None:
    out = run(str(EXAMPLES / "05_recover_obk_config.py"), str(DUMP), str(tmp_path / "cfg.bin"))
    assert "config v5 at 0x1d1000 (raw), CRC valid (signed)" in out
    assert "IOR_Relay" in out
    assert (tmp_path / "cfg.bin").stat().st_size == 3584


@pytest.mark.parametrize("demo", [QIO, DUMP])
def test_readme_first_command_shape(demo: Path) -> None:
    out = run("-m", "obkimg", "info", str(demo))
    assert "chip:  BK7231N" in out and "bad-crc" not in out


@pytest.mark.parametrize("script", sorted(p.name for p in EXAMPLES.glob("0[1-5]_*.py")))
def test_every_example_runs_without_arguments(script: str) -> None:
    """A newcomer's first try: no arguments, the shipped example files, exit 0 and real output."""
    out = run(str(EXAMPLES / script))
    assert out.strip() and "Traceback" not in out, out
    assert "wrote" in out or "0x" in out or "Wi-Fi" in out, out
