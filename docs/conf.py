"""Sphinx configuration: the reference is generated from obkimg's docstrings, its CLI and its format registry.

Build: ``pip install ".[docs]" && python -m sphinx -W --keep-going -b html docs docs/_build/html``.
The API pages (``docs/api/``) and the format page (``docs/formats.md``) are written at build time from the
installed package, so they cannot fall behind the code.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import obkimg  # noqa: E402

project = "obkimg"
author = "obkimg contributors"
copyright = "obkimg contributors"  # noqa: A001
release = version = obkimg.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "myst_parser",
    "sphinx_click",
]
source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build"]
myst_heading_anchors = 3
# ignore-module-all: a module's page documents what the module defines, not the names it re-exports from
# another module (those have their own page; listing them twice makes every reference to them ambiguous)
autodoc_default_options = {
    "members": True,
    "show-inheritance": True,
    "member-order": "bysource",
    "ignore-module-all": True,
}
autodoc_typehints = "description"
autodoc_member_order = "bysource"
nitpicky = False
suppress_warnings = ["myst.xref_missing"]
html_theme = "alabaster"
html_title = f"obkimg {release}"


def _public_modules() -> list[str]:
    """Every module of the package except the CLI (documented by sphinx-click) and private ones."""
    names = ["obkimg"]
    for info in pkgutil.walk_packages(obkimg.__path__, "obkimg."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts[1:]) or parts[1] == "cli":
            continue
        names.append(info.name)
    return sorted(names)


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text() != text:
        path.write_text(text)


def _write_api_pages() -> None:
    api = HERE / "api"
    api.mkdir(exist_ok=True)
    modules = _public_modules()
    for name in modules:
        importlib.import_module(name)
        title = f"``{name}``"
        # the package re-exports names documented on their own modules' pages (obkimg.detect is both a
        # function and a module): its page is not indexed, so each object has one target
        extra = "   :no-index:\n" if name == "obkimg" else ""
        _write_if_changed(
            api / f"{name}.rst",
            f"{title}\n{'=' * len(title)}\n\n.. automodule:: {name}\n"
            f"   :members:\n   :show-inheritance:\n{extra}",
        )
    for stale in api.glob("*.rst"):
        if stale.stem not in modules and stale.name != "index.rst":
            stale.unlink()
    toc = "\n".join(f"   {n}" for n in modules)
    _write_if_changed(
        api / "index.rst",
        "Python API\n==========\n\nEvery public module, generated from its docstrings. "
        "What semantic versioning covers is in :doc:`../stability`.\n\n"
        f".. toctree::\n   :maxdepth: 1\n\n{toc}\n",
    )


def _write_formats_page() -> None:
    from obkimg.formats import modules

    infos = [m.FORMAT.to_dict() for m in modules()]
    lines = [
        "# Formats",
        "",
        "What `obkimg formats` knows: every format obkimg detects, parses and builds, with its sources.",
        "Generated from the format registry at build time.",
        "",
    ]
    for fmt in infos:
        lines += [f"## `{fmt['id']}`: {fmt['name']}", "", str(fmt.get("description", "")).strip(), ""]
        lines += [f"- family: {fmt['family']}"]
        if fmt.get("aliases"):
            lines.append(f"- also known as: {', '.join(map(str, fmt['aliases']))}")  # type: ignore[call-overload]
        lines += [f"- source: {ref}" for ref in fmt.get("references", [])]  # type: ignore[union-attr]
        lines += [f"- limitation: {lim}" for lim in fmt.get("limitations", [])]  # type: ignore[union-attr]
        lines.append("")
    _write_if_changed(HERE / "formats.md", "\n".join(lines))


_write_api_pages()
_write_formats_page()


def _escape_rst_stars(app: object, ctx: object, lines: list[str]) -> None:
    """CLI help is plain text for a terminal: a masked value written ``***`` would start RST emphasis."""
    lines[:] = [line.replace("***", r"\*\*\*") for line in lines]


def setup(app: object) -> None:
    for event in ("sphinx-click-process-description", "sphinx-click-process-options"):
        app.connect(event, _escape_rst_stars)  # type: ignore[attr-defined]
