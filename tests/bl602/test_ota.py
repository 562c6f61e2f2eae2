"""BL602 OTA containers and the ota workflows: byte-identical packing, unpacking, XZ facts, truncated input
rejected at the stream end, size checks against dumps / tables / TOML, BK files refused."""

from __future__ import annotations

import contextlib
import hashlib
import lzma
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obkimg import ota
from obkimg.errors import (
    ChecksumError,
    FormatError,
    LimitError,
    MagicError,
    MismatchError,
    ObkImgError,
    TruncatedError,
)
from obkimg.formats.bl602 import ota as bo
from obkimg.formats.bl602.bootheader import BootHeader
from obkimg.source import Source
from tests.bl602._helpers import fx, real, with_table_copy
from tests.conftest import real_path

REAL_OTA = [
    "OpenBL602SDK_FW_OTA_6ae6541.bin.ota",
    "OpenBL602SDK_FW_OTA_880db6c.bin.ota",
    "OpenBL602SDK_FW_OTA_a24efcc.bin.xz.ota",
    "OpenBL602_1.17.551_OTA.bin.xz.ota",
    "bflb-iot-tool_ota_FW_OTA.bin.ota",
    "bflb-iot-tool_ota_FW_OTA.bin.xz.ota",
]
REAL_XZ = [
    "OpenBL602SDK_FW_OTA_8a9570a.bin.xz",
    "OpenBL602SDK_FW_OTA_df0c844.bin.xz",
    "bflb-iot-tool_ota_FW_OTA.bin.xz",
]


def test_worked_example_header() -> None:
    data = fx("small", "FW_OTA.bin.xz.ota")
    h = bo.OtaHeader.parse(data)
    assert (h.compression, h.length, h.hw_version, h.sw_version) == (
        "xz",
        10616,
        "BFL_Module_v1.1",
        "EVENT_V1.1.1",
    )
    assert h.sha256.hex().startswith("fe551335") and h.tail == b"\xff" * 416 and h.unpacked_len is None
    assert data[512:518] == b"\xfd7zXZ\x00" and h.build() == data[:512]


@pytest.mark.parametrize("name", ["small/FW_OTA.bin.xz.ota", "small/FW_OTA.bin.ota", "odd/FW_OTA.bin.xz.ota"])
def test_fixture_containers_roundtrip_and_unpack(name: str) -> None:
    data = fx(*name.split("/"))
    img = bo.OtaImage.parse(data)
    assert img.build() == data and img.complete and not img.problems()
    case = name.split("/")[0]
    expect = fx(case, "whole_img.bin") if case == "odd" else fx("small", "FW_OTA.bin")
    assert img.firmware == expect
    assert ota.unpack(data).fw_ota == expect


@pytest.mark.parametrize("name", REAL_OTA)
def test_real_containers_roundtrip(name: str) -> None:
    data = real(name)
    img = bo.OtaImage.parse(data)
    assert img.build() == data and not [p for p in img.problems() if p.severity == "error"]
    assert img.inner is not None and img.inner.role == "firmware"
    if img.header.compression == "xz":
        assert (
            img.xz is not None
            and img.xz.vendor_settings
            and img.xz.uncompressed_size == len(img.firmware or b"")
        )


@pytest.mark.parametrize("name", REAL_XZ)
def test_real_bare_xz(name: str) -> None:
    data = real(name)
    det = bo.detect(data)
    assert det is not None and det.kind == "bl602-xz"
    x = bo.load(Source(data))
    assert isinstance(x, bo.XzImage) and x.inner is not None and x.xz is not None and x.xz.blocks == 1
    assert bo.xz_compress(x.firmware or b"") == data, "the vendor XZ settings reproduce the stream"


def test_xz_hash_file() -> None:
    x = bo.XzImage.parse(fx("small", "FW_OTA.bin.xz.hash"))
    assert x.hash_trailer and x.firmware == fx("small", "FW_OTA.bin")


