"""Release readiness: sdist and wheel build, `twine check` passes, and the wheel works in a fresh venv.

The fresh venv installs the wheel's dependencies from the package index, as a user's pip would.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "examples" / "bk7231n_demo_dump.bin.gz"


#: the environment of a user's shell: nothing points Python at this checkout
CLEAN_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}


def _run(*cmd: object, cwd: Path | None = None) -> str:
    r = subprocess.run(
        [str(c) for c in cmd], capture_output=True, text=True, cwd=cwd, timeout=600, env=CLEAN_ENV
    )
    assert r.returncode == 0, f"{cmd}\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}"
    return r.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", out, ROOT)
    return out


def test_build_makes_sdist_and_wheel_that_twine_accepts(dist: Path) -> None:
    wheels, sdists = list(dist.glob("*.whl")), list(dist.glob("*.tar.gz"))
    assert len(wheels) == 1 and len(sdists) == 1
    _run(sys.executable, "-m", "twine", "check", "--strict", *wheels, *sdists)


def test_wheel_ships_package_data(dist: Path) -> None:
    import zipfile

    names = zipfile.ZipFile(next(dist.glob("*.whl"))).namelist()
    assert "obkimg/py.typed" in names
    assert "obkimg/_schemas/info.v1.schema.json" in names
    assert "obkimg/_schemas/details/bk7231-dump.v1.schema.json" in names


def test_wheel_installs_into_a_fresh_venv_and_runs(dist: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    wheel = next(dist.glob("*.whl"))
    _run(py, "-m", "pip", "install", "-q", f"{wheel}[schemas]")
    text = _run(env_dir / "bin" / "obkimg", "info", DEMO)
    assert "kind:" in text and "BK7231N" in text
    # the installed schemas validate the installed CLI's JSON, with nothing from this checkout
    doc = _run(env_dir / "bin" / "obkimg", "info", "--json", DEMO)
    code = "import json,sys,obkimg.schemas as s; s.validate(json.loads(sys.stdin.read())); print(s.__file__)"
    r = subprocess.run(
        [py, "-c", code], input=doc, capture_output=True, text=True, cwd=tmp_path, timeout=120, env=CLEAN_ENV
    )
    assert r.returncode == 0, r.stderr
    assert str(env_dir) in r.stdout  # the installed copy, not this checkout
    assert json.loads(doc)["schema"] == "obkimg.info/1"
    version = wheel.name.split("-")[1]
    assert _run(env_dir / "bin" / "obkimg", "--version").strip() == f"obkimg, version {version}"
