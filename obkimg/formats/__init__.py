"""One module per on-flash format, and the typed registry that finds them.

Each format module provides:

- schema constants (``UPPER_SNAKE`` construct structs) and a typed, frozen-dataclass model with
  ``parse()`` / ``build()``;
- ``FORMAT``: a :class:`FormatInfo` (id, name, family, references, limitations) for ``obkimg formats``;
- ``detect(data: bytes) -> Detection | list[Detection] | None``: a cheap probe that never raises;
- ``load(source: Source) -> Image``: parse a whole input into its model (for :func:`obkimg.open`).
  Where the model needs a workflow's analysis, ``FORMAT.loader`` names the workflow module whose
  ``load`` opens it instead (:func:`loader_of` resolves either, importing the workflow only then).

:data:`REGISTRY` lists them in probing order as :class:`FormatEntry` records: the module path and the
cheap necessary condition of its ``detect``. An entry is a :class:`Format` (``info``, ``detect``,
``load``) that imports its module only when one of those is used, so a BK7231 dump never imports the
BL602 modules.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import field
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

from .._record import dataclass

if TYPE_CHECKING:
    from ..model import Image
    from ..source import Source

__all__ = [
    "BL602_MARKERS",
    "Format",
    "FormatEntry",
    "FormatInfo",
    "Detection",
    "REGISTRY",
    "MODULES",
    "MAY_DETECT",
    "SURE",
    "candidates",
    "find_format",
    "modules",
    "iter_modules",
    "loader_of",
]


@dataclass(frozen=True, slots=True)
class FormatInfo:
    """What ``obkimg formats`` shows for one format (after unblob's HandlerDoc)."""

    id: str
    name: str
    family: str
    description: str
    references: tuple[str, ...] = ()
    limitations: tuple[str, ...] = ()
    #: other format ids the same module detects/loads (e.g. bk7231-ua next to bk7231-qio)
    aliases: tuple[str, ...] = ()
    #: the workflow that opens this format when the format module has no ``load`` of its own (its
    #: ``open()`` model needs an analysis, and formats never import workflows): ``"module"`` (its
    #: ``load``) or ``"module:function"``; see :func:`loader_of`
    loader: str = ""

    def to_dict(self) -> dict[str, object]:
        """The format as JSON-ready data (an entry of ``obkimg formats --json``); tuples become lists."""
        return {
            "id": self.id,
            "name": self.name,
            "family": self.family,
            "description": self.description,
            "references": list(self.references),
            "limitations": list(self.limitations),
            "aliases": list(self.aliases),
        }


@dataclass(frozen=True, slots=True)
class Detection:
    """One candidate answer to "what is this file?"."""

    kind: str
    #: 0..100
    confidence: int
    reason: str
    chip: str | None = None
    offset: int = 0
    length: int | None = None
    #: module that loads it (filled by obkimg.detect)
    module: str = field(default="", compare=False)

    def to_dict(self) -> dict[str, object]:
        """The detection as JSON-ready data: ``kind``, ``confidence``, ``reason``, ``chip``, ``offset`` and
        ``length`` (bytes); ``module`` is left out."""
        return {
            "kind": self.kind,
            "confidence": self.confidence,
            "reason": self.reason,
            "chip": self.chip,
            "offset": self.offset,
            "length": self.length,
        }


#: a detection this confident ends :func:`obkimg.open`'s probing (``obkimg.detect`` still runs them all)
SURE = 90


class Format(Protocol):
    """What the registry offers for one format: its description, its probe and its loader."""

    @property
    def info(self) -> FormatInfo:
        """The format's id, name, family, references and limitations."""
        ...

    def detect(self, data: bytes) -> Detection | list[Detection] | None:
        """The format's answer for ``data`` (one or several candidates, or None); never raises."""
        ...

    def load(self, source: Source) -> Image:
        """``source`` parsed into the format's typed model."""
        ...


#: strings found in BL602 application / loader code of the SDK: bare BL602 code is recognised only with
#: one of them in its first MiB (the registry's pre-test and :mod:`.bl602.bootheader` share this tuple)
BL602_MARKERS = (
    b"bl602",
    b"BL602",
    b"BL60X",
    b"BLSP",
    b"bflb",
    b"BFLB",
    b"Bouffalo",
    b"bl_iot_sdk",
    b"Boot2",
)


def _bl602_code_marker(data: bytes) -> bool:
    # looks_like_bl602_code's stable half (its entry-word test may grow): an SDK string in the first MiB
    return len(data) >= 1024 and any(data.find(m, 0, 0x100000) != -1 for m in BL602_MARKERS)


@dataclass(frozen=True, slots=True)
class FormatEntry:
    """One format module of the registry, imported on first use (a :class:`Format`).

    ``may_detect`` is a cheap necessary condition of the module's ``detect`` (its magics, sizes or
    entry words, kept equal to the module's by tests/perf/test_imports.py): when it is False the module
    cannot detect the data, so it is not even imported. ``None`` means always probe.
    """

    #: the module path below ``obkimg.formats`` (``"bk7231.rbl"``), or a full ``obkimg.`` path for a
    #: file kind whose detection is a search (``"obkimg.tuya"``)
    name: str
    may_detect: Callable[[bytes], bool] | None = field(default=None, compare=False)

    @property
    def module_name(self) -> str:
        """The module's full name (``obkimg.formats.bk7231.rbl``)."""
        return self.name if self.name.startswith("obkimg.") else f"{__name__}.{self.name}"

    @property
    def module(self) -> ModuleType:
        """The format module, imported now if it was not yet."""
        return importlib.import_module(self.module_name)

    @property
    def info(self) -> FormatInfo:
        """The module's :data:`FORMAT`."""
        info: FormatInfo = self.module.FORMAT
        return info

    def may(self, data: bytes) -> bool:
        """False when ``detect`` certainly finds nothing in ``data`` (checked without importing)."""
        return self.may_detect is None or self.may_detect(data)

    def detect(self, data: bytes) -> Detection | list[Detection] | None:
        """The module's ``detect(data)``."""
        hit: Detection | list[Detection] | None = self.module.detect(data)
        return hit

    def load(self, source: Source) -> Image:
        """The format's ``load(source)``: the module's own, or its ``FORMAT.loader`` workflow's."""
        return loader_of(self.module)(source)


#: probing order: containers with strong magics first, whole dumps, then weak probes
REGISTRY: tuple[FormatEntry, ...] = (
    FormatEntry("bk7231.ug", lambda d: d[:4] == b"\x55\xaa\x55\xaa"),
    FormatEntry("bk7231.rbl", lambda d: d[:4] == b"RBL\0" or d[-102:][:4] == b"RBL\0"),
    FormatEntry("bk7231.image"),
    FormatEntry("bl602.ota", lambda d: d[:16] == b"BL60X_OTA_Ver1.0" or d[:6] == b"\xfd7zXZ\x00"),
    FormatEntry("bl602.bootheader", lambda d: d[:4] == b"BFNP" or _bl602_code_marker(d)),
    FormatEntry("bl602.partitions", lambda d: d[:4] == b"BFPT"),
    FormatEntry("bl602.efuse", lambda d: len(d) in (128, 4224)),
    FormatEntry("bl602.dtb", lambda d: d[:4] == b"\xd0\x0d\xfe\xed"),
    FormatEntry("bl602.flash", lambda d: d[0xE000:0xE004] == b"BFPT" or d[0xF000:0xF004] == b"BFPT"),
    # the Tuya KV storage sits anywhere in a dump: finding it is a search, so its Format is the
    # workflow module obkimg.tuya (the one entry named by its full path)
    FormatEntry("obkimg.tuya", lambda d: len(d) >= 0x2000),
    FormatEntry(
        "config.obk_config",
        lambda d: d[:3] == b"CFG" or (len(d) <= 0x40000 and (b"mY0bcFg" in d or b"ObkCfg" in d)),
    ),
)

#: the module paths of :data:`REGISTRY`, in probing order
MODULES: tuple[str, ...] = tuple(e.name for e in REGISTRY)

#: each module's cheap necessary condition (see :class:`FormatEntry`), by module path
MAY_DETECT: dict[str, Callable[[bytes], bool]] = {
    e.name: e.may_detect for e in REGISTRY if e.may_detect is not None
}


def candidates(data: bytes) -> Iterator[FormatEntry]:
    """The entries that may detect ``data``, in probing order; the others are never imported."""
    return (e for e in REGISTRY if e.may(data))


def find_format(kind: str) -> FormatEntry | None:
    """The entry whose format id (or alias) is ``kind``, importing modules in order until it is found."""
    for entry in REGISTRY:
        info = entry.info
        if kind == info.id or kind in info.aliases:
            return entry
    return None


def iter_modules() -> Iterator[ModuleType]:
    """The format modules in probing order, imported one by one (a caller that stops early never pays
    for importing the rest)."""
    return (e.module for e in REGISTRY)


def modules() -> list[ModuleType]:
    """The format modules, in probing order."""
    return list(iter_modules())


def loader_of(mod: ModuleType) -> Callable[[Source], Image]:
    """The ``load(source)`` that opens ``mod``'s format: the module's own, else the workflow function its
    ``FORMAT.loader`` names (``"module"`` for its ``load``, or ``"module:function"``; imported now)."""
    own: Callable[[Source], Image] | None = getattr(mod, "load", None)
    if own is not None:
        return own
    info: FormatInfo = mod.FORMAT
    module, _, func = info.loader.partition(":")
    load: Callable[[Source], Image] = getattr(importlib.import_module(module), func or "load")
    return load