def test_pack_is_byte_identical_to_the_vendor_tool() -> None:
    fw = fx("inputs", "fw_small.bin")
    assert ota.pack(fw).ota == fx("small", "FW_OTA.bin.xz.ota")
    assert ota.pack(fw, raw=True).ota == fx("small", "FW_OTA.bin.ota")
    assert ota.pack(fx("inputs", "fw_odd.bin")).ota == fx("odd", "FW_OTA.bin.xz.ota")
    assert ota.pack(fx("small", "FW_OTA.bin")).ota == fx("small", "FW_OTA.bin.xz.ota"), "FW_OTA.bin input"
    assert bo.xz_compress(fx("small", "FW_OTA.bin")) == fx("small", "FW_OTA.bin.xz")
    padded = fx("small", "FW_OTA.bin") + b"\xff" * 5000
    res = ota.pack(padded)
    assert res.input.source == "partition" and res.ota == fx("small", "FW_OTA.bin.xz.ota")


@pytest.mark.parametrize(
    "name",
    [
        "OpenBL602_1.17.551_OTA.bin.xz.ota",
        "bflb-iot-tool_ota_FW_OTA.bin.xz.ota",
        "OpenBL602SDK_FW_OTA_a24efcc.bin.xz.ota",
    ],
)
def test_repacking_real_ota_is_identical(name: str) -> None:
    data = real(name)
    assert ota.pack(ota.unpack(data).fw_ota).ota == data, "mismatch"


def test_pack_bare_openbl602_with_the_devices_header() -> None:
    dump = real("full_binary_with_app_OpenBL602_1.18.57.bin")
    res = ota.pack(
        real("OpenBL602_1.18.57.bin"), template=ota.template_from(dump), against=dump, unpacked_len=True
    )
    assert res.fw_ota == dump[0x10000 : 0x10000 + len(res.fw_ota)], "mismatch"
    assert res.check is not None and res.check.ok and res.check.layout == "openbl602-2M"
    back = bo.OtaImage.parse(res.ota)
    assert back.header.unpacked_len == len(res.fw_ota) and back.firmware == res.fw_ota
    assert ota.pack(dump).fw_ota == res.fw_ota, "a dump packs its running firmware"


def test_unpacked_len_and_pubkey_hash_tail() -> None:
    h = bo.OtaHeader.for_payload(b"x", unpacked_len=0x0C1020)
    assert h.unpacked_len == 790560 and h.pubkey_hash is None and h.to_dict()["tail"] == "unpacked_len"
    pk = hashlib.sha256(b"key").digest()
    h2 = bo.OtaHeader.for_payload(b"x", pubkey_hash=pk)
    assert h2.pubkey_hash == pk and h2.unpacked_len is None
    z = bo.OtaHeader.parse(real("bl602_zengge_ota_header.bin"))
    assert z.unpacked_len == 790560 and z.compression == "xz" and z.length == 435868
    with pytest.raises(ObkImgError):
        bo.OtaHeader.for_payload(b"x", unpacked_len=1, pubkey_hash=pk)
    with pytest.raises(ObkImgError):
        bo.OtaHeader.for_payload(b"x", sw_version="x" * 16)


def test_truncated_real_ota_is_rejected_where_the_stream_ends() -> None:
    data = real("OpenBL602_1.17.551_OTA.bin.xz.ota_cutted")
    assert len(data) == 409600
    for call in (
        lambda: ota.unpack(data),
        lambda: bo.OtaImage.parse(data),
        lambda: ota.check(data, fx("small", "partition.bin")),
    ):
        with pytest.raises(TruncatedError) as e:
            call()
        assert e.value.offset == 409600 and e.value.fmt == "bl602-ota" and "0x64000" in str(e.value)
    img = bo.load(Source(data))
    assert img.kind == "bl602-ota" and not img.ok
    assert [p.offset for p in img.problems() if p.severity == "error"] == [409600]


def test_header_only_file_is_identified_not_unpacked() -> None:
    data = real("bl602_zengge_ota_header.bin")
    img = bo.load(Source(data))
    assert img.kind == "bl602-ota" and img.details()["payload_present"] == 0  # type: ignore[attr-defined]
    with pytest.raises(TruncatedError) as e:
        ota.unpack(data)
    assert e.value.offset == 512


