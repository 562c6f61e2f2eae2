"""obkimg.containers: the workflows behind `obkimg rbl` / `obkimg ug`, one RBL check function behind
strict parsing, verify() and open(), and the import direction (cli -> workflow -> formats)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import obkimg
from obkimg import containers
from obkimg.errors import ObkImgError
from obkimg.formats.bk7231 import rbl
from tests.conftest import fixture_path

ROOT = Path(obkimg.__file__).parent
APP = bytes(range(256)) * 40


def _imports(path: Path, *, top_level_only: bool) -> list[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    out: list[str] = []
    for n in nodes:
        if isinstance(n, ast.ImportFrom):
            out.append("." * n.level + (n.module or ""))
        elif isinstance(n, ast.Import):
            out += [a.name for a in n.names]
    return out


def test_rbl_workflows_round_trip() -> None:
    packed = containers.rbl_pack(APP, version="1.2.3", timestamp=0)
    assert packed == rbl.pack(APP, version="1.2.3", timestamp=0)  # default key and IV
    assert containers.rbl_unpack(packed) == APP
    assert containers.rbl_unpack(packed, key=rbl.DEFAULT_AES_KEY, iv=rbl.DEFAULT_AES_IV) == APP
    shown = containers.rbl_show(packed)
    assert shown["variant"] == "ota" and shown["version"] == "1.2.3" and shown["crc_valid"] is True
    part = fixture_path("bk7231", "lt_app_container_0xC000.bin").read_bytes()
    assert containers.rbl_show(part)["variant"] == "flash"
    with pytest.raises(ObkImgError):
        containers.rbl_show(b"not an rbl" * 20)


def test_ug_workflows_round_trip() -> None:
    packed = containers.rbl_pack(APP, version="1.2.3", timestamp=0)
    wrapped = containers.ug_wrap(packed, "1.2.3")
    assert containers.ug_unwrap(wrapped) == (packed, None)
    assert containers.ug_unwrap(wrapped, app=True) == (packed, APP)


def _corrupt(kind: str) -> bytes:
    raw = bytearray(rbl.pack(APP, version="1.0", timestamp=0, encryption="none"))
    if kind == "payload":
        raw[200] ^= 1
        return bytes(raw)
    h = rbl.RblHeader.parse(bytes(raw[:96]))
    if kind == "hash":
        h = h.replace(hash=h.hash ^ 1)
    elif kind == "size":
        h = h.replace(size_raw=h.size_raw + 1)
    raw[:96] = h.build()
    if kind == "header":
        raw[0x5C] ^= 1
    return bytes(raw)


@pytest.mark.parametrize(
    "kind,path", [("header", "info_crc32"), ("payload", "crc32"), ("hash", "hash"), ("size", "size_raw")]
)
def test_one_rbl_check_strict_raises_lenient_reports(kind: str, path: str) -> None:
    data = _corrupt(kind)
    with pytest.raises(ObkImgError) as e:
        rbl.unpack(data) if kind in ("hash", "size") else rbl.RblFile.parse(data)
    assert e.value.path == path
    expected = (e.value.message, e.value.offset)
    f = rbl.RblFile.parse(data, strict=False)
    assert expected in {(p.message, p.offset) for p in f.verify()}
    img = obkimg.open(data)
    assert isinstance(img, containers.RblImage)
    assert expected in {(p.message, p.offset) for p in img.verify()}


def test_cli_calls_only_workflows() -> None:
    for name in ("rbl.py", "ug.py"):
        found = _imports(ROOT / "cli" / name, top_level_only=False)
        assert not [m for m in found if "formats" in m or "codecs" in m], (name, found)
        assert "..containers" in found


@pytest.mark.parametrize("name", ["rbl.py", "rbl_header.py", "ug.py", "fal.py"])
def test_formats_do_not_import_workflows(name: str) -> None:
    path = ROOT / "formats" / "bk7231" / name
    top = _imports(path, top_level_only=True)
    assert not [m for m in top if m.lstrip(".") in ("chipid", "containers", "detect", "tuya", "obk")], top
    # the open() model is reached at call time only, from load(); chip evidence is the workflow's
    assert "chipid" not in path.read_text()
    assert [m for m in _imports(path, top_level_only=False) if "containers" in m] in ([], ["...containers"])
