"""Property tests: any bytes raise only ObkImgError; edits round-trip; EasyFlash writes read back."""

from __future__ import annotations

import contextlib

from hypothesis import given, settings
from hypothesis import strategies as st

from obkimg.errors import ObkImgError
from obkimg.formats.config import easyflash as ef
from obkimg.formats.config import obk_config as oc
from obkimg.obk import recover_config

_BASE = oc.default_config()

printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=31)


@given(st.binary(max_size=5000))
def test_arbitrary_bytes_only_obkimg_errors(data: bytes) -> None:
    for fn in (oc.ObkConfig.parse, ef.parse_easyflash, recover_config):
        with contextlib.suppress(ObkImgError):
            fn(data)
    assert oc.detect(data) is None or oc.detect(data).kind == "obk-config"


@given(st.binary(min_size=8, max_size=4000))
def test_cfg_prefixed_garbage(tail: bytes) -> None:
    data = b"CFG\0" + (5).to_bytes(4, "little") + tail
    try:
        cfg = oc.ObkConfig.parse(data)
    except ObkImgError:
        return
    assert cfg.build() == data[: cfg.length]
    cfg.decode()  # decoding any 3584 bytes works


@settings(max_examples=50)
@given(
    ssid=printable,
    name=printable,
    port=st.integers(0, 65535),
    pin=st.integers(0, 31),
    role=st.integers(0, 88),
    channel=st.integers(0, 63),
    start=st.integers(-32768, 32767),
    variant=st.sampled_from(["signed", "unsigned"]),
)
def test_edit_roundtrip(
    ssid: str, name: str, port: int, pin: int, role: int, channel: int, start: int, variant: str
) -> None:
    roles = [0] * 32
    roles[pin] = role
    chans = [0] * 32
    chans[pin] = channel
    starts = [0] * 64
    starts[channel] = start
    cfg = _BASE.with_values(
        {
            "wifi_ssid": ssid,
            "shortDeviceName": name,
            "mqtt_port": port,
            "roles": roles,
            "channels": chans,
            "startChannelValues": starts,
        },
        variant=variant,
    )
    back = oc.ObkConfig.parse(cfg.build(), strict=True)
    assert back == cfg and back.crc_variant in (variant, "signed" if variant == "unsigned" else "unsigned")
    assert back.crc_for(variant) == back.stored_crc
    assert (back.get("wifi_ssid"), back.get("shortDeviceName"), back.get("mqtt_port")) == (ssid, name, port)
    assert back.get("roles")[pin] == role and back.get("startChannelValues")[channel] == start


@settings(max_examples=30)
@given(gran=st.sampled_from([1, 8, 32]), values=st.lists(st.binary(max_size=600), min_size=1, max_size=12))
def test_easyflash_sequences_read_back(gran: int, values: list[bytes]) -> None:
    area = ef.ef_format(3 * 0x1000, gran=gran)
    expect: dict[str, bytes] = {}
    for i, v in enumerate(values):
        name = f"k{i % 3}"
        area, _ = ef.ef_put(area, name, v)
        expect[name] = v
        again = ef.parse_easyflash(area.build())
        assert {n: again.value(again.lookup(n)) for n in expect} == expect
        assert sum(1 for e in again.entries if e.status == 2) == len(expect)
