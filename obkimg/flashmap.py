"""Flash maps: a dump's regions drawn as text bars (for ``obkimg info``) or as an SVG picture.

Pure functions over :class:`obkimg.model.Region` lists: they return strings, the CLI prints or writes
them. Regions are drawn proportionally to their size within the whole file; tiny regions get at
least one cell so they stay visible.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import Region

__all__ = ["KIND_COLOURS", "STATE_COLOURS", "bar", "text_map", "svg_map"]


def escape(text: str) -> str:
    """XML-escape text and attribute values (xml.sax.saxutils costs 20 ms of imports)."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;"))

#: fill colour per region kind (SVG)
KIND_COLOURS = {
    "bootloader": "#8e44ad",
    "boot2": "#8e44ad",
    "rbl": "#d35400",
    "partition-table": "#16a085",
    "fal": "#16a085",
    "boot-header": "#2c3e50",
    "app": "#2980b9",
    "firmware": "#2980b9",
    "ota": "#27ae60",
    "download": "#27ae60",
    "rf": "#f39c12",
    "config": "#c0392b",
    "obk-config": "#c0392b",
    "tuya-kv": "#e67e22",
    "easyflash": "#e67e22",
    "dtb": "#7f8c8d",
    "littlefs": "#1abc9c",
    "data": "#95a5a6",
    "erased": "#ecf0f1",
    "unknown": "#bdc3c7",
}

#: terminal colour per state (click.style names)
STATE_COLOURS = {"valid": "green", "bad-crc": "red", "invalid": "red", "erased": "bright_black",
                 "unknown": "yellow"}


def bar(region: Region, total: int, width: int = 32) -> str:
    """A ``width``-cell bar with the region's span filled, e.g. ``'····████····'``."""
    if total <= 0:
        return "·" * width
    start = min(width - 1, region.offset * width // total)
    end = max(start + 1, min(width, -(-region.end * width // total)))
    fill = "░" if region.state == "erased" else "█"
    return "·" * start + fill * (end - start) + "·" * (width - end)


def text_map(regions: Sequence[Region], total: int, *, width: int = 32) -> list[tuple[Region, str]]:
    """(region, line) pairs: offset, size, name, state and a proportional bar."""
    out = []
    for r in regions:
        line = (f"{r.offset:#08x}  {r.size:#08x}  {bar(r, total, width)}  {r.name:<24} {r.state}")
        out.append((r, line))
    return out


def _label_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1048576:.2f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} B"


def svg_map(regions: Sequence[Region], total: int, *, title: str = "flash map", width: int = 1000) -> str:
    """An SVG document: a proportional strip coloured by region kind, then one labelled row per region."""
    strip_h, row_h, left = 48, 22, 10
    rows_top = 40 + strip_h + 30
    height = rows_top + row_h * (len(regions) + 1) + 20
    inner = width - 2 * left
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">',
        f"<title>{escape(title)}</title>",
        '<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{left}" y="24" font-size="16" font-weight="bold">{escape(title)} '
        f"({total:#x} bytes)</text>",
        f'<rect x="{left}" y="40" width="{inner}" height="{strip_h}" fill="#ecf0f1" stroke="#2c3e50"/>',
    ]
    scale = inner / total if total else 0
    for r in regions:
        x = left + r.offset * scale
        w = max(1.0, r.size * scale)
        colour = KIND_COLOURS.get(r.kind, KIND_COLOURS["unknown"])
        stroke = "#e74c3c" if r.state in ("bad-crc", "invalid") else "none"
        if r.state == "erased" and r.kind != "erased":  # an erased partition: its outline, not a fill
            colour, stroke = KIND_COLOURS["erased"], colour
        parts.append(
            f'<rect x="{x:.2f}" y="40" width="{w:.2f}" height="{strip_h}" fill="{colour}" stroke="{stroke}">'
            f"<title>{escape(r.name)} {r.offset:#x}+{r.size:#x} {escape(r.state)}</title></rect>")
    for i, mark in enumerate((0, total // 4, total // 2, 3 * total // 4, total)):
        x = left + mark * scale
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(f'<text x="{x:.2f}" y="{40 + strip_h + 16}" text-anchor="{anchor}" '
                     f'fill="#2c3e50">{mark:#x}</text>')
    y = rows_top
    columns = (left + 16, left + 110, left + 200, left + 340, left + 560)

    def row(cells: tuple[str, ...], y: int, extra: str = "", state_fill: str | None = None) -> str:
        out = [f'<text y="{y}"{extra}>']
        for i, (x, cell) in enumerate(zip(columns, cells)):
            fill = f' fill="{state_fill}"' if state_fill and i == len(cells) - 1 else ""
            out.append(f'<tspan x="{x}"{fill}>{escape(cell)}</tspan>')
        return "".join(out) + "</text>"

    parts.append(row(("offset", "size", "kind", "name", "state"), y, ' font-weight="bold"'))
    for r in regions:
        y += row_h
        colour = KIND_COLOURS.get(r.kind, KIND_COLOURS["unknown"])
        state_colour = {"valid": "#27ae60", "bad-crc": "#c0392b", "invalid": "#c0392b"}.get(r.state, "#7f8c8d")
        parts.append(f'<rect x="{left}" y="{y - 11}" width="10" height="12" fill="{colour}"/>')
        parts.append(row((f"{r.offset:#08x}", _label_size(r.size), r.kind, r.name, r.state), y,
                         state_fill=state_colour))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
