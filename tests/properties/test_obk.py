"""Properties of the OpenBeken config: generated configs (every pin layout, both CRC variants) build
and parse back to the same model and values; EasyFlash areas written with generated entries read back;
any bytes and any mutation of the vectors raise only ObkImgError."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obkimg import obk, obk_locate
from obkimg.formats.config import easyflash as ef
from obkimg.formats.config import obk_config as oc
from obkimg.source import Source
from tests.properties._support import (
    exercise,
    garbage,
    inputs,
    mutate,
    mutations,
    only_obkimg_errors,
    read,
    real_files,
    scaled,
    vector_files,
)

printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=31)
PINS = [32, 48, 50, 64]


@settings(max_examples=scaled(100))
@given(
    pins=st.sampled_from(PINS),
    variant=st.sampled_from(["signed", "unsigned"]),
    ssid=printable,
    password=printable,
    host=printable,
    port=st.integers(0, 0xFFFF),
    flags=st.integers(0, 0xFFFFFFFF),
    data=st.data(),
)
def test_config_identity(
    pins: int, variant: str, ssid: str, password: str, host: str, port: int, flags: int, data: st.DataObject
) -> None:
    base = oc.default_config(pins=pins, variant=variant)
    n = len(base.get("roles"))
    roles = data.draw(st.lists(st.integers(0, 0xFF), min_size=n, max_size=n))
    cfg = base.with_values(
        {
            "wifi_ssid": ssid,
            "wifi_pass": password,
            "mqtt_host": host,
            "mqtt_port": port,
            "genericFlags": flags,
            "roles": roles,
        },
        variant=variant,
    )
    raw = cfg.build()
    back = oc.ObkConfig.parse(raw, pins=pins, strict=True)
    assert back == cfg and back.build() == raw
    assert back.crc_for(variant) == back.stored_crc
    got = (
        back.get("wifi_ssid"),
        back.get("wifi_pass"),
        back.get("mqtt_host"),
        back.get("mqtt_port"),
        back.get("genericFlags"),
        list(back.get("roles")),
    )
    assert got == (ssid, password, host, port, flags, roles), "mismatch"
    back.decode()


@settings(max_examples=scaled(60))
@given(
    st.sampled_from([1, 8, 32]),
    st.dictionaries(
        st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=20),
        st.binary(max_size=300),
        max_size=8,
    ),
)
def test_easyflash_identity(gran: int, values: dict[str, bytes]) -> None:
    area = ef.ef_format(4 * oc.SECTOR, gran=gran)
    for name, value in values.items():
        area = ef.ef_set(area, name, value)
    raw = area.build()
    back = ef.parse_easyflash(raw, gran=gran)
    assert back.build() == raw
    got = {e.name: back.value(e) for e in back.entries if e.status_name == "write"}
    assert got == values, "mismatch"


def _all_parsers(data: bytes) -> None:
    for pins in PINS:
        for strict in (True, False):
            cfg = only_obkimg_errors(oc.ObkConfig.parse, data, pins=pins, strict=strict)
            if cfg is not None:
                cfg.decode()
                assert cfg.build() == data[: cfg.length]
    for gran in (None, 1, 8, 32):
        area = only_obkimg_errors(ef.parse_easyflash, data, gran=gran)
        if area is not None:
            only_obkimg_errors(area.build)
    res = only_obkimg_errors(obk_locate.find_config, data)
    if res is not None:
        res.to_dict(show_secrets=False)
    for chip in (None, "BK7231N", "BL602"):
        only_obkimg_errors(obk.recover_config, data, chip=chip)
    oc.detect(data)
    img = only_obkimg_errors(oc.load, Source(data))
    if img is not None:
        exercise(img)


@given(garbage())
def test_any_bytes_only_obkimg_errors(data: bytes) -> None:
    _all_parsers(data)


@given(st.lists(st.text(max_size=40), max_size=6))
def test_any_assignments(assignments: list[str]) -> None:
    only_obkimg_errors(obk.parse_assignments, oc.default_config(), assignments)


FILES = inputs(vector_files("obk/*.bin") + real_files("bl602/*Partitions*"))


@pytest.mark.skipif(not FILES, reason="../shared/fixtures is not present")
@settings(max_examples=scaled(150))
@given(st.sampled_from(FILES or [(Path("."), False)]), mutations())
def test_mutated_configs_only_obkimg_errors(item: tuple[Path, bool], ops: list) -> None:
    _all_parsers(mutate(read(*item), ops))
