"""`obkimg extract` (files + manifest with the right sha256), `scan`, the flash map and its SVG."""

from __future__ import annotations

import hashlib
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner

from obkimg.cli import cli
from obkimg.extract import extract, write_extraction
from obkimg.flashmap import svg_map
from obkimg.model import Region
from tests.conftest import FIXTURES, fixture_path, real_path, validate_schema

APP_RAW_SHA = "539e902d74f6fdb9e9ccbf357d041560202cb37599c5902bb9e3ac3a7533441f"


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize(
    "name",
    [
        "rtota_app_raw_gzip_aes.rbl",
        "rtota_app_raw_none.rbl",
        "lt_ota_gzip_aes.rbl",
        "lt_ota_gzip.rbl",
        "lt_ota_none.rbl",
        "tuya_package_UG_rtota_gzip_aes.bin",
    ],
)
def test_extract_rbl_and_ug_gives_the_app(name: str, tmp_path: Path) -> None:
    res = extract(fixture_path("bk7231", name))
    apps = [a for a in res.files if a.kind == "app-plain"]
    assert len(apps) == 1 and _sha(apps[0].data) == APP_RAW_SHA
    written = write_extraction(res, tmp_path / "out")
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    validate_schema(manifest, "extract.v1")
    assert len(written) == len(manifest["files"]) + 1
    for f in manifest["files"]:
        assert _sha((tmp_path / "out" / f["name"]).read_bytes()) == f["sha256"]