def test_bad_sha_and_bad_stream() -> None:
    data = bytearray(fx("small", "FW_OTA.bin.xz.ota"))
    data[600] ^= 1
    with pytest.raises(ChecksumError) as e:
        bo.OtaImage.parse(bytes(data))
    assert e.value.offset == 64
    lenient = bo.OtaImage.parse(bytes(data), strict=False)
    assert any("SHA-256" in p.message for p in lenient.problems())
    with pytest.raises(MagicError):
        bo.OtaHeader.parse(b"BL60X_OTA_Ver2.0" + bytes(600))
    bad_type = bytearray(fx("small", "FW_OTA.bin.xz.ota"))
    bad_type[16:20] = b"LZ4 "
    with pytest.raises(FormatError) as t:
        bo.OtaHeader.parse(bytes(bad_type))
    assert t.value.offset == 16


def test_decompression_is_bounded() -> None:
    with pytest.raises(LimitError):
        ota.unpack(fx("small", "FW_OTA.bin.xz.ota"), limit=1000)
    bomb = lzma.compress(b"BFNP" + bytes(3 << 20), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC32)
    with pytest.raises(LimitError):
        ota.unpack(bomb, limit=1 << 20)


def test_xz_info_facts_and_boot2_compatibility() -> None:
    info = bo.xz_info(fx("small", "FW_OTA.bin.xz"))
    assert (info.check, info.filters, info.dict_size, info.blocks) == ("crc32", ("lzma2",), 32768, 1)
    assert info.uncompressed_size == len(fx("small", "FW_OTA.bin")) and info.vendor_settings
    big = lzma.compress(fx("small", "FW_OTA.bin"), format=lzma.FORMAT_XZ, check=lzma.CHECK_CRC64)
    bi = bo.xz_info(big)
    assert bi.check == "crc64" and bi.dict_size == 8 << 20 and not bi.boot2_compatible
    x = bo.XzImage.parse(big, strict=False)
    assert any("boot2 cannot decompress" in p.message for p in x.problems())
    with pytest.raises(TruncatedError) as e:
        bo.xz_info(fx("small", "FW_OTA.bin.xz")[:5000], base=512)
    assert e.value.offset == 5512


def test_check_fits_and_fails_with_sizes() -> None:
    dump = real("full_binary_with_app_OpenBL602_1.18.57.bin")
    ok = ota.check(real("OpenBL602_1.17.551_OTA.bin.xz.ota"), dump)
    assert ok.ok and (ok.stream_size, ok.target_slot, ok.target_size) == (426776, 1, 0x88000)
    assert (ok.unpacked_size, ok.run_slot, ok.run_size) == (802640, 0, 0xC8000)
    assert ok.layout == "openbl602-2M" and "flash dump" in ok.table_source and ok.sw_version == "EVENT_V1.1.1"
    raw = ota.check(real("OpenBL602SDK_FW_OTA_6ae6541.bin.ota"), dump)
    assert not raw.ok and raw.target_size == 557056 and raw.stream_size == 668640
    assert any("557056" in p.message and "668640" in p.message for p in raw.problems)
    toml = ota.check(fx("small", "FW_OTA.bin.xz.ota"), fx("inputs", "partition_cfg_2M.toml"))
    assert toml.ok and toml.layout == "bflb-iot-tool-2M" and toml.table_source == "vendor partition TOML"


def test_check_compressed_stream_larger_than_slot1() -> None:
    small_slot = fx("inputs", "partition_cfg_2M.toml").decode().replace("size1 = 0x88000", "size1 = 0x1000")
    res = ota.check(fx("small", "FW_OTA.bin.xz.ota"), small_slot.encode())
    assert not res.ok and res.target_size == 0x1000
    assert any(
        p.message.startswith("XZ stream is 10616 bytes, larger than FW slot 1 (4096 bytes")
        for p in res.problems
    )
    with pytest.raises(LimitError, match="larger than FW slot 1"):
        ota.pack(fx("inputs", "fw_small.bin"), against=small_slot.encode())


