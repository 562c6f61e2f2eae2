"""``obkimg info``, ``obkimg verify``, ``obkimg detect``."""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from ..text import escape_text
from ._common import (
    cli_state,
    emit_json,
    fmt_size,
    input_argument,
    json_option,
    mark_stdout_output,
    read_input,
    write_output,
)
from ._safe_text import unescaped
from ._secrets import SECRET_MODE, policed, secrets_option


def _open(path: str, kind: str | None) -> Any:
    import obkimg

    return obkimg.open(read_input(path), kind=kind)


def _open_with_configs(path: str, kind: str | None) -> tuple[Any, Any]:
    from ..configs import find_configs
    from ..detect import open_image
    from ..source import load

    src = load(read_input(path))
    img = open_image(src, kind=kind)
    return img, find_configs(src.data, img)


def _summary_lines(title: str, summary: dict[str, Any] | None) -> list[str]:
    if not summary:
        return []
    parts = [
        f"{k}={v:#x}" if k.endswith("offset") and isinstance(v, int) else f"{k}={v}"
        for k, v in summary.items()
        if v not in (None, "", [], {}) and not isinstance(v, (dict, list))
    ]
    return [f"{title}: " + ", ".join(parts)]


def _detail_line(detail: dict[str, Any] | None) -> str:
    if not detail:
        return ""
    parts = []
    for k, v in detail.items():
        if isinstance(v, (dict, list)) or v is None:
            continue
        parts.append(f"{k}={v}")
        if len(parts) >= 4:
            break
    return " ".join(parts)


def render_map(img: Any, regions: list[Any], *, colour: bool) -> list[str]:
    """The flash map: one line per region with offset, size, bar, name, state, and key details."""
    from ..flashmap import STATE_COLOURS, text_map

    lines = []
    for r, line in text_map(regions, img.size):
        extra = _detail_line(r.detail)
        text = f"  {line:<86} {extra}".rstrip() if extra else f"  {line}"
        if colour:  # written unescaped by `info`: escape the input-derived text here, then colour it
            text = click.style(escape_text(text), fg=STATE_COLOURS.get(r.state))
        lines.append(text)
        lines += [f"      {escape_text(p)}" for p in r.problems[:8]]
        if len(r.problems) > 8:
            lines.append(f"      ... {len(r.problems) - 8} more")
    return lines


def _kind_option(f: Any) -> Any:
    return click.option(
        "--kind", metavar="FORMAT", help="Force the format id instead of detecting it (see `obkimg formats`)."
    )(f)


def _write_pictures(
    img: Any,
    regions: Any,
    configs: Any,
    file: str,
    svg_path: str | None,
    html_path: str | None,
    show_secrets: bool,
    force: bool,
) -> None:
    """The --svg flash map and the --html report, with the header line (kind, chip, size, verdict)."""
    from ..flashmap import header_line, html_report, svg_map

    problems = [str(p) for p in list(img.problems()) + configs.problems]
    verdict = f"{len(problems)} problem(s)" if problems else "no problems found"
    title = header_line(img.kind, img.chip, img.size, verdict)
    rotation = img.rotation
    notes = []
    if rotation:
        notes.append(
            f"rotated dump: file offset 0 holds flash address {rotation:#x} (read with wrap-around); "
            "offsets are flash addresses"
        )
    if svg_path:
        svg = svg_map(regions, img.size, title=title, notes=notes)
        write_output(svg_path, svg, force=force, inputs=(file,))
    if html_path:
        lines = list(img.describe(show_secrets=show_secrets))
        summ = configs.summary(show_secrets=show_secrets)
        for name, key in (("tuya storage", "tuya"), ("obk config", "obk_config")):
            lines += _summary_lines(name, summ[key])
        page = html_report(regions, img.size, title=title, notes=notes, problems=problems, lines=lines)
        # with --show-secrets the report's tables hold them: created 0600 like every secret file
        write_output(html_path, page, force=force, inputs=(file,), mode=SECRET_MODE if show_secrets else None)


