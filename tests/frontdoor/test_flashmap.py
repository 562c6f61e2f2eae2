"""The flash map as a picture: header line, names inside the strip, problems marked, a palette that stays
distinct for colour-blind readers, an HTML report, and a real render in headless Chromium."""

from __future__ import annotations

import itertools
import math
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest

from obkimg.flashmap import ERASED_PATTERN, KIND_COLOURS, header_line, html_report, svg_map
from obkimg.model import Problem, Region

SVG = "{http://www.w3.org/2000/svg}"
TOTAL = 0x200000


def _regions() -> list[Region]:
    bad = Problem("error", "bad CRC", offset=0x20000)
    return [
        Region("bootloader", 0, 0x11000, "bootloader", "valid"),
        Region("app", 0x11000, 0x119000, "app", "bad-crc", problems=(bad,)),
        Region("download", 0x12A000, 0xA6000, "download", "erased"),
        Region("obk-config", 0x1D0000, 0x10000, "obk-config", "valid"),
        Region("tuya-kv <&>", 0x1E0000, 0x20000, "tuya-kv", "valid"),
    ]


def _svg(**kw: object) -> ET.Element:
    title = header_line("bk7231-dump", "BK7231N", TOTAL, "1 problem(s)")
    return ET.fromstring(svg_map(_regions(), TOTAL, title=title, **kw).encode())  # type: ignore[arg-type]


def test_header_line_names_kind_chip_size_and_verdict() -> None:
    assert header_line("bk7231-dump", None, TOTAL, "no problems found") == (
        "bk7231-dump · chip unknown · 2.00 MiB (0x200000 bytes) · no problems found"
    )
    root = _svg(notes=["rotated dump: file offset 0 holds flash address 0x11000"])
    header = next(t for t in root.iter(f"{SVG}text") if t.get("class") == "header")
    assert header.text == "bk7231-dump · BK7231N · 2.00 MiB (0x200000 bytes) · 1 problem(s)"
    notes = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "note"]
    assert notes == ["rotated dump: file offset 0 holds flash address 0x11000"]


def test_region_names_inside_the_strip_where_they_fit() -> None:
    labels = {t.text for t in _svg().iter(f"{SVG}text") if t.get("class") == "strip-label"}
    # app (0x119000 of 2 MiB = 540 px) and download fit whole, the 61 px tuya-kv is shortened, and the
    # 33 px bootloader and 30 px obk-config have no room for four characters
    assert labels == {"app", "download", "tuya-k…"}


def test_erased_space_is_hatched_and_problems_are_marked() -> None:
    root = _svg()
    rects = {r.get("data-kind"): r for r in root.iter(f"{SVG}rect") if r.get("class") == "region"}
    assert rects["download"].get("fill") == f"url(#{ERASED_PATTERN})"  # an empty slot is never a colour
    assert rects["app"].get("stroke-dasharray")  # the damaged region is outlined...
    assert len([p for p in root.iter(f"{SVG}path") if p.get("class") == "problem"]) == 1  # ...and marked
    assert rects["bootloader"].get("stroke-dasharray") is None


# Machado, Oliveira & Fernandes (2009) simulation matrices, severity 1.0, on linear RGB
CVD = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.01182, 0.04294, 0.968881),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.3039),
    ),
}


def _lab(hex_colour: str, matrix: tuple[tuple[float, ...], ...]) -> tuple[float, float, float]:
    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    rgb = [lin(int(hex_colour[i : i + 2], 16) / 255) for i in (1, 3, 5)]
    r, g, b = (min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True)))) for row in matrix)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


@pytest.mark.parametrize("vision", sorted(CVD))
def test_every_kind_colour_is_distinct_for_colour_blind_readers(vision: str) -> None:
    colours = sorted({c.upper() for k, c in KIND_COLOURS.items() if k != "erased"})
    assert len(colours) >= 12
    pairs = itertools.combinations(colours, 2)
    worst = min((math.dist(_lab(a, CVD[vision]), _lab(b, CVD[vision])), a, b) for a, b in pairs)
    assert worst[0] >= 12, f"{worst[1]} and {worst[2]} are {worst[0]:.1f} CIELAB units apart under {vision}"


