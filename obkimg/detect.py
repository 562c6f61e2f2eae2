"""Answer "what is this file?": run every format's probe and open the input as its typed model."""

from __future__ import annotations

from types import ModuleType

from .errors import DetectionError, ObkImgError
from .formats import SURE, Detection, iter_candidates, loader_of, module_for
from .model import Image
from .source import SourceLike, load

__all__ = ["detect", "open_image"]


def _probe(data: bytes, *, stop_at: int | None = None) -> tuple[list[Detection], dict[str, ModuleType]]:
    found: list[Detection] = []
    mods: dict[str, ModuleType] = {}
    for mod in iter_candidates(data):
        mods[mod.__name__] = mod
        try:
            hit = mod.detect(data)
        except ObkImgError:
            hit = None
        if hit is None:
            continue
        hits = hit if isinstance(hit, list) else [hit]
        for h in hits:
            object.__setattr__(h, "module", mod.__name__)
            found.append(h)
        if stop_at is not None and any(h.confidence >= stop_at for h in hits):
            break
    found.sort(key=lambda d: -d.confidence)
    return found, mods


def detect(source: SourceLike) -> list[Detection]:
    """Ranked candidates (best first) with the evidence for each. Never raises on bad data."""
    return _probe(load(source).data)[0]


def open_image(source: SourceLike, *, kind: str | None = None) -> Image:
    """Detect ``source`` and return its typed model. ``kind`` forces a format id."""
    src = load(source)
    if kind is not None:
        mod = module_for(kind)
        if mod is None:
            raise DetectionError(f"unknown format {kind!r} (see `obkimg formats`)", fmt="detect")
        return loader_of(mod)(src)
    # probe in order and stop at the first sure answer: formats after it are not even imported
    candidates, mods = _probe(src.data, stop_at=SURE)
    if not candidates:
        raise DetectionError(
            f"{src.name}: not a format obkimg knows ({len(src.data)} bytes"
            f"{', all 0xFF' if src.data and src.data.count(0xFF) == len(src.data) else ''})",
            fmt="detect",
        )
    return loader_of(mods[candidates[0].module])(src)
