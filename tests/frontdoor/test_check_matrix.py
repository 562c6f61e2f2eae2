"""The `check` matrix: every artefact that `extract`, `convert` and `ota` write, against every kind of
target, with the verdict expected for each (issue 10, "Proof").

Synthetic vectors only (tests/bk7231_images/_synth.py, tests/bl602/_synth.py, tests/frontdoor/
_check_vectors.py), so it runs on a clean clone; the real-file variant is in test_check.py.

Columns (targets): a BK7231N dump, a BK7231T dump, --chip BK7231N, --chip BK7231T, a BL602 dump,
--chip BL602, a BL602 partition TOML, and no target at all (library only).
Rows (artefact classes): what each class must get in each column. A class is given to every artefact
explicitly; an artefact no rule knows fails the test, so a new extract output cannot slip through.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from obkimg import ota
from obkimg.check import CANNOT_TELL, NOT_SAFE, ROWS, SAFE, check_firmware, read_device
from obkimg.convert import bin_to_hex, hex_to_bin, qio_to_ua, ua_to_qio
from obkimg.extract import extract
from obkimg.source import load
from tests.bl602 import _synth as bl
from tests.conftest import validate_schema
from tests.frontdoor._check_vectors import bk_dump, bk_qio, bk_ug

S, N, C = SAFE, NOT_SAFE, CANNOT_TELL
TARGETS = ("n-dump", "t-dump", "chip-N", "chip-T", "bl602-dump", "chip-BL602", "bl602-toml", "none")
#: expected verdict per target column, per artefact class
EXPECTED = {
    "bk-n-code": (S, N, C, N, N, N, N, C),  # N UA / QIO: SAFE only with the N dump (key and sizes known)
    "bk-t-ua": (N, S, N, C, N, N, N, C),  # T UA: SAFE only with the T dump
    "bk-t-qio": (N, N, N, N, N, N, N, C),  # T QIO: a BK7231T takes only the UA
    "bk-n-ota": (S, N, C, N, N, N, N, C),  # UG / RBL for N: the OTA partition size needs the dump
    "bl-fw": (N, N, N, N, S, C, C, C),  # FW image / OTA: the key row needs the BL602 dump
    "never": (N, N, N, N, N, N, N, N),  # bootloaders, bare/decrypted apps, configs, fragments...
}


def _targets() -> dict[str, dict[str, object]]:
    """Each target read once (read_device); test_check.py checks that reading it per call agrees."""
    return {
        "n-dump": {"target": read_device(bk_dump("N"))},
        "t-dump": {"target": read_device(bk_dump("T"))},
        "chip-N": {"chip": "BK7231N"},
        "chip-T": {"chip": "BK7231T"},
        "bl602-dump": {"target": read_device(bl.dump())},
        "chip-BL602": {"chip": "BL602"},
        "bl602-toml": {"target": read_device(bl.partition_toml().encode())},
        "none": {},
    }


def _extracted(prefix: str, data: bytes, classes: dict[str, str]) -> Iterator[tuple[str, bytes, str]]:
    """Every file `extract` writes for ``data``; ``classes`` maps name suffixes to a class, else never."""
    for f in extract(data).files:
        cls = next((c for suffix, c in classes.items() if f.name.endswith(suffix)), "never")
        yield f"extract({prefix})/{f.name}", f.data, cls


def artefacts() -> list[tuple[str, bytes, str]]:
    nq, tq, nd = bk_qio("N"), bk_qio("T"), bk_dump("N")
    ua_n = qio_to_ua(nq)
    fw_ota = ota.pack(bl.firmware())
    out = [
        ("convert qio2ua(N QIO)", ua_n, "bk-n-code"),
        ("convert qio2ua --trim(N QIO)", qio_to_ua(nq, trim=True), "bk-n-code"),
        ("convert qio2ua(N dump)", qio_to_ua(nd), "bk-n-code"),
        ("convert qio2ua(T QIO)", qio_to_ua(tq), "bk-t-ua"),
        ("convert ua2qio(N UA, N dump)", ua_to_qio(ua_n, nd), "bk-n-code"),
        ("convert bin2hex(N QIO)", bin_to_hex(nq).encode(), "bk-n-code"),
        ("convert hex2bin(bin2hex(N QIO))", hex_to_bin(bin_to_hex(nq))[1], "bk-n-code"),
        ("T QIO", tq, "bk-t-qio"),
        ("ota pack", fw_ota.ota, "bl-fw"),
        ("ota pack --raw", ota.pack(bl.firmware(), raw=True).ota, "bl-fw"),
        ("ota unpack", ota.unpack(fw_ota.ota).fw_ota, "bl-fw"),
        ("ota unpack --bare", ota.unpack(fw_ota.ota).image, "never"),
    ]
    out += _extracted("N dump", nd, {"_app.bin": "bk-n-code"})
    out += _extracted("N QIO", nq, {"_app.bin": "bk-n-code"})
    out += _extracted("UG", bk_ug("N"), {"app.rbl": "bk-n-ota"})
    out += _extracted("BL602 dump", bl.dump(), {"FW_slot_0.bin": "bl-fw", "FW_OTA_FW0.bin": "bl-fw"})
    out += _extracted(".xz.ota", fw_ota.ota, {"FW_OTA.bin": "bl-fw"})
    out.append(("UG", bk_ug("N"), "bk-n-ota"))
    return out


@pytest.fixture(scope="module")
def matrix() -> list[tuple[str, str, str, object]]:
    targets = _targets()
    rows = []
    for name, data, cls in artefacts():
        src = load(data)  # decoded once (the Intel HEX one is slow to decode), as check_firmware would
        for col, kw in targets.items():
            rows.append((name, cls, col, check_firmware(src, **kw)))  # type: ignore[arg-type]
    return rows


def test_every_artefact_gets_its_expected_verdict(matrix: list[tuple[str, str, str, object]]) -> None:
    wrong = []
    for name, cls, col, rep in matrix:
        want = EXPECTED[cls][TARGETS.index(col)]
        if rep.verdict != want:  # type: ignore[attr-defined]
            rows = [(f.name, f.status) for f in rep.findings]  # type: ignore[attr-defined]
            wrong.append(f"{name} vs {col}: {rep.verdict}, expected {want} ({cls}) {rows}")  # type: ignore[attr-defined]
    assert not wrong, "\n".join(wrong)


def test_matrix_covers_every_class_and_target(matrix: list[tuple[str, str, str, object]]) -> None:
    seen = {(cls, col) for _, cls, col, _ in matrix}
    assert seen == {(c, t) for c in EXPECTED for t in TARGETS}
    names = {name for name, *_ in matrix}
    # the three artefacts of the issue are in the matrix, as extract writes them
    for must in (
        "extract(N dump)/app_plain.bin",
        "extract(N dump)/app_image.bin",
        "extract(N dump)/bootloader_plain.bin",
        "extract(N dump)/bootloader_image.bin",
    ):
        assert must in names


def test_safe_means_every_row_passed(matrix: list[tuple[str, str, str, object]]) -> None:
    for name, _, col, rep in matrix:
        statuses = {f.name: f.status for f in rep.findings}  # type: ignore[attr-defined]
        if rep.verdict == SAFE:  # type: ignore[attr-defined]
            assert all(statuses.get(r) == "pass" for r in ROWS), (name, col, statuses)
        if any(s == "unknown" for s in statuses.values()):
            assert rep.verdict != SAFE and rep.needs, (name, col)  # type: ignore[attr-defined]
        if rep.verdict == CANNOT_TELL:  # type: ignore[attr-defined]
            assert rep.needs, (name, col)  # type: ignore[attr-defined]


def test_rows_never_contradict(matrix: list[tuple[str, str, str, object]]) -> None:
    """After a family or chip mismatch no row judges the firmware on that device; rows are unique."""
    for name, _, col, rep in matrix:
        names = [f.name for f in rep.findings]  # type: ignore[attr-defined]
        assert len(names) == len(set(names)), (name, col, names)
        status = {f.name: f.status for f in rep.findings}  # type: ignore[attr-defined]
        if status.get("family") == "fail":
            assert not {"chip", "container", "key", "size"} & set(status), (name, col, status)
        if status.get("chip") == "fail":
            assert not {"container", "key", "size"} & set(status), (name, col, status)


def test_every_verdict_says_how_the_file_is_written(matrix: list[tuple[str, str, str, object]]) -> None:
    for name, cls, col, rep in matrix:
        w = rep.write  # type: ignore[attr-defined]
        assert w is not None and w.text, (name, col)
        if cls == "bk-t-qio" or (cls == "bk-n-code" and rep.firmware_kind == "bk7231-qio"):  # type: ignore[attr-defined]
            assert (w.method, w.offset) == ("uart", 0) and "BK7231T takes only the UA" in w.text
        if rep.firmware_kind == "bk7231-ua":  # type: ignore[attr-defined]
            assert (w.method, w.offset) == ("uart", 0x11000)
        if cls == "bk-n-ota" or rep.firmware_kind == "bl602-ota":  # type: ignore[attr-defined]
            assert w.method == "ota"
        if cls == "bl-fw" and rep.firmware_kind == "bl602-bootheader":  # type: ignore[attr-defined]
            assert w.method == "uart" and (w.offset == 0x10000 if col == "bl602-dump" else True)
        if cls == "never":
            assert rep.verdict == NOT_SAFE  # type: ignore[attr-defined]


def test_json_of_every_cell_matches_the_schema(matrix: list[tuple[str, str, str, object]]) -> None:
    for name, _, col, rep in matrix:
        doc = rep.to_dict()  # type: ignore[attr-defined]
        validate_schema(doc, "check.v2")
        assert doc["ok"] is (doc["verdict"] == SAFE), (name, col)


# ------------------------------------------------------------------------------ real files
def _real_targets() -> dict[str, dict[str, object]]:
    from tests.conftest import real_path

    return {
        "n-dump": {
            "target": read_device(real_path("bk7231n", "BK7231N_Tuya_Plug_TSL-PS-F4U-01-W_1.1.17.bin"))
        },
        "t-dump": {
            "target": read_device(
                real_path("bk7231t", "BK7231T_Tuya_A60_SmartBulb_RGBCWW_5ch_PWM_1000Hz.bin")
            )
        },
        "chip-N": {"chip": "BK7231N"},
        "chip-T": {"chip": "BK7231T"},
        "bl602-dump": {
            "target": read_device(real_path("bl602", "full_binary_with_app_OpenBL602_1.18.57.bin"))
        },
        "chip-BL602": {"chip": "BL602"},
        "bl602-toml": {"target": read_device(real_path("bl602", "BL602_Partitions_2M_GUIFlashTool.bin"))},
        "none": {},
    }


def real_artefacts() -> list[tuple[str, bytes, str]]:
    from tests.conftest import real_path

    nq = real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin").read_bytes()
    tq = real_path("bk7231t", "OpenBK7231T_QIO_1.18.300.bin").read_bytes()
    nd = real_path("bk7231n", "BK7231N_Tuya_Plug_TSL-PS-F4U-01-W_1.1.17.bin").read_bytes()
    ug = real_path("bk7231n", "OpenBeken-v1.18.130_bk7231n.ug.bin").read_bytes()
    xz_ota = real_path("bl602", "OpenBL602_1.17.551_OTA.bin.xz.ota").read_bytes()
    bd = real_path("bl602", "full_binary_with_app_OpenBL602_1.18.57.bin").read_bytes()
    out = [
        ("N QIO", nq, "bk-n-code"),
        ("T QIO", tq, "bk-t-qio"),
        ("convert qio2ua(N QIO)", qio_to_ua(nq), "bk-n-code"),
        ("convert qio2ua(T QIO)", qio_to_ua(tq), "bk-t-ua"),
        ("convert ua2qio(qio2ua(N QIO), N QIO)", ua_to_qio(qio_to_ua(nq), nq), "bk-n-code"),
        ("UG", ug, "bk-n-ota"),
        (".xz.ota", xz_ota, "bl-fw"),
        ("ota unpack(.xz.ota)", ota.unpack(xz_ota).fw_ota, "bl-fw"),
        (
            "ota pack(OpenBL602_1.18.57.bin)",
            ota.pack(real_path("bl602", "OpenBL602_1.18.57.bin").read_bytes()).ota,
            "bl-fw",
        ),
    ]
    out += _extracted("N QIO", nq, {"_app.bin": "bk-n-code"})
    out += _extracted("N dump", nd, {"_app.bin": "bk-n-code"})
    out += _extracted("UG", ug, {"app.rbl": "bk-n-ota"})
    out += _extracted("BL602 dump", bd, {"FW_slot_0.bin": "bl-fw", "FW_OTA_FW0.bin": "bl-fw"})
    out += _extracted(".xz.ota", xz_ota, {"FW_OTA.bin": "bl-fw"})
    return out


def test_real_artefacts_get_their_expected_verdict() -> None:
    from tests.conftest import real_path

    real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin")  # skips on a clean clone
    targets = _real_targets()
    wrong = []
    for name, data, cls in real_artefacts():
        src = load(data)
        for col, kw in targets.items():
            rep = check_firmware(src, **kw)  # type: ignore[arg-type]
            want = EXPECTED[cls][TARGETS.index(col)]
            if rep.verdict != want:
                wrong.append(
                    f"{name} vs {col}: {rep.verdict}, expected {want} ({cls}) "
                    f"{[(f.name, f.status) for f in rep.findings]}"
                )
    assert not wrong, "\n".join(wrong)
