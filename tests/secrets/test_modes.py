"""Files that hold secrets are created with mode 0600 (issue 10; issue 12: the extracted Tuya JSON,
the OBK config and config-region slices, configs from `obk-config new` and the other config writers)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from obkimg.fileio import write_atomic
from tests.conftest import ROOT
from tests.secrets.leaks import run

DEMO = ROOT / "examples" / "bk7231n_demo_dump.bin.gz"


def _mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


@pytest.fixture
def umask022():  # type: ignore[no-untyped-def]
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_write_atomic_mode(tmp_path: Path, umask022: None) -> None:
    plain, secret = tmp_path / "plain.bin", tmp_path / "secret.json"
    write_atomic(plain, b"x")
    write_atomic(secret, b"{}", mode=0o600)
    assert (_mode(plain), _mode(secret)) == (0o644, 0o600)
    secret.chmod(0o644)
    write_atomic(secret, b"{}", force=True, mode=0o600)
    assert _mode(secret) == 0o600, "a replaced readable file becomes private too"
    write_atomic(plain, b"y", force=True)
    assert _mode(plain) == 0o644, "without mode, a replaced file keeps its mode"


def test_extract_writes_secret_files_0600(tmp_path: Path, umask022: None) -> None:
    out = tmp_path / "x"
    code, stdout, _ = run("extract", "--json", "-d", str(out), str(DEMO))
    assert code == 0
    files = {f["name"]: f for f in json.loads(stdout)["files"]}
    secret = {n for n, f in files.items() if f["region"] in ("tuya-kv", "obk-config")}
    assert {"tuya_storage.json", "obk_config.json", "obk_config.bin"} <= secret
    assert any(n.startswith("region_") for n in secret), "the config-region slices"
    modes = {n: _mode(out / n) for n in files}
    assert {modes[n] for n in secret} == {0o600}
    assert {modes[n] for n in files if n not in secret} == {0o644}, "other files follow the umask"
    assert _mode(out / "manifest.json") == 0o644


def test_obk_config_writers_0600(tmp_path: Path, umask022: None) -> None:
    new = tmp_path / "new.bin"
    assert run("obk-config", "new", "--from-tuya", str(DEMO), "-o", str(new))[0] == 0
    assert run("obk-config", "extract", str(DEMO), "-o", str(tmp_path / "cfg.bin"))[0] == 0
    assert run("obk-config", "set", str(new), "name=demo2", "-o", str(tmp_path / "set.bin"))[0] == 0
    qio = ROOT / "examples" / "bk7231n_demo_qio.bin.gz"
    assert run("obk-config", "write", str(qio), str(new), "-o", str(tmp_path / "qio_cfg.bin"))[0] == 0
    for name in ("new.bin", "cfg.bin", "set.bin", "qio_cfg.bin"):
        assert _mode(tmp_path / name) == 0o600, name


def _plain_wifi_demo(tmp_path: Path) -> tuple[Path, list[bytes]]:
    """The demo dump with its Wi-Fi credentials also stored in plain text in a sector no format
    claims (stock Tuya firmwares keep such copies: seen on 4 real dumps)."""
    import gzip

    keys = json.loads(run("tuya-keys", "--json", str(DEMO))[1])
    secrets = [keys["wifi"]["ssid"].encode(), keys["wifi"]["password"].encode()]
    data = bytearray(gzip.decompress(DEMO.read_bytes()))
    blob = b"\x01\x00" + b"\x00".join(secrets) + b"\x00"
    data[0x1D8000 : 0x1D8000 + len(blob)] = blob
    path = tmp_path / "plain_wifi.bin"
    path.write_bytes(bytes(data))
    return path, secrets


def _readable_secret_files(folder: Path, secrets: list[bytes]) -> list[str]:
    """Names of the extracted files that hold a secret and are readable by others (never values)."""
    return [
        q.name
        for q in sorted(folder.iterdir())
        if any(s in q.read_bytes() for s in secrets) and _mode(q) & 0o077
    ]


def test_extract_region_slices_holding_plain_wifi_are_0600(tmp_path: Path, umask022: None) -> None:
    """Seen: `extract` wrote raw slices of unclaimed regions (`region_10_1d1000_data.bin` ...) that
    hold the Wi-Fi SSID and password in plain text with mode 0644."""
    path, secrets = _plain_wifi_demo(tmp_path)
    assert run("extract", str(path), "-d", str(tmp_path / "x"))[0] == 0
    holders = [q.name for q in (tmp_path / "x").iterdir() if any(s in q.read_bytes() for s in secrets)]
    assert any(n.startswith("region_") and "obk-config" not in n and "tuya" not in n for n in holders)
    readable = _readable_secret_files(tmp_path / "x", secrets)
    assert not readable, f"readable files holding the Wi-Fi credentials: {readable}"


def test_extract_real_dumps_no_readable_file_holds_a_secret(tmp_path: Path, umask022: None) -> None:
    """Every real dump with configs: no extracted file readable by others holds a Wi-Fi credential
    or key of the dump (4 dumps had plain-text Wi-Fi in 0644 region slices)."""
    from tests.conftest import real_files
    from tests.secrets.leaks import collect

    names = ("Feconn_FE-MR16", "A60_SmartBulb", "Lepro_WiFi", "full_binary_with_app_OpenBL602_1.18.57")
    dumps = [p for p in real_files() if os.environ.get("CI") or any(n in p.name for n in names)]
    if not dumps:
        pytest.skip("real dumps are not present (../shared/fixtures/real; clean clone)")
    problems = []
    for i, p in enumerate(dumps):
        found = collect(p)
        if not (found.has_tuya or found.has_obk):
            continue
        secrets = [v.encode() for v in found.searchable.values()]
        out = tmp_path / str(i)
        assert run("extract", str(p), "-d", str(out))[0] == 0, p.name
        problems += [f"{p.name}: {n}" for n in _readable_secret_files(out, secrets)]
    assert not problems, f"{len(problems)} readable files hold secrets: {problems}"


def test_info_html_with_shown_secrets_is_0600(tmp_path: Path, umask022: None) -> None:
    """Seen: `info --show-secrets --html r.html` wrote the Wi-Fi password into a 0644 report."""
    password = json.loads(run("tuya-keys", "--json", str(DEMO))[1])["wifi"]["password"].encode()
    shown, masked = tmp_path / "shown.html", tmp_path / "masked.html"
    assert run("info", str(DEMO), "--show-secrets", "--html", str(shown))[0] == 0
    assert run("info", str(DEMO), "--html", str(masked))[0] == 0
    assert password in shown.read_bytes() and password not in masked.read_bytes()
    assert (_mode(shown), _mode(masked)) == (0o600, 0o644)


def test_info_svg_and_html_to_one_path_is_refused_before_writing(tmp_path: Path) -> None:
    """Seen: `info X --svg P --html P` wrote the SVG to P, then refused the HTML (exit 1, P left)."""
    from tests.secrets.leaks import run_main

    same = tmp_path / "map.out"
    code, _, err = run_main("info", str(DEMO), "--svg", str(same), "--html", str(same))
    assert code == 2 and not same.exists(), err


def test_whole_dump_conversions_are_0600(tmp_path: Path, umask022: None) -> None:
    """Seen: `convert bin2hex DUMP` and `convert hex2bin DUMP.hex` wrote the whole backup (its Tuya
    storage and OBK config, every secret) readable by everyone. A QIO without configs stays 0644."""
    hex_path, back, qio_hex = tmp_path / "d.hex", tmp_path / "d.bin", tmp_path / "q.hex"
    assert run("convert", "bin2hex", str(DEMO), "-o", str(hex_path))[0] == 0
    assert run("convert", "hex2bin", str(hex_path), "-o", str(back))[0] == 0
    qio = ROOT / "examples" / "bk7231n_demo_qio.bin.gz"
    assert run("convert", "bin2hex", str(qio), "-o", str(qio_hex))[0] == 0
    assert (_mode(hex_path), _mode(back), _mode(qio_hex)) == (0o600, 0o600, 0o644)


def test_bk_crypt_of_a_whole_dump_is_0600(tmp_path: Path, umask022: None) -> None:
    """`bk crypt` of a whole backup writes its config sectors XORed with a public key stream: 0600. A QIO
    without configs stays 0644."""
    import gzip

    dump, qio = tmp_path / "dump.bin", tmp_path / "qio.bin"
    dump.write_bytes(gzip.decompress(DEMO.read_bytes()))
    qio.write_bytes(gzip.decompress((ROOT / "examples" / "bk7231n_demo_qio.bin.gz").read_bytes()))
    assert run("bk", "crypt", str(dump), "-o", str(tmp_path / "d.out"))[0] == 0
    assert run("bk", "crypt", str(qio), "-o", str(tmp_path / "q.out"))[0] == 0
    assert (_mode(tmp_path / "d.out"), _mode(tmp_path / "q.out")) == (0o600, 0o644)