def test_extract_bootloader_and_app_of_obk_qio(tmp_path: Path) -> None:
    res = extract(real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"))
    by_name = {a.name: a for a in res.files}
    enc = fixture_path("bk7231n", "bk7231n_bootloader_enc.bin").read_bytes()
    plain = fixture_path("bk7231n", "bk7231n_bootloader.bin").read_bytes()
    assert by_name["bootloader_image.bin"].data == enc
    assert by_name["bootloader_plain.bin"].data == plain
    assert len(by_name["app_plain.bin"].data) == 828273
    assert by_name["app_plain.bin"].data[:8] == bytes.fromhex("0e0000ea14f09fe5")


def test_extract_bl602_whole_flash(tmp_path: Path) -> None:
    res = extract(fixture_path("bl602", "small", "whole_flash_data.bin"))
    by_name = {a.name: a.data for a in res.files}
    small = FIXTURES / "bl602" / "small"
    assert by_name["partition.bin"] == (small / "partition.bin").read_bytes()
    assert by_name["ro_params.dtb"] == (small / "ro_params.dtb").read_bytes()
    assert any(d == (small / "FW_OTA.bin").read_bytes() for d in by_name.values())


def test_extract_dump_with_configs_and_cli(tmp_path: Path) -> None:
    # the synthetic demo backup: its secrets are made up, so schema errors may show them
    dump = Path(__file__).resolve().parents[2] / "examples" / "bk7231n_demo_dump.bin.gz"
    out = tmp_path / "x"
    r = CliRunner().invoke(cli, ["-q", "extract", str(dump), "-d", str(out), "--json"])
    assert r.exit_code == 0
    doc = json.loads(r.output)
    validate_schema(doc, "extract.v1")
    names = {f["name"] for f in doc["files"]}
    assert {"tuya_storage.json", "obk_config.bin", "obk_config.json", "app_plain.bin"} <= names
    storage = json.loads((out / "tuya_storage.json").read_text())
    validate_schema(storage, "tuya-keys.v1")
    # a second run refuses the non-empty folder, --force allows it
    r = CliRunner().invoke(cli, ["extract", str(dump), "-d", str(out)])
    assert r.exit_code == 1
    r = CliRunner().invoke(cli, ["-q", "extract", str(dump), "-d", str(out), "--force"])
    assert r.exit_code == 0


def test_extract_obk_config_vector(tmp_path: Path) -> None:
    raw = fixture_path("obk", "obk_cfg_v5_bk7231_sector.bin").read_bytes()
    res = extract(raw)
    cfg = next(a for a in res.files if a.name == "obk_config.bin")
    assert cfg.data == raw[: len(cfg.data)] and len(cfg.data) == 3584


def test_scan_real_folder_all_recognised() -> None:
    folder = real_path("bl602")
    r = CliRunner().invoke(cli, ["scan", str(folder), "--json", "-j", "2"])
    assert r.exit_code == 0
    doc = json.loads(r.stdout if hasattr(r, "stdout") else r.output)
    validate_schema(doc, "scan.v1")
    assert doc["count"] == len([p for p in folder.iterdir() if not p.name.endswith((".txt", ".json"))])
    assert all(row["kind"] and row["chip"] == "BL602" for row in doc["files"] if not row["error"])
    errors = [row["path"] for row in doc["files"] if row["error"]]
    assert errors == []


def test_scan_jsonl_rows(tmp_path: Path) -> None:
    for name in ("rtota_app_raw_none.rbl", "tuya_package_UG_rtota_gzip_aes.bin"):
        shutil.copy(fixture_path("bk7231", name), tmp_path / name)
    (tmp_path / "junk.bin").write_bytes(b"\x00junk" * 50)
    r = CliRunner().invoke(cli, ["scan", str(tmp_path), "--jsonl", "-j", "1"])
    rows = [json.loads(line) for line in r.output.splitlines() if line.startswith("{")]
    assert sorted(row["kind"] or "?" for row in rows) == ["?", "bk7231-rbl", "bk7231-ug"]
    assert [row for row in rows if row["kind"] is None][0]["error"]


def _regions() -> list[Region]:
    return [
        Region("bootloader", 0, 0x11000, "bootloader", "valid"),
        Region("app", 0x11000, 0x119000, "app", "bad-crc"),
        Region("rf <&>", 0x1D0000, 0x1000, "rf", "valid"),
        Region("free", 0x1D1000, 0x2F000, "erased", "erased"),
    ]


def test_svg_is_well_formed_and_labelled() -> None:
    svg = svg_map(_regions(), 0x200000, title="test & map")
    root = ET.fromstring(svg.encode())
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    texts = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "rf <&>" in ET.tostring(root, encoding="unicode").replace("&lt;", "<").replace(
        "&amp;", "&"
    ).replace("&gt;", ">")
    assert "0x011000" in texts and "0x200000" in texts
    rects = [r for r in root.iter("{http://www.w3.org/2000/svg}rect")]
    assert any(r.get("stroke-dasharray") for r in rects)  # the bad-crc region is outlined


def test_info_svg_and_map_lines(tmp_path: Path) -> None:
    dump = real_path("bk7231t", "OpenBK7231T_QIO_1.18.300.bin")
    svg = tmp_path / "map.svg"
    r = CliRunner().invoke(cli, ["info", str(dump), "--svg", str(svg)])
    assert r.exit_code == 0
    ET.fromstring(svg.read_bytes())
    lines = [line for line in r.output.splitlines() if line.startswith("  0x")]
    assert any("█" in line and "app" in line and "valid" in line for line in lines)
    r = CliRunner().invoke(cli, ["info", str(dump), "--svg", str(svg)])
    assert r.exit_code == 1  # exists, no --force


def test_info_masks_secrets_unless_asked() -> None:
    dump = real_path("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin")
    masked = CliRunner().invoke(cli, ["info", str(dump), "--json"])
    shown = CliRunner().invoke(cli, ["info", str(dump), "--json", "--show-secrets"])
    a, b = json.loads(masked.output), json.loads(shown.output)
    validate_schema(a, "info.v1")
    validate_schema(b, "info.v1")
    ta, tb = a["configs"]["tuya"], b["configs"]["tuya"]
    assert ta is not None and tb is not None
    secret_keys = [k for k in tb if tb[k] != ta[k]]
    assert {"password", "local_key"} <= set(secret_keys), "secrets were not masked"
    all_masked = all("*" in str(ta[k]) for k in secret_keys)  # computed first: a failure shows no value
    assert all_masked, "a differing field is not masked"


def test_scan_never_starts_more_workers_than_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Seen: `scan -j 100000 DIR` on a folder of 2 files forked thousands of worker processes (the
    pool started every worker asked for). Workers are capped by the number of files and the cores."""
    import os

    from obkimg import scan as scan_mod

    started: list[object] = []
    real = scan_mod._context()

    class Counting:
        def Pipe(self) -> object:  # noqa: N802 - the multiprocessing context API
            return real.Pipe()

        def Process(self, **kw: object) -> object:  # noqa: N802
            started.append(kw)
            return real.Process(**kw)

        def __getattr__(self, name: str) -> object:  # the rest of the context API
            return getattr(real, name)

    monkeypatch.setattr(scan_mod, "_context", Counting)
    files = []
    for i in range(3):
        files.append(tmp_path / f"f{i}.bin")
        files[-1].write_bytes(bytes([i]) * 64)
    rows = list(scan_mod.scan([str(f) for f in files], workers=100_000))
    assert len(rows) == 3 and not any("worker failed" in (r.error or "") for r in rows)
    assert 2 <= len(started) <= min(3, 4 * (os.cpu_count() or 1)), started


@pytest.mark.parametrize("jobs", ["-1", "0"])
def test_scan_jobs_must_be_positive(tmp_path: Path, jobs: str) -> None:
    """`-j -1` ran serially and `-j 0` meant "all cores", silently: a count below 1 is a usage error."""
    from tests.secrets.leaks import run_main

    code, out, _ = run_main("scan", str(tmp_path), "-j", jobs, "--json")
    assert code == 2 and json.loads(out)["schema"] == "obkimg.error/1"


def test_scan_json_and_jsonl_are_refused_together(tmp_path: Path) -> None:
    """Seen: `scan --json --jsonl` printed JSON lines, not the one document --json promises."""
    (tmp_path / "a.bin").write_bytes(b"\x00" * 64)
    from tests.secrets.leaks import run_main

    code, out, _ = run_main("scan", str(tmp_path), "--jsonl", "--json")
    assert code == 2 and json.loads(out)["schema"] == "obkimg.error/1"
