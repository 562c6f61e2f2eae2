"""Answer "what is this file?": run every format's probe and open the input as its typed model."""

from __future__ import annotations

from .errors import DetectionError, ObkImgError
from .formats import Detection, module_for, modules
from .model import Image
from .source import Source, SourceLike, load

__all__ = ["detect", "open_image"]


def detect(source: SourceLike) -> list[Detection]:
    """Ranked candidates (best first) with the evidence for each. Never raises on bad data."""
    src = load(source)
    found: list[Detection] = []
    for mod in modules():
        try:
            hit = mod.detect(src.data)
        except ObkImgError:
            hit = None
        if hit is None:
            continue
        hits = hit if isinstance(hit, list) else [hit]
        for h in hits:
            object.__setattr__(h, "module", mod.__name__)
            found.append(h)
    found.sort(key=lambda d: -d.confidence)
    return found


def open_image(source: SourceLike, *, kind: str | None = None) -> Image:
    """Detect ``source`` and return its typed model. ``kind`` forces a format id."""
    src = load(source)
    if kind is not None:
        mod = module_for(kind)
        if mod is None:
            raise DetectionError(f"unknown format {kind!r} (see `obkimg formats`)", fmt="detect")
        return mod.load(src)
    candidates = detect(src)
    if not candidates:
        raise DetectionError(f"{src.name}: not a format obkimg knows ({len(src.data)} bytes"
                             f"{', all 0xFF' if src.data and src.data.count(0xFF) == len(src.data) else ''})",
                             fmt="detect")
    best = candidates[0]
    mod = next(m for m in modules() if m.__name__ == best.module)
    return mod.load(src)
