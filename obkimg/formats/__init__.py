"""One module per on-flash format. Each module provides:

- schema constants (``UPPER_SNAKE`` construct structs) and a typed, frozen-dataclass model with
  ``parse()`` / ``build()``;
- ``FORMAT``: a :class:`FormatInfo` (id, name, family, references, limitations) for ``obkimg formats``;
- ``detect(data: bytes) -> Detection | None``: a cheap probe that never raises;
- ``load(source: Source) -> Image``: parse a whole input into its model (for :func:`obkimg.open`);
  or, where the model needs a workflow's analysis, ``FORMAT.loader`` names the workflow module that
  has it (:func:`loader_of` resolves either, importing the workflow only then).

``MODULES`` lists them in probing order. A name whose module does not exist (yet) is skipped, so
areas can land one at a time.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..model import Image
    from ..source import Source

__all__ = [
    "FormatInfo",
    "Detection",
    "MODULES",
    "MAY_DETECT",
    "modules",
    "iter_modules",
    "iter_candidates",
    "module_for",
    "loader_of",
    "SURE",
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
    #: the workflow module whose ``load(source)`` opens this format when the format module has no
    #: ``load`` of its own (its model needs an analysis, and formats never import workflows); see
    #: :func:`loader_of`
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

#: probing order: containers with strong magics first, whole dumps, then weak probes
MODULES = (
    "bk7231.ug",
    "bk7231.rbl",
    "bk7231.image",
    "bl602.ota",
    "bl602.bootheader",
    "bl602.partitions",
    "bl602.efuse",
    "bl602.dtb",
    "bl602.flash",
    "config.tuya_kv",
    "config.obk_config",
)


#: bl602_bootheader.BL602_MARKERS: bare BL602 code is recognised only with one of them in its first MiB
_BL602_MARKERS = (
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
    return len(data) >= 1024 and any(data.find(m, 0, 0x100000) != -1 for m in _BL602_MARKERS)


#: Cheap necessary conditions of each module's ``detect`` (its magics, sizes or entry words,
#: duplicated from the module and kept equal to it by tests/perf/test_imports.py): a module whose
#: condition is False cannot detect ``data``, so :func:`obkimg.detect` does not even import it. A
#: module without an entry is always probed.
MAY_DETECT: dict[str, Callable[[bytes], bool]] = {
    "bk7231.ug": lambda d: d[:4] == b"\x55\xaa\x55\xaa",
    "bk7231.rbl": lambda d: d[:4] == b"RBL\0" or d[-102:][:4] == b"RBL\0",
    "bl602.ota": lambda d: d[:16] == b"BL60X_OTA_Ver1.0" or d[:6] == b"\xfd7zXZ\x00",
    "bl602.bootheader": lambda d: d[:4] == b"BFNP" or _bl602_code_marker(d),
    "bl602.partitions": lambda d: d[:4] == b"BFPT",
    "bl602.efuse": lambda d: len(d) in (128, 4224),
    "bl602.dtb": lambda d: d[:4] == b"\xd0\x0d\xfe\xed",
    "bl602.flash": lambda d: d[0xE000:0xE004] == b"BFPT" or d[0xF000:0xF004] == b"BFPT",
    "config.tuya_kv": lambda d: len(d) >= 0x2000,
    "config.obk_config": lambda d: (
        d[:3] == b"CFG" or (len(d) <= 0x40000 and (b"mY0bcFg" in d or b"ObkCfg" in d))
    ),
}


def iter_candidates(data: bytes) -> Iterator[ModuleType]:
    """Like :func:`iter_modules`, skipping (and never importing) the modules whose ``MAY_DETECT``
    condition rules ``data`` out."""
    for name in MODULES:
        may = MAY_DETECT.get(name)
        if may is not None and not may(data):
            continue
        full = f"{__name__}.{name}"
        if importlib.util.find_spec(full) is None:
            continue
        yield importlib.import_module(full)


def iter_modules() -> Iterator[ModuleType]:
    """The format modules that exist in this installation, in probing order, imported one by one
    (a caller that stops early never pays for importing the rest)."""
    for name in MODULES:
        full = f"{__name__}.{name}"
        if importlib.util.find_spec(full) is None:
            continue
        yield importlib.import_module(full)


def modules() -> list[ModuleType]:
    """The format modules that exist in this installation, in probing order."""
    return list(iter_modules())


def module_for(kind: str) -> ModuleType | None:
    """The module whose FORMAT id (or alias) is ``kind``."""
    for mod in modules():
        info: FormatInfo = mod.FORMAT
        if kind == info.id or kind in info.aliases:
            return mod
    return None


def loader_of(mod: ModuleType) -> Callable[[Source], Image]:
    """The ``load(source)`` that opens ``mod``'s format: the module's own, else the one of the workflow
    module its ``FORMAT.loader`` names (imported now, lazily)."""
    own: Callable[[Source], Image] | None = getattr(mod, "load", None)
    if own is not None:
        return own
    info: FormatInfo = mod.FORMAT
    load: Callable[[Source], Image] = importlib.import_module(info.loader).load
    return load
