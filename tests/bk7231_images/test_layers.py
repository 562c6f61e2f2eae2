"""Where the BK7231 image code lives (issue 11): formats/ holds schema, model and detect; the analysis
is a workflow; the code-key classification exists once; ``bk crypt`` goes through a workflow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from obkimg import bkdump, containers
from obkimg.codecs import bkcipher
from obkimg.formats import loader_of
from obkimg.formats.bk7231 import image, layout, rbl
from tests.conftest import ROOT, fixture_path

#: workflow modules (obkimg/*.py) a format module must never import
WORKFLOWS = {p.stem for p in (ROOT / "obkimg").glob("*.py")} - {
    "__init__",
    "__main__",
    "errors",
    "model",
    "source",
    "_construct",
    "_record",
}
MINE = ("image.py", "layout.py", "parts.py")


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` blocks (type-only imports are allowed)."""
    out: list[ast.AST] = []
    todo = [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports at run time (``...`` levels resolved to ``obkimg``)."""
    out = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            mod = node.module or ""
            if node.level >= 3:  # from ... import x / from ...x import y: obkimg level
                out |= {f"obkimg.{mod}".rstrip(".") + (f".{a.name}" if not mod else "") for a in node.names}
            elif node.level == 0:
                out.add(mod)
        elif isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
    return out


@pytest.mark.parametrize("name", MINE)
def test_format_modules_import_no_workflow(name: str) -> None:
    mods = _imports(ROOT / "obkimg" / "formats" / "bk7231" / name)
    bad = {m for m in mods if m.startswith("obkimg.") and m.split(".")[1] in WORKFLOWS}
    assert bad == set(), bad
    assert "click" not in mods


def test_image_module_is_schema_model_detect_only() -> None:
    """No analysis left in the format module: the names that moved to the workflows are gone."""
    for gone in ("analyze", "load", "split_qio", "build_qio", "decrypt_app", "_analyze_flash", "_Map"):
        assert not hasattr(image, gone), gone
    assert callable(image.detect) and image.FORMAT.loader == "obkimg.bkdump"


def test_the_registry_loads_through_the_workflow() -> None:
    assert loader_of(image) is bkdump.load
    assert loader_of(rbl) is containers.load_rbl  # "module:function" names a workflow function


def test_key_classification_is_one_function() -> None:
    """containers.key_class and the image analysis answer from layout.classify_key, for every known key."""
    plain = fixture_path("bk7231", "app_raw.bin").read_bytes()[:64]
    for name, key in (("zero", bkcipher.KEY_ZERO), *layout.KNOWN_KEYS):
        enc = bkcipher.crypt(plain, key, 0x10000)
        assert layout.key_class_of(enc) == name
        assert containers.key_class(enc) == name  # was "unknown" for a UASCENT app before (second copy)
        assert bkdump.analyze(enc, kind="bk7231-app").app.key_class == name  # type: ignore[union-attr]
    assert layout.key_class_of(bytes(64)) == "unknown" and containers.key_class(bytes(64)) == "unknown"
    assert set(layout.KEY_CLASSES) >= {"zero", "tuya", "uascent", "unknown", "plain"}


def test_tuya_kv_search_block_is_the_tuya_kv_constant() -> None:
    from obkimg.bkmap import TUYA_KV_FF_BLOCK
    from obkimg.formats.config.tuya_kv import SEARCH_MAGIC

    assert TUYA_KV_FF_BLOCK == SEARCH_MAGIC


def test_bk_crypt_cli_goes_through_the_workflow() -> None:
    mods = _imports(ROOT / "obkimg" / "cli" / "bk.py")
    src = (ROOT / "obkimg" / "cli" / "bk.py").read_text()
    assert "codecs" not in src and "bkcrypt" in src, mods
    from obkimg.bkcrypt import crypt, key_text

    out, k = crypt(b"\x0e\x00\x00\xea\x14\xf0\x9f\xe5", "tuya", 0x10000)
    assert out == bytes.fromhex("2f07b59435ff2a9b") and key_text(k) == "510fb093 a3cbeadc 5993a17e c7adeb03"
    assert crypt(out, "tuya", 0x10000)[0] == b"\x0e\x00\x00\xea\x14\xf0\x9f\xe5"


def test_probe_pre_tests_use_the_container_constants() -> None:
    """The image probe rejects RBL and UG files by their magics: the same constants as their schemas."""
    from obkimg.formats.bk7231 import ug

    assert image.UG_MAGIC == ug.UG_MAGIC and image.RBL_MAGIC == rbl.RBL_MAGIC


def test_data_partitions_are_typed() -> None:
    """The data partitions of a dump are typed areas; ``details`` shows them as before."""
    from obkimg.formats.bk7231.parts import Area, DataPartitions, DownloadArea, RfArea

    parts = DataPartitions(download=DownloadArea(0x12A000, 0xA6000, "empty"), rf=RfArea(1, 2, None, "rf"))
    d = parts.to_dict()
    assert d["download"] == {"offset": 0x12A000, "size": 0xA6000, "summary": "empty"}
    assert d["rf"] == {"offset": 1, "length": 2, "mac": None, "summary": "rf"}
    assert d["tuya_kv"] is None and Area(1, 2, "x").to_dict() == {"offset": 1, "size": 2, "summary": "x"}