def test_check_unpacked_larger_than_slot0_uses_the_index() -> None:
    toml = fx("inputs", "partition_cfg_2M.toml").decode().replace("size0 = 0xD8000", "size0 = 0x4000")
    res = ota.check(fx("small", "FW_OTA.bin.xz.ota"), toml.encode())
    assert not res.ok and res.unpacked_size == 24096 and res.run_size == 0x4000
    assert any("unpacked FW_OTA.bin is 24096 bytes, larger than FW slot 0" in p.message for p in res.problems)


def test_check_single_slot_layout() -> None:
    text = (
        real("bflb-iot-tool_partition_partition.bin.expected.txt")
        .decode()
        .split("## partition_cfg_1M.toml")[1]
    )
    res = ota.check(fx("small", "FW_OTA.bin.xz.ota"), text.encode())
    assert not res.ok and any("size1 = 0" in p.message for p in res.problems)


def test_check_against_a_dump_running_slot_1() -> None:
    dump = real("full_binary_with_app_OpenBL602_1.18.57.bin")
    flipped = with_table_copy(dump, 0xF000, age=1, fw_active=1)
    res = ota.check(fx("small", "FW_OTA.bin.xz.ota"), flipped)
    assert (res.target_slot, res.run_slot) == (0, 1) and "active copy 1" in res.table_source


def test_firmware_inputs() -> None:
    with pytest.raises(FormatError, match="already"):
        ota.firmware_from(fx("small", "FW_OTA.bin.xz.ota"))
    with pytest.raises(MismatchError, match="boot2"):
        ota.firmware_from(fx("small", "whole_img_boot2.bin"))
    with pytest.raises(FormatError):
        ota.firmware_from(b"")
    assert ota.firmware_from(fx("inputs", "fw_small.bin")).source == "bare"
    assert isinstance(ota.template_from(fx("small", "bootinfo.bin")), BootHeader)


@pytest.mark.parametrize("func", ["pack", "unpack", "check", "table"])
def test_bk_files_are_refused_plainly(func: str) -> None:
    pytest.importorskip("obkimg.formats.bk7231.image")
    qio = real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin").read_bytes()
    calls = {
        "pack": lambda: ota.pack(qio),
        "unpack": lambda: ota.unpack(qio),
        "check": lambda: ota.check(qio, fx("small", "partition.bin")),
        "table": lambda: ota.table_from(qio),
    }
    with pytest.raises(MismatchError) as e:
        calls[func]()
    assert e.value.message.startswith("this is a BK7231N QIO image, not ")


@settings(max_examples=25, deadline=None)
@given(st.binary(max_size=3000))
def test_pack_unpack_roundtrip_property(fw: bytes) -> None:
    fw = b"\x97\x21" + fw  # keep arbitrary bytes away from the OTA/XZ/BFNP magics
    res = ota.pack(fw, sw_version="1.2.3")
    back = ota.unpack(res.ota)
    assert back.fw_ota == res.fw_ota and back.image[: len(fw)] == fw and back.header is not None
    assert back.header.sw_version == "1.2.3"
    raw = ota.unpack(ota.pack(fw, raw=True).ota)
    assert raw.fw_ota == res.fw_ota and raw.compression == "raw"


@given(st.binary(max_size=800))
def test_garbage_ota_raises_only_obkimg_errors(data: bytes) -> None:
    for blob in (bo.OTA_MAGIC + data, b"\xfd7zXZ\x00" + data):
        with contextlib.suppress(ObkImgError):
            bo.OtaImage.parse(blob) if blob[:1] == b"B" else bo.XzImage.parse(blob)
        bo.detect(blob)


def test_ota_header_struct_size() -> None:
    assert bo.OTA_HEADER.sizeof() == 512 and struct.calcsize("<16s4sI8s16s16s32s416s") == 512


def test_verify_reports_each_problem_once() -> None:
    img = bo.load(Source(real("OpenBL602_1.17.551_OTA.bin.xz.ota_cutted")))
    found = img.verify()
    assert (
        len(found) == 1
        and found[0].offset == 0x64000
        and "XZ stream ends at offset 0x64000" in found[0].message
    )