def test_html_report_holds_the_map_and_the_tables() -> None:
    title = "bk7231-dump · BK7231N"
    notes, problems = ["note <1>"], ["app: bad CRC"]
    page = html_report(_regions(), TOTAL, title=title, notes=notes, problems=problems, lines=["x"])
    assert page.startswith("<!DOCTYPE html>") and "<svg" in page and "</html>" in page
    assert page.count("<tr") == 1 + len(_regions())
    assert "note &lt;1&gt;" in page and "app: bad CRC" in page and "tuya-kv &lt;&amp;&gt;" in page


# --- headless Chromium ------------------------------------------------------------------------------


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGB rows of an 8-bit RGB/RGBA non-interlaced PNG (what Chromium writes)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    height = colour_type = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        tag, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if tag == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour_type in (2, 6) and interlace == 0
        elif tag == b"IDAT":
            idat += body
        pos += 12 + length
    bpp = 4 if colour_type == 6 else 3
    raw, stride, rows, prev = zlib.decompress(idat), width * bpp, [], bytearray(width * bpp)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + b) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 0xFF
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        rows.append(bytes(v for i, v in enumerate(line) if i % bpp < 3))
        prev = line
    return width, height, rows


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if found is None:
        pytest.skip("no Chromium on this machine: `apt-get install chromium` (.ci/run installs it in CI)")
    return found


def test_map_renders_in_headless_chromium_with_labels_and_distinct_colours(tmp_path: Path) -> None:
    chromium = _chromium()
    svg = tmp_path / "map.svg"
    svg.write_text(svg_map(_regions(), TOTAL, title=header_line("bk7231-dump", "BK7231N", TOTAL, "ok")))
    png = tmp_path / "map.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={png}", "--window-size=1000,320",
         svg.as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    width, _, rows = _png_pixels(png.read_bytes())
    root = ET.fromstring(svg.read_bytes())
    strip = {r.get("data-kind"): r for r in root.iter(f"{SVG}rect") if r.get("class") == "region"}
    seen: dict[str, tuple[int, ...]] = {}
    for kind in ("app", "tuya-kv"):
        rect = strip[kind]
        x0, w, y0 = float(rect.get("x", 0)), float(rect.get("width", 0)), float(rect.get("y", 0))
        inside = rows[int(y0) + 6]  # a line of the strip above the label, inside the dashed outline
        px = tuple(inside[int(x0 + w / 2) * 3 : int(x0 + w / 2) * 3 + 3])
        want = tuple(int(KIND_COLOURS[kind][i : i + 2], 16) for i in (1, 3, 5))
        assert all(abs(a - b) <= 8 for a, b in zip(px, want, strict=True)), (kind, px, want)
        seen[kind] = px
        # the label: pixels in the middle line of the region that differ from its fill colour
        middle = rows[int(y0) + 28]
        span = range(int(x0 + 3), int(x0 + w - 3))
        ink = sum(1 for x in span if any(abs(middle[3 * x + i] - want[i]) > 60 for i in range(3)))
        assert ink >= 3, f"no label drawn inside the {kind} region"
    assert len(set(seen.values())) == len(seen)
    assert width == 1000


def test_info_writes_svg_and_html_with_header(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from obkimg.cli import cli

    demo = Path(__file__).resolve().parents[2] / "examples" / "bk7231n_demo_dump.bin.gz"
    svg, html = tmp_path / "map.svg", tmp_path / "report.html"
    r = CliRunner().invoke(cli, ["info", str(demo), "--svg", str(svg), "--html", str(html)])
    assert r.exit_code == 0, r.output
    header = next(t for t in ET.fromstring(svg.read_bytes()).iter(f"{SVG}text") if t.get("class") == "header")
    assert header.text == "bk7231-dump · BK7231N · 2.00 MiB (0x200000 bytes) · no problems found"
    page = html.read_text()
    assert "<svg" in page and "tuya-kv" in page and "not-a-real-password" not in page  # masked by default
