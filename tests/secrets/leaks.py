"""The leak check: a dump's secrets from unredacted runs, then every masking output searched for them.

Nothing here prints a secret: results are field paths (``values.gw_ai.lckey``), counts and output
names. Used by ``test_leaks.py`` (real dumps, the synthetic demo dump) and by hand for figures.
"""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path

from click.testing import CliRunner

from obkimg.cli import cli, main
from obkimg.secrets import MASK, find_secrets

#: secrets shorter than this cannot be searched as substrings without false hits (a 2-letter SSID)
MIN_LEN = 4


@dataclass
class Secrets:
    """The secrets of one dump: field path -> value (kept in memory only, never printed)."""

    values: dict[str, str] = field(default_factory=dict)
    has_tuya: bool = False
    has_obk: bool = False
    #: values of public fields (the Tuya product key, the same for every unit of a product): a secret
    #: field holding one of them (``fac_pin`` does on some devices) cannot leak it
    public: set[str] = field(default_factory=set)

    def __repr__(self) -> str:  # never show the values
        return f"Secrets({len(self.values)} fields, tuya={self.has_tuya}, obk={self.has_obk})"

    @property
    def searchable(self) -> dict[str, str]:
        return {p: v for p, v in self.values.items() if len(v) >= MIN_LEN and v not in self.public}


def run(*args: str) -> tuple[int, str, str]:
    """One CLI run in-process: exit code, stdout, stderr (errors rendered as `obkimg` renders them)."""
    r = CliRunner().invoke(cli, list(args))
    if r.exception is not None and not isinstance(r.exception, SystemExit):
        return run_main(*args)
    return r.exit_code, r.stdout, r.stderr


def run_main(*args: str) -> tuple[int, str, str]:
    """Through ``obkimg.cli.main``: the error path (message, JSON error document, --traceback)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as e:
            code = e.code if isinstance(e.code, int) else 1
    return code, out.getvalue(), err.getvalue()


def collect(path: Path) -> Secrets:
    """Secrets of ``path`` from unredacted runs: `tuya-keys --json`, `obk-config show --json`,
    `info --json --show-secrets` (each where it applies)."""
    found = Secrets()
    code, out, _ = run("tuya-keys", "--json", str(path))
    if code == 0:
        found.has_tuya = True
        doc = json.loads(out)
        found.values.update({f"tuya-keys:{p}": v for p, v in find_secrets(doc)})
        found.public |= {v for v in (doc["device"].get("product_key"),) if isinstance(v, str) and v}
    code, out, _ = run("obk-config", "show", "--json", str(path))
    if out.strip() and code in (0, 1) and json.loads(out).get("schema") == "obkimg.obk-config/1":
        found.has_obk = True
        found.values.update({f"obk-config:{p}": v for p, v in find_secrets(json.loads(out))})
    code, out, _ = run("info", "--json", "--show-secrets", str(path))
    if code == 0:
        found.values.update({f"info:{p}": v for p, v in find_secrets(json.loads(out))})
    return found


def masking_outputs(path: Path, tmp: Path, secrets: Secrets) -> dict[str, str]:
    """Every output that must not show a secret: name -> text (stdout + stderr)."""
    tmp.mkdir(parents=True, exist_ok=True)
    p = str(path)
    outs: dict[str, str] = {}

    def add(name: str, *args: str) -> None:
        _, out, err = run(*args)
        outs[name] = out + err

    add("info --json --svg", "info", "--json", "--svg", str(tmp / "map.svg"), "--force", p)
    outs["info --svg (file)"] = (tmp / "map.svg").read_text() if (tmp / "map.svg").exists() else ""
    add("info", "info", p)
    add("check --for", "check", p, "--for", p)
    add("detect", "detect", p)
    add("detect --json", "detect", "--json", p)
    # --no-regions: raw slices are named and described from offsets and kinds only (tested in
    # test_modes); the decoded configs and their manifest entries are what could carry a secret
    add("extract --json", "extract", "--json", "--no-regions", "--force", "-d", str(tmp / "x"), p)
    outs["extract manifest.json"] = (
        (tmp / "x" / "manifest.json").read_text() if (tmp / "x" / "manifest.json").exists() else ""
    )
    add("tuya-keys --redact", "tuya-keys", "--redact", p)
    add("tuya-keys --redact --json", "tuya-keys", "--redact", "--json", p)
    add("obk-config show --redact", "obk-config", "show", "--redact", p)
    add("obk-config show --redact --json", "obk-config", "show", "--redact", "--json", p)
    add("obk-config new --json", "obk-config", "new", "--from-tuya", p, "--json")
    add("obk-config new", "obk-config", "new", "--from-tuya", p, "-o", str(tmp / "new.bin"), "--force")
    if secrets.has_tuya or secrets.has_obk:
        add("obk-config diff", "obk-config", "diff", p, p)
    if secrets.has_tuya:
        # migrate masks by default: its text forms and --json (the binary config is the device's
        # own config file, created 0600, like `obk-config new`'s)
        for form in ("template", "commands", "esphome"):
            add(f"migrate --to {form}", "migrate", p, "--to", form, "-o", "-")
        add("migrate --json", "migrate", p, "--json")
    # error paths: a failing command on this dump, its JSON error document and --traceback
    for args in (
        ("obk-config", "set", p, "password:not-an-assignment", "-o", str(tmp / "e.bin")),
        ("--traceback", "obk-config", "set", p, "ssid=" + "x" * 40, "-o", str(tmp / "e.bin")),
        ("tuya-keys", "--redact", "--json", str(tmp / "map.svg")),
    ):
        _, out, err = run_main(*args)
        outs["error " + " ".join(a for a in args if a != p and not a.startswith(str(tmp)))] = out + err
    return outs


def _forms(value: str) -> set[str]:
    return {value, json.dumps(value, ensure_ascii=False)[1:-1], repr(value)[1:-1]}


def leaks(secrets: Secrets, outputs: dict[str, str]) -> list[str]:
    """``"output: field"`` for each secret found in an output (field paths only, never values)."""
    found = []
    for path, value in secrets.searchable.items():
        forms = _forms(value)
        for name, text in outputs.items():
            if any(f in text for f in forms):
                found.append(f"{name}: {path}")
    return found


def unmasked_fields(doc: object) -> list[str]:
    """Paths of secret fields of a redacted document whose value is not exactly the fixed mask."""
    return [p for p, v in find_secrets(doc) if v != MASK]
