"""Start-up stays light: ``import obkimg`` and ``obkimg --help`` load none of construct, numpy,
cryptography or lzma (timings are measured by benchmarks/bench_startup.py, not asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = ("construct", "numpy", "cryptography", "lzma", "_lzma", "intelhex")

#: records, for every heavy module imported, the first module outside importlib that asked for it
PROBE = r"""
import builtins, json, sys
HEAVY = %r
importers = {}
_orig = builtins.__import__
def _hook(name, globals=None, locals=None, fromlist=(), level=0):
    top = name.split(".")[0]
    if top in HEAVY and top not in sys.modules and top not in importers:
        importers[top] = (globals or {}).get("__name__", "?")
    return _orig(name, globals, locals, fromlist, level)
builtins.__import__ = _hook
try:
    %s
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
print(json.dumps({"loaded": loaded, "importers": importers}), file=sys.stderr)
"""


def _probe(code: str, *args: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    p = subprocess.run(
        [sys.executable, "-c", PROBE % (HEAVY, code), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return json.loads(p.stderr.strip().splitlines()[-1])


def test_import_obkimg_is_light() -> None:
    r = _probe("import obkimg; obkimg.ObkImgError; obkimg.__version__")
    assert r["loaded"] == [], r


def test_help_is_light() -> None:
    r = _probe("import sys; sys.argv = ['obkimg', '--help']\n    from obkimg.cli import main; main()")
    loaded = r["loaded"]
    assert isinstance(loaded, list)
    heavy = {m for m in loaded if m.split(".")[0] in ("construct", "numpy", "cryptography", "intelhex")}
    assert not heavy, r
    # click's help formatter imports shutil, whose module body imports lzma (stdlib, not obkimg):
    # lzma may be loaded, but never on obkimg's request
    importers = r["importers"]
    assert isinstance(importers, dict)
    assert not any(str(v).startswith("obkimg") for v in importers.values()), importers


def test_subcommand_help_is_light() -> None:
    """Help of a command group loads the group's module, still without the heavy libraries."""
    r = _probe("import sys; sys.argv = ['obkimg', 'rbl', '--help']\n    from obkimg.cli import main; main()")
    importers = r["importers"]
    assert isinstance(importers, dict)
    assert not any(str(v).startswith("obkimg") for v in importers.values()), importers


def test_probe_sees_heavy_imports() -> None:
    """The probe itself works: decompressing XZ does load lzma, on obkimg's request."""
    r = _probe(
        "import obkimg\n    from obkimg.codecs.compress import xz_decompress\n"
        "    import contextlib\n    with contextlib.suppress(obkimg.ObkImgError): xz_decompress(b'x')"
    )
    importers = r["importers"]
    assert isinstance(importers, dict) and str(importers.get("lzma")).startswith("obkimg"), r
