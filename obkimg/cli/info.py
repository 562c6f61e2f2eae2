"""``obkimg info``, ``obkimg verify``, ``obkimg detect``."""

from __future__ import annotations

from typing import Any

import click

from ._common import emit_json, fmt_size, input_argument, json_option, read_input


def _open(path: str, kind: str | None) -> Any:
    import obkimg

    return obkimg.open(read_input(path), kind=kind)


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


def render_regions(img: Any) -> list[str]:
    lines = []
    for r in img.regions():
        lines.append(f"  {r.offset:#08x}  {r.size:#08x}  {fmt_size(r.size):>10}  {r.name:<22} {r.state:<8} "
                     f"{_detail_line(r.detail)}".rstrip())
        lines += [f"      {p}" for p in r.problems]
    return lines


def _kind_option(f: Any) -> Any:
    return click.option("--kind", metavar="FORMAT", help="Force the format id instead of detecting it "
                        "(see `obkimg formats`).")(f)


@click.command()
@input_argument()
@_kind_option
@click.option("--show-secrets", is_flag=True, help="Show Wi-Fi passwords and keys instead of masking them.")
@json_option
def info(file: str, kind: str | None, show_secrets: bool, as_json: bool) -> None:
    """What FILE is: kind, chip, regions with offsets, sizes and validity.

    Secrets (Wi-Fi passwords, Tuya keys) are masked unless --show-secrets.
    """
    img = _open(file, kind)
    if as_json:
        emit_json(img.to_dict(show_secrets=show_secrets))
        return
    click.echo(f"file:  {file}")
    click.echo(f"kind:  {img.kind}")
    click.echo(f"chip:  {img.chip or 'unknown'}")
    click.echo(f"size:  {img.size} bytes ({fmt_size(img.size)})")
    regions = render_regions(img)
    if regions:
        click.echo("regions:  offset    size           size  name                   state")
        for line in regions:
            click.echo(line)
    for line in img.describe(show_secrets=show_secrets):
        click.echo(line)
    for p in img.problems():
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
        emit_json({"schema": "obkimg.verify/1", "kind": img.kind, "chip": img.chip, "ok": not problems,
                   "problems": [p.to_dict() for p in problems]})
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
