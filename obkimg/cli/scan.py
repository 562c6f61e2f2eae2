"""``obkimg scan``: every file under a folder, in parallel, with a progress bar on stderr."""

from __future__ import annotations

import json
import sys

import click

from ._common import cli_state, emit_json, json_option


@click.command()
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@click.option(
    "-j",
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes (default: CPU cores; at most one per file and four per core).",
)
@click.option("--all-files", is_flag=True, help="Also scan .json/.txt/.md/... files.")
@click.option("--jsonl", is_flag=True, help="One JSON object per file, as each completes (JSON lines).")
@json_option
def scan(folder: str, jobs: int | None, all_files: bool, jsonl: bool, as_json: bool) -> None:
    """Identify every file under FOLDER: kind, chip, firmware, Tuya keys found, OBK config present."""
    from ..scan import ScanRow, iter_files
    from ..scan import scan as run_scan
    from ..text import escape_text

    if jsonl and as_json:
        raise click.UsageError("--json prints one document and --jsonl one line per file: give one of them")
    unreadable: list[ScanRow] = []
    paths = iter_files(folder, all_files=all_files, unreadable=unreadable)
    show_bar = sys.stderr.isatty() and not cli_state().quiet and not as_json and not jsonl
    rows = list(unreadable)
    if jsonl:
        for row in unreadable:
            click.echo(json.dumps(row.to_dict()))
    from ._safe_text import unescaped

    with click.progressbar(
        length=len(paths), file=unescaped(sys.stderr), label="scanning", hidden=not show_bar
    ) as bar:
        for row in run_scan(paths, workers=jobs, progress=lambda _r: bar.update(1)):
            if jsonl:
                click.echo(json.dumps(row.to_dict()))
            rows.append(row)
    rows.sort(key=lambda r: r.path)
    if jsonl:
        return
    if as_json:
        emit_json(
            {
                "schema": "obkimg.scan/1",
                "folder": folder,
                "count": len(rows),
                "files": [r.to_dict() for r in rows],
            }
        )
        return
    for r in rows:
        if r.error:
            click.echo(f"{escape_text(r.path)}: ERROR {escape_text(r.error)}")
            continue
        extra = []
        if r.version:
            extra.append(f"version {escape_text(r.version)}")
        if r.tuya_keys is not None:
            extra.append(f"tuya keys: {r.tuya_keys}")
        if r.obk_config:
            extra.append("obk config")
        if r.ok is False:
            extra.append("PROBLEMS")
        chip = r.chip or ("/".join(r.chip_candidates) + "?" if r.chip_candidates else "?")
        click.echo(f"{escape_text(r.path)}: {r.kind} {chip} {' '.join(extra)}".rstrip())
    errors = sum(1 for r in rows if r.error)
    click.echo(f"{len(rows)} files, {len(rows) - errors} recognised, {errors} not", err=True)
