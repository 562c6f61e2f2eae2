"""Files that hold secrets are created with mode 0600 (issue 10; issue 12: the extracted Tuya JSON,
the OBK config and config-region slices, configs from `obk-config new` and the other config writers)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from obkimg.fileio import write_atomic
from tests.conftest import ROOT
from tests.secrets.leaks import run

DEMO = ROOT / "examples" / "bk7231n_demo_dump.bin.gz"


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def umask022():  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_write_atomic_mode(tmp_path: Path, umask022: None) -> None:
    plain, secret = tmp_path / "plain.bin", tmp_path / "secret.json"
    write_atomic(plain, b"x")
    write_atomic(secret, b"{}", mode=0o600)
    assert (_mode(plain), _mode(secret)) == (0o644, 0o600)
    secret.chmod(0o644)
    write_atomic(secret, b"{}", force=True, mode=0o600)
    assert _mode(secret) == 0o600, "a replaced readable file becomes private too"
    write_atomic(plain, b"y", force=True)
    assert _mode(plain) == 0o644, "without mode, a replaced file keeps its mode"


def test_extract_writes_secret_files_0600(tmp_path: Path, umask022: None) -> None:
    out = tmp_path / "x"
    code, stdout, _ = run("extract", "--json", "-d", str(out), str(DEMO))
    assert code == 0
    files = {f["name"]: f for f in json.loads(stdout)["files"]}
    secret = {n for n, f in files.items() if f["region"] in ("tuya-kv", "obk-config")}
    assert {"tuya_storage.json", "obk_config.json", "obk_config.bin"} <= secret
    assert any(n.startswith("region_") for n in secret), "the config-region slices"
    modes = {n: _mode(out / n) for n in files}
    assert {modes[n] for n in secret} == {0o600}
    assert {modes[n] for n in files if n not in secret} == {0o644}, "other files follow the umask"
    assert _mode(out / "manifest.json") == 0o644


def test_obk_config_writers_0600(tmp_path: Path, umask022: None) -> None:
    new = tmp_path / "new.bin"
    assert run("obk-config", "new", "--from-tuya", str(DEMO), "-o", str(new))[0] == 0
    assert run("obk-config", "extract", str(DEMO), "-o", str(tmp_path / "cfg.bin"))[0] == 0
    assert run("obk-config", "set", str(new), "name=demo2", "-o", str(tmp_path / "set.bin"))[0] == 0
    qio = ROOT / "examples" / "bk7231n_demo_qio.bin.gz"
    assert run("obk-config", "write", str(qio), str(new), "-o", str(tmp_path / "qio_cfg.bin"))[0] == 0
    for name in ("new.bin", "cfg.bin", "set.bin", "qio_cfg.bin"):
        assert _mode(tmp_path / name) == 0o600, name
