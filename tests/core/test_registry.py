"""The typed format registry and the public types (issue 11): a ``Format`` protocol over lazily imported
modules, ``Literal`` severities and region states, and the types importable from ``obkimg``."""

from __future__ import annotations

import subprocess
import sys
from typing import get_args

import obkimg
from obkimg import errors, formats, model
from obkimg.detect import list_formats
from obkimg.formats import MAY_DETECT, MODULES, REGISTRY, Format, FormatEntry, FormatInfo, find_format
from tests.conftest import ROOT


def _as_format(f: Format) -> Format:  # mypy checks that a FormatEntry is a Format
    return f


def test_every_entry_is_a_format_of_its_module() -> None:
    assert tuple(e.name for e in REGISTRY) == MODULES and len(set(MODULES)) == len(MODULES)
    assert set(MAY_DETECT) <= set(MODULES)
    for entry in REGISTRY:
        fmt = _as_format(entry)
        assert isinstance(fmt.info, FormatInfo)
        assert fmt.info is entry.module.FORMAT
        full = entry.name if entry.name.startswith("obkimg.") else f"obkimg.formats.{entry.name}"
        assert entry.module.__name__ == entry.module_name == full
        assert find_format(fmt.info.id) == entry
        for alias in fmt.info.aliases:
            assert find_format(alias) == entry
    assert find_format("no-such-format") is None
    assert [i.id for i in list_formats()] == [e.info.id for e in REGISTRY]


def test_entries_import_nothing_until_used() -> None:
    code = (
        "import sys, obkimg\n"
        "from obkimg.formats import REGISTRY\n"
        "e = REGISTRY[-1]\n"
        "assert not any(m.startswith('obkimg.formats.') for m in sys.modules), sorted(sys.modules)\n"
        "e.may(b'CFG'); assert e.module_name not in sys.modules\n"
        "e.info; assert e.module_name in sys.modules\n"
    )
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr


def test_no_find_spec_scaffolding() -> None:
    for path in ("obkimg/formats/__init__.py", "obkimg/detect.py", "obkimg/cli/__init__.py"):
        assert "find_spec" not in (ROOT / path).read_text(), path


def test_severity_and_region_state_are_literals() -> None:
    assert get_args(errors.Severity) == ("error", "warning", "info") == errors.SEVERITIES
    assert get_args(model.RegionState) == ("valid", "bad-crc", "invalid", "erased", "unknown") == model.STATES


def test_types_importable_from_obkimg() -> None:
    assert obkimg.Image is model.Image and obkimg.Region is model.Region
    assert obkimg.Detection is formats.Detection and obkimg.Format is formats.Format
    assert obkimg.FormatInfo is FormatInfo and obkimg.Problem is errors.Problem
    assert obkimg.Severity is errors.Severity and obkimg.RegionState is model.RegionState
    assert obkimg.list_formats is list_formats
    assert all(hasattr(obkimg, name) for name in obkimg.__all__)
    assert isinstance(REGISTRY[0], FormatEntry)
