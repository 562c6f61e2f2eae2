"""Flash maps: a dump's regions drawn as text bars (for ``obkimg info``) or as an SVG picture.

Pure functions over :class:`obkimg.model.Region` lists: they return strings, the CLI prints or writes
them. Regions are drawn proportionally to their size within the whole file; tiny regions get at
least one cell so they stay visible.
"""

from __future__ import annotations

from collections.abc import Sequence

from .model import Region, RegionState

__all__ = [
    "KIND_COLOURS",
    "STATE_COLOURS",
    "ERASED_PATTERN",
    "bar",
    "text_map",
    "svg_map",
    "header_line",
    "html_report",
]


def escape(text: str) -> str:
    """XML-escape text and attribute values (xml.sax.saxutils costs 20 ms of imports)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


#: fill colour per region kind (SVG). Paul Tol's colour-blind-safe "muted" set plus Okabe-Ito blue, orange
#: and vermillion: every two kinds stay at least 13 CIELAB units apart with normal vision and under
#: simulated protanopia, deuteranopia and tritanopia (Machado et al. 2009; tested). Erased space is not a
#: colour but a hatch (see ERASED_PATTERN), so an empty slot never looks like a full one.
KIND_COLOURS = {
    "bootloader": "#332288",
    "boot2": "#332288",
    "rbl": "#882255",
    "partition-table": "#44AA99",
    "fal": "#44AA99",
    "boot-header": "#999933",
    "app": "#0072B2",
    "firmware": "#0072B2",
    "ota": "#117733",
    "download": "#117733",
    "rf": "#DDCC77",
    "config": "#CC6677",
    "obk-config": "#CC6677",
    "tuya-kv": "#D55E00",
    "easyflash": "#D55E00",
    "dtb": "#E69F00",
    "littlefs": "#88CCEE",
    "data": "#303030",
    "erased": "#F4F4F4",
    "unknown": "#D8D8D8",
}

#: SVG pattern id that fills erased regions (light ground, grey diagonal hatch)
ERASED_PATTERN = "erased-hatch"

#: terminal colour per state (click.style names)
STATE_COLOURS: dict[RegionState, str] = {
    "valid": "green",
    "bad-crc": "red",
    "invalid": "red",
    "erased": "bright_black",
    "unknown": "yellow",
}


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
        line = f"{r.offset:#08x}  {r.size:#08x}  {bar(r, total, width)}  {r.name:<24} {r.state}"
        out.append((r, line))
    return out


def _label_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1048576:.2f} MiB"
    if n >= 1024:
        return f"{n / 1024:.1f} KiB"
    return f"{n} B"


def _ink(fill: str) -> str:
    """Black or white text, whichever reads better on ``fill`` (WCAG relative luminance)."""
    channels = [int(fill[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if luminance > 0.179 else "#ffffff"


def _fill(region: Region) -> str:
    if region.state == "erased" or region.kind == "erased":
        return f"url(#{ERASED_PATTERN})"
    return KIND_COLOURS.get(region.kind, KIND_COLOURS["unknown"])


def _damaged(region: Region) -> bool:
    return region.state in ("bad-crc", "invalid")


#: width of one character of the 12 px monospace font, in px (a little over the real 7.2 px)
CHAR_W = 7.4


def _strip_label(region: Region, width: float) -> str | None:
    """The region's name as it fits inside ``width`` px of the strip (shortened with …), or None."""
    room = int((width - 6) // CHAR_W)
    if room >= len(region.name):
        return region.name
    if room >= 4:
        return region.name[: room - 1] + "…"
    return None


def _svg_region(r: Region, x: float, w: float, top: float, h: int) -> list[str]:
    """One region on the strip: its rectangle, its name where it fits, a ``!`` marker when damaged."""
    fill = _fill(r)
    stroke = ' stroke="#000" stroke-width="3" stroke-dasharray="6 3"' if _damaged(r) else ""
    if r.state == "erased" and r.kind != "erased":  # an erased partition: hatched, outlined in its colour
        stroke = f' stroke="{KIND_COLOURS.get(r.kind, KIND_COLOURS["unknown"])}" stroke-width="2"'
    tip = f"{escape(r.name)} {r.offset:#x}+{r.size:#x} {escape(r.state)}"
    out = [
        f'<rect class="region" data-kind="{escape(r.kind)}" x="{x:.2f}" y="{top}" width="{w:.2f}" '
        f'height="{h}" fill="{fill}"{stroke}><title>{tip}</title></rect>'
    ]
    label = _strip_label(r, w)
    if label is not None:
        ink = "#000000" if fill.startswith("url(") else _ink(fill)
        out.append(
            f'<text class="strip-label" x="{x + w / 2:.2f}" y="{top + h / 2 + 4:.1f}" '
            f'text-anchor="middle" fill="{ink}">{escape(label)}</text>'
        )
    if _damaged(r):
        cx = x + w / 2
        triangle = f"M{cx - 7:.2f},{top - 3} L{cx + 7:.2f},{top - 3} L{cx:.2f},{top - 16} Z"
        out.append(
            f'<path class="problem" d="{triangle}" fill="#F0E442" stroke="#000"/>'
            f'<text x="{cx:.2f}" y="{top - 5}" text-anchor="middle" '
            'font-size="10" font-weight="bold" fill="#000">!</text>'
        )
    return out


def _svg_strip(
    regions: Sequence[Region], total: int, left: float, top: float, inner: float, h: int
) -> list[str]:
    """The proportional strip (erased ground, one rectangle per region) and its offset ticks."""
    ground = f'fill="url(#{ERASED_PATTERN})" stroke="#222"'
    parts = [f'<rect x="{left}" y="{top}" width="{inner}" height="{h}" {ground}/>']
    scale = inner / total if total else 0
    for r in regions:
        parts += _svg_region(r, left + r.offset * scale, max(1.0, r.size * scale), top, h)
    for i, mark in enumerate((0, total // 4, total // 2, 3 * total // 4, total)):
        x = left + mark * scale
        anchor = "start" if i == 0 else "end" if i == 4 else "middle"
        parts.append(f'<line x1="{x:.2f}" y1="{top + h}" x2="{x:.2f}" y2="{top + h + 5}" stroke="#222"/>')
        parts.append(
            f'<text x="{x:.2f}" y="{top + h + 18}" text-anchor="{anchor}" fill="#333" '
            f'font-size="11">{mark:#x}</text>'
        )
    return parts


def header_line(kind: str | None, chip: str | None, total: int, verdict: str | None) -> str:
    """``bk7231-dump · BK7231N · 2.00 MiB (0x200000 bytes) · all checks passed``."""
    cells = [kind or "unknown kind", chip or "chip unknown", f"{_label_size(total)} ({total:#x} bytes)"]
    if verdict:
        cells.append(verdict)
    return " · ".join(cells)


def svg_map(
    regions: Sequence[Region],
    total: int,
    *,
    title: str = "flash map",
    width: int = 1000,
    notes: Sequence[str] = (),
) -> str:
    """An SVG document: a header line, a proportional strip with region names inside wherever they fit,
    problems marked above the strip, offset ticks, then one row per region with its swatch.

    ``title`` is the header line (see :func:`header_line`); ``notes`` are extra lines under it, e.g. that a
    dump is rotated. Erased space is hatched; damaged regions get a dashed outline and a ``!`` marker.
    """
    strip_h, row_h, left = 56, 22, 10
    strip_top = 44 + 18 * len(notes) + 20
    rows_top = strip_top + strip_h + 52
    height = rows_top + row_h * (len(regions) + 1) + 20
    inner = width - 2 * left
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="monospace" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<defs><pattern id="{ERASED_PATTERN}" width="8" height="8" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="8" height="8" fill="{KIND_COLOURS["erased"]}"/>'
        '<line x1="0" y1="0" x2="0" y2="8" stroke="#A0A0A0" stroke-width="2"/></pattern></defs>',
        '<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>',
        f'<text class="header" x="{left}" y="26" font-size="16" font-weight="bold">{escape(title)}</text>',
    ]
    for i, note in enumerate(notes):
        parts.append(
            f'<text class="note" x="{left}" y="{48 + 18 * i}" font-style="italic">{escape(note)}</text>'
        )
    parts += _svg_strip(regions, total, left, strip_top, inner, strip_h)
    columns = (left + 22, left + 110, left + 200, left + 340, left + 580)

    def row(cells: tuple[str, ...], y: int, extra: str = "", state_fill: str | None = None) -> str:
        out = [f'<text y="{y}"{extra}>']
        for i, (x, cell) in enumerate(zip(columns, cells, strict=False)):
            fill = f' fill="{state_fill}"' if state_fill and i == len(cells) - 1 else ""
            out.append(f'<tspan x="{x}"{fill}>{escape(cell)}</tspan>')
        return "".join(out) + "</text>"

    y = rows_top
    parts.append(row(("offset", "size", "kind", "name", "state"), y, ' font-weight="bold"'))
    for r in regions:
        y += row_h
        state_colour = "#B03A00" if _damaged(r) else {"valid": "#117733"}.get(r.state, "#555555")
        parts.append(
            f'<rect x="{left}" y="{y - 12}" width="14" height="14" fill="{_fill(r)}" stroke="#222"/>'
        )
        state = f"{r.state} !" if _damaged(r) else r.state
        parts.append(
            row((f"{r.offset:#08x}", _label_size(r.size), r.kind, r.name, state), y, state_fill=state_colour)
        )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def html_report(
    regions: Sequence[Region],
    total: int,
    *,
    title: str,
    notes: Sequence[str] = (),
    problems: Sequence[str] = (),
    lines: Sequence[str] = (),
) -> str:
    """A self-contained HTML page: the header, the SVG map, a table of regions and the problems.

    ``lines`` are the summary lines ``obkimg info`` prints (already masked by the caller).
    """
    svg = svg_map(regions, total, title=title, notes=notes).split("\n", 1)[1]  # drop the XML declaration
    rows = "".join(
        f'<tr class="{"damaged" if _damaged(r) else r.state}"><td>{r.offset:#08x}</td><td>{r.size:#x}</td>'
        f"<td>{escape(_label_size(r.size))}</td><td>{escape(r.kind)}</td><td>{escape(r.name)}</td>"
        f"<td>{escape(r.state)}</td><td>{'<br>'.join(escape(str(p)) for p in r.problems)}</td></tr>"
        for r in regions
    )
    notes_html = "".join(f"<p><em>{escape(n)}</em></p>" for n in notes)
    summary = "".join(f"<li>{escape(line.strip())}</li>" for line in lines)
    problem_html = "".join(f"<li>{escape(p)}</li>" for p in problems) or "<li>none</li>"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1.5em;color:#111}"
        "table{border-collapse:collapse;font-family:monospace}td,th{border:1px solid #bbb;padding:2px 8px;"
        "text-align:left}tr.damaged td{background:#fde3d6}tr.erased td{color:#666}"
        f"</style></head><body><h1>{escape(title)}</h1>{notes_html}{svg}"
        "<h2>Regions</h2><table><tr><th>offset</th><th>size</th><th></th><th>kind</th><th>name</th>"
        f"<th>state</th><th>problems</th></tr>{rows}</table>"
        f"<h2>Summary</h2><ul>{summary}</ul><h2>Problems</h2><ul>{problem_html}</ul></body></html>\n"
    )
