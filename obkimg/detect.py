"""Answer "what is this file?": run every format's probe and open the input as its typed model."""

from __future__ import annotations

from .errors import DetectionError, ObkImgError
from .formats import REGISTRY, SURE, Detection, Format, FormatInfo, candidates, find_format
from .model import Image
from .source import SourceLike, load

__all__ = ["detect", "open_image", "list_formats"]


def _probe(data: bytes, *, stop_at: int | None = None) -> tuple[list[Detection], dict[str, Format]]:
    """Every detection of ``data``, best first, and the format of each by its ``module``; probing stops
    after a format answers with at least ``stop_at`` confidence."""
    found: list[Detection] = []
    formats: dict[str, Format] = {}
    for entry in candidates(data):
        formats[entry.module_name] = entry
        try:
            hit = entry.detect(data)
        except ObkImgError:
            hit = None
        if hit is None:
            continue
        hits = hit if isinstance(hit, list) else [hit]
        for h in hits:
            object.__setattr__(h, "module", entry.module_name)
            found.append(h)
        if stop_at is not None and any(h.confidence >= stop_at for h in hits):
            break
    found.sort(key=lambda d: -d.confidence)
    return found, formats


def detect(source: SourceLike) -> list[Detection]:
    """Ranked candidates (best first) with the evidence for each. Never raises on bad data."""
    return _probe(load(source).data)[0]


def open_image(source: SourceLike, *, kind: str | None = None) -> Image:
    """Detect ``source`` and return its typed model. ``kind`` forces a format id."""
    src = load(source)
    if kind is not None:
        fmt = find_format(kind)
        if fmt is None:
            raise DetectionError(f"unknown format {kind!r} (see `obkimg formats`)", fmt="detect")
        return fmt.load(src)
    # probe in order and stop at the first sure answer: formats after it are not even imported
    found, formats = _probe(src.data, stop_at=SURE)
    if not found:
        raise DetectionError(
            f"{src.name}: not a format obkimg knows ({len(src.data)} bytes"
            f"{', all 0xFF' if src.data and src.data.count(0xFF) == len(src.data) else ''})",
            fmt="detect",
        )
    return formats[found[0].module].load(src)


def list_formats() -> list[FormatInfo]:
    """Every supported format (``obkimg formats``), in probing order; imports every format module."""
    return [entry.info for entry in REGISTRY]
