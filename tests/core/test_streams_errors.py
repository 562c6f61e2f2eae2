"""Issue 10 "Streams, errors and flags": stdout carries one thing, error documents, CLI vs API words."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import obkimg
from obkimg.errors import BuildError, MismatchError, ObkImgError, OutputError
from tests.conftest import ROOT, validate_schema
from tests.hardening._cli import run

DEMO_DUMP = ROOT / "examples" / "bk7231n_demo_dump.bin.gz"


def _error_doc(stdout: bytes) -> dict:
    doc = json.loads(stdout)  # exactly one document: json.loads refuses trailing data
    validate_schema(doc, "error.v1")
    assert doc["schema"] == "obkimg.error/1"
    return doc["error"]


# -- -o - carries only the binary ------------------------------------------------------------------


def test_obk_config_new_stdout_holds_only_the_config() -> None:
    r = run("obk-config", "new", "--from-tuya", str(DEMO_DUMP), "-o", "-")
    assert r.code == 0
    assert len(r.stdout) == 3584 and r.stdout[:3] == b"CFG"
    assert b"wifi:" in r.stderr and b"wifi:" not in r.stdout  # the summary went to stderr
    # the same config as the one written to a file
    r2 = run("obk-config", "new", "--from-tuya", str(DEMO_DUMP), "-o", "-")
    assert hashlib.sha256(r2.stdout).digest() == hashlib.sha256(r.stdout).digest()


@pytest.mark.parametrize("order", ["json-first", "output-first"])
def test_json_with_stdout_output_is_refused(order: str) -> None:
    args = ["--json", "-o", "-"] if order == "json-first" else ["-o", "-", "--json"]
    r = run("obk-config", "new", "--from-tuya", str(DEMO_DUMP), *args)
    assert r.code == 2
    err = _error_doc(r.stdout)
    assert err["code"] == "usage" and "-o -" in err["message"]
    assert b"CFG" not in r.stdout


def test_obk_config_new_json_to_file_keeps_one_document(tmp_path: Path) -> None:
    out = tmp_path / "cfg.bin"
    r = run("obk-config", "new", "--from-tuya", str(DEMO_DUMP), "-o", str(out), "--json", outputs=[out])
    assert r.code == 0 and out.stat().st_size == 3584
    validate_schema(json.loads(r.stdout), "obk-config-new.v1")


# -- a failing --json run prints exactly one obkimg.error/1 document --------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["info", "{missing}", "--json"],
        ["info", "--json", "{missing}"],
        ["tuya-keys", "{missing}", "--json"],
        ["obk-config", "show", "{missing}", "--json"],
        ["ota", "check", "{missing}", "--against", "{missing}", "--json"],
        ["info", "--json", "--no-such-option", "{missing}"],
        ["info", "--json"],  # missing argument
    ],
    ids=lambda a: " ".join(a),
)
def test_usage_errors_give_an_error_document(tmp_path: Path, argv: list[str]) -> None:
    missing = str(tmp_path / "nothere.bin")
    r = run(*[a.format(missing=missing) for a in argv])
    assert r.code == 2
    err = _error_doc(r.stdout)
    assert err["code"] == "usage" and err["message"] and err["hint"]
    assert r.err.strip()  # click's message is still on stderr


def test_missing_file_error_names_the_parameter(tmp_path: Path) -> None:
    r = run("info", str(tmp_path / "nothere.bin"), "--json")
    err = _error_doc(r.stdout)
    assert err["type"] == "BadParameter" and err["field"] == "file" and "does not exist" in err["message"]


def test_data_error_document_has_format_field_offset_hint(tmp_path: Path) -> None:
    bad = tmp_path / "bad.ota"
    bad.write_bytes(b"BL60X_OTA_Ver1.0" + b"BAD!" + bytes(500))
    r = run("info", str(bad), "--kind", "bl602-ota", "--json")
    assert r.code == 1
    err = _error_doc(r.stdout)
    assert set(err) >= {"format", "field", "offset", "hint"}
    assert err["format"] == "bl602-ota" and err["field"] == "type" and err["offset"] == 16


def test_no_second_document_after_a_result(capsys: pytest.CaptureFixture[str]) -> None:
    """A document already on stdout is not followed by an error document."""
    from obkimg.cli import _error_doc as emit_error
    from obkimg.cli._common import CliState

    emit_error(CliState(json=True, emitted=True), ["--json"], {"type": "X", "code": "x", "message": "m"})
    assert capsys.readouterr().out == ""  # prints nothing (emitted)
    emit_error(CliState(json=True), ["--json"], {"type": "X", "code": "x", "message": "m"})
    assert json.loads(capsys.readouterr().out)["schema"] == "obkimg.error/1"  # the test can fail


def test_exception_fields_and_dict() -> None:
    e = obkimg.FormatError("bad thing", fmt="bk7231-rbl", offset=0x10, path="header.crc", hint="do this")
    assert (e.fmt, e.field, e.offset, e.hint) == ("bk7231-rbl", "header.crc", 0x10, "do this")
    d = e.to_dict()
    assert (d["format"], d["field"], d["offset"], d["hint"]) == ("bk7231-rbl", "header.crc", 0x10, "do this")
    validate_schema({"schema": "obkimg.error/1", "error": d}, "error.v1")


# -- CLI words in the CLI, API words in the library -------------------------------------------------


def test_library_uses_api_words_cli_uses_flags(tmp_path: Path) -> None:
    from obkimg.fileio import write_atomic

    out = tmp_path / "o.bin"
    out.write_bytes(b"x")
    with pytest.raises(OutputError) as ei:
        write_atomic(out, b"y")
    assert "force=True" in str(ei.value) and "--force" not in str(ei.value)
    r = run("obk-config", "new", "--from-tuya", str(DEMO_DUMP), "-o", str(out), outputs=[out])
    assert r.code == 1 and "--force" in r.err and "force=True" not in r.err
    rj = run("obk-config", "new", "--from-tuya", str(DEMO_DUMP), "-o", str(out), "--json", outputs=[out])
    err = _error_doc(rj.stdout)
    assert err["code"] == "output" and "--force" in err["message"] and "force=True" not in err["message"]


def test_library_sources_carry_no_cli_flags_in_errors() -> None:
    """Error messages raised by the workflows (not the CLI) do not name CLI flags."""
    import re

    lib = ROOT / "obkimg"
    offenders = []
    for p in lib.rglob("*.py"):
        if "cli" in p.parts or p.name == "check.py":  # check.py: rows are the check helper's area
            continue
        for n, line in enumerate(p.read_text().splitlines(), 1):
            if re.search(r"Error\(.*--(force|chip|trim|allow-mismatch)\b", line):
                offenders.append(f"{p.relative_to(ROOT)}:{n}")
    assert not offenders


# -- --force only allows overwriting ----------------------------------------------------------------


def test_allow_mismatch_is_its_own_flag_in_the_library() -> None:
    from obkimg.codecs import bkcipher
    from obkimg.convert import ua_to_qio
    from tests.bk7231_images import _synth

    zero = _synth.qio(bkcipher.KEY_ZERO)
    framed = _synth.framed_app_only()
    with pytest.raises(MismatchError) as ei:
        ua_to_qio(framed, zero)
    assert ei.value.hint and "allow_mismatch=True" in ei.value.hint
    assert ua_to_qio(framed, zero, allow_mismatch=True)[:0x11000] == zero[:0x11000]


# -- obk-config set: ASCII digits, ranges, every field's own limits ---------------------------------


@pytest.fixture(scope="module")
def cfg() -> bytes:
    from obkimg.obk import extract_config

    data, _ = extract_config(DEMO_DUMP)
    return data


@pytest.mark.parametrize(
    "assignment,field",
    [
        ("mqtt_port=70000", "mqtt_port"),
        ("mqtt_port=-1", "mqtt_port"),
        ("mqtt_port=\u0663", "mqtt_port"),  # ARABIC-INDIC DIGIT THREE: int() reads it as 3
        ("mqtt_port=1_883", "mqtt_port"),
        ("ssid=" + "a" * 33, "wifi_ssid"),
        ("ssid2=" + "é" * 17, "wifi_ssid2"),  # 34 bytes in UTF-8
        ("password=" + "p" * 64, "wifi_pass"),  # the struct holds 63 + NUL
        ("password2=" + "p" * 65, "wifi_pass2"),
        ("led_corr=1,1,1,nan,0,0", "led_corr"),
        ("led_corr=1,1,1,inf,0,0", "led_corr"),
        ("led_corr=1,1,1,1e400,0,0", "led_corr"),
        ("led_corr=1,1,1,1e39,0,0", "led_corr"),
        ("buttonShortPress=256", "buttonShortPress"),
        ("ping_interval=3000000000", "ping_interval"),
        ("ledRemap=0,1,2,3,256", "ledRemap"),
        ("channel.1.start=40000", "channel.1.start"),
        ("pin.6=Relay:\u0663", "pin.6"),
        ("pin.\u0663=Relay", "pin.\u0663"),
        ("pin.6=\u0663", "pin_role"),
        ("flag.\u0663=1", "flag"),
        ("mqtt_prot=1", "mqtt_prot"),
    ],
)
def test_set_refuses_out_of_range(cfg: bytes, assignment: str, field: str) -> None:
    from obkimg.obk import set_config

    with pytest.raises(BuildError) as ei:
        set_config(cfg, [assignment])
    assert ei.value.field == field
    assert isinstance(ei.value, ObkImgError)


@pytest.mark.parametrize(
    "assignment,field,value",
    [
        ("mqtt_port=65535", "mqtt_port", 65535),
        ("mqtt_port=0", "mqtt_port", 0),
        ("mqtt_port=0x50", "mqtt_port", 80),
        ("ssid=" + "a" * 32, "wifi_ssid", "a" * 32),
        ("password=" + "p" * 63, "wifi_pass", "p" * 63),
        ("password2=" + "p" * 64, "wifi_pass2", "p" * 64),
        ("buttonShortPress=255", "buttonShortPress", 255),
        ("channel.1.start=-32768", "startChannelValues", None),
    ],
)
def test_set_accepts_the_limits(cfg: bytes, assignment: str, field: str, value: object) -> None:
    from obkimg.obk import set_config

    _, res, _ = set_config(cfg, [assignment])
    if value is not None:
        assert res.config.get(field) == value


def test_set_float_parses_and_rounds(cfg: bytes) -> None:
    from obkimg.obk import set_config

    _, res, _ = set_config(cfg, ["led_corr=1,1,1,2.5,0,.25"])
    assert res.config.get("led_corr") == [1.0, 1.0, 1.0, 2.5, 0.0, 0.25]


def test_set_cli_error_is_one_line(tmp_path: Path, cfg: bytes) -> None:
    f = tmp_path / "cfg.bin"
    f.write_bytes(cfg)
    out = tmp_path / "out.bin"
    r = run("obk-config", "set", str(f), "mqtt_port=70000", "-o", str(out), outputs=[out])
    assert r.code == 1 and not out.exists()
    assert r.err.strip() == "error: obk-config: 70000 is out of range 0..65535 in field mqtt_port"


# -- rbl pack is deterministic ----------------------------------------------------------------------


def test_rbl_pack_honours_source_date_epoch(monkeypatch: pytest.MonkeyPatch) -> None:
    from obkimg.formats.bk7231 import rbl as m

    app = bytes(range(256)) * 64
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    a = m.pack(app, version="1.0")
    assert m.RblFile.parse(a).header.timestamp == 1700000000
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000001")
    b = m.pack(app, version="1.0")
    assert m.RblFile.parse(b).header.timestamp == 1700000001
    assert m.pack(app, version="1.0", timestamp=5) == m.pack(app, version="1.0", timestamp=5)
    for bad in ("abc", "-1", "\u0663", str(1 << 32)):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", bad)
        with pytest.raises(BuildError) as ei:
            m.pack(app, version="1.0")
        assert ei.value.field == "timestamp"


def test_rbl_pack_cli_runs_are_identical(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = tmp_path / "app.bin"
    app.write_bytes(bytes(range(256)) * 64)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1234567890")
    outs = []
    for _ in range(2):
        r = run("rbl", "pack", str(app), "-o", "-", "--version", "1.0")
        assert r.code == 0
        outs.append(r.stdout)
    assert outs[0] == outs[1]
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    r = run("rbl", "pack", str(app), "-o", "-", "--version", "1.0", "--timestamp", "1234567890")
    assert r.stdout == outs[0]


def test_internal_error_with_json_gives_one_error_document() -> None:
    from tests.hardening._cli import run_process

    boom = "import sys, obkimg.detect\nD = sys.modules['obkimg.detect']\nD.list_formats = lambda: 1 / 0\n"
    r = run_process("formats", "--json", preamble=boom)
    assert r.code == 3
    err = _error_doc(r.stdout)
    assert err["code"] == "internal" and "ZeroDivisionError" in err["message"]
    assert "--traceback" in err["hint"]


def test_info_svg_to_stdout_is_the_svg_alone() -> None:
    r = run("info", str(DEMO_DUMP), "--svg", "-")
    assert r.code == 0 and r.stdout.startswith(b"<?xml") and r.stdout.rstrip().endswith(b"</svg>")
    assert b"kind:" not in r.stdout
    rj = run("info", str(DEMO_DUMP), "--svg", "-", "--json")
    assert rj.code == 2 and _error_doc(rj.stdout)["code"] == "usage"


def test_binary_to_a_terminal_is_refused_even_with_force(monkeypatch: pytest.MonkeyPatch) -> None:
    """--force only allows overwriting: it does not send binary data to a terminal."""
    import io
    import sys

    import click

    from obkimg.cli._common import write_output

    class Tty(io.BytesIO):
        def isatty(self) -> bool:
            return True

    class Out:
        buffer = Tty()

    monkeypatch.setattr(sys, "stdout", Out())
    for force in (False, True):
        with pytest.raises(click.UsageError, match="terminal"):
            write_output("-", b"\x00binary", force=force)
    assert Out.buffer.getvalue() == b""
    write_output("-", "text is fine")  # text (Intel HEX, TOML) may go to a terminal
    assert Out.buffer.getvalue() == b"text is fine"