@click.command()
@input_argument()
@_kind_option
@secrets_option(shown_by_default=False)
@click.option(
    "--svg",
    "svg_path",
    type=click.Path(dir_okay=False, allow_dash=True),
    callback=mark_stdout_output,
    help="Also write the flash map as an SVG ('-': the SVG alone on stdout).",
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False),
    help="Also write an HTML report: the flash map and the tables.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing --svg / --html file.")
@json_option
def info(
    file: str,
    kind: str | None,
    show_secrets: bool,
    svg_path: str | None,
    html_path: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """What FILE is: kind, chip, and its flash map (regions with offsets, sizes, validity).

    Secrets (Wi-Fi passwords, Tuya keys) are masked unless --show-secrets.
    """
    from ..configs import refine_regions

    real = os.path.realpath
    if svg_path and html_path and svg_path != "-" and real(svg_path) == real(html_path):
        raise click.UsageError("--svg and --html name the same file; give two paths")
    img, configs = _open_with_configs(file, kind)
    regions = refine_regions(img.regions(), configs)
    if svg_path or html_path:
        _write_pictures(img, regions, configs, file, svg_path, html_path, show_secrets, force)
        if cli_state().binary_stdout:  # stdout carries the SVG alone
            return
    doc = img.to_dict(show_secrets=show_secrets)
    doc["regions"] = [r.to_dict(show_secrets=show_secrets) for r in regions]
    doc["configs"] = configs.summary(show_secrets=show_secrets)
    doc["problems"] += [p.to_dict() for p in configs.problems]
    doc = policed(doc, show_secrets)
    if as_json:
        emit_json(doc)
        return
    click.echo(f"file:  {file}")
    click.echo(f"kind:  {img.kind}")
    cands = img.chip_candidates
    click.echo(f"chip:  {img.chip or ('cannot tell: ' + ', '.join(cands) if cands else 'unknown')}")
    click.echo(f"size:  {img.size} bytes ({fmt_size(img.size)})")
    colour = sys.stdout.isatty()
    map_lines = render_map(img, regions, colour=colour)
    if map_lines:
        click.echo("flash map:")
        for line in map_lines:
            click.echo(line, file=unescaped(sys.stdout) if colour else None)
    for line in img.describe(show_secrets=show_secrets):
        click.echo(line)
    summ = doc["configs"]
    for title, key in (("tuya storage", "tuya"), ("obk config", "obk_config")):
        for line in _summary_lines(title, summ[key]):
            click.echo(line)
    if (configs.tuya is not None or configs.obk is not None) and not show_secrets:
        click.echo(
            "(secrets masked; --show-secrets shows them, `obkimg tuya-keys` / "
            "`obkimg obk-config show` decode everything)"
        )
    for p in list(img.problems()) + configs.problems:
        click.echo(f"problem: {p}")


@click.command()
@input_argument()
@_kind_option
@json_option
def verify(file: str, kind: str | None, as_json: bool) -> None:
    """Recompute every checksum and hash in FILE; exit 1 on any mismatch."""
    img = _open(file, kind)
    problems = img.verify()
    if as_json:
        emit_json(
            {
                "schema": "obkimg.verify/1",
                "kind": img.kind,
                "chip": img.chip,
                "ok": not problems,
                "problems": [p.to_dict() for p in problems],
            }
        )
    else:
        for p in problems:
            click.echo(str(p))
        click.echo(f"{img.kind}: {'OK' if not problems else f'{len(problems)} problem(s)'}")
    if problems:
        raise click.exceptions.Exit(1)


@click.command("detect")
@input_argument()
@json_option
def detect_cmd(file: str, as_json: bool) -> None:
    """Ranked guesses of what FILE is, with the evidence for each."""
    import obkimg

    found = obkimg.detect(read_input(file))
    if as_json:
        emit_json({"schema": "obkimg.detect/1", "candidates": [d.to_dict() for d in found]})
        return
    if not found:
        click.echo("nothing recognised")
        raise click.exceptions.Exit(1)
    for d in found:
        chip = f" [{d.chip}]" if d.chip else ""
        click.echo(f"{d.confidence:3d}%  {d.kind}{chip}  @{d.offset:#x}  {d.reason}")
