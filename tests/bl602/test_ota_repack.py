"""Issue 10: re-packing an OTA gives back its bytes (vendor data in the OTA header kept), the real XZ stream
size in size errors, and ota.pack / ota.check / ota.unpack take paths and file objects like obkimg.open."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pytest

from obkimg import ota
from obkimg.errors import FormatError, LimitError, ObkImgError
from obkimg.formats.bl602 import ota as bo
from tests.bl602._helpers import real
from tests.bl602.test_ota import REAL_OTA
from tests.conftest import validate_schema
from tests.hardening._cli import run

#: what a Zengge/MagicHome OpenBL602 build is said to carry at 0x100 of its OTA header (issue 10)
VENDOR = b'{"enc":0,"force":"true"}'
#: a synthetic bare image (no vendor code; packed with bflb-iot-tool's generic boot header)
BARE = bytes(range(256)) * 48 + b"synthetic image tail"

TABLE_TOML = """[pt_table]
address0 = 0xE000
address1 = 0xF000

[[pt_entry]]
type = 0
name = "FW"
device = 0
address0 = 0x10000
size0 = 0xC8000
address1 = 0xD8000
size1 = {size1}
len = 0
"""


def _with_vendor_data(ota_file: bytes, at: int = 0x100, data: bytes = VENDOR) -> bytes:
    out = bytearray(ota_file)
    out[at : at + len(data)] = data
    return bytes(out)


@pytest.fixture(scope="module")
def vendor_ota() -> bytes:
    return _with_vendor_data(ota.pack(BARE, unpacked_len=True).ota)


def test_vendor_data_is_reported(vendor_ota: bytes) -> None:
    hdr = bo.OtaHeader.parse(vendor_ota)
    assert hdr.unpacked_len == len(ota.unpack(vendor_ota).fw_ota)  # the u32 at 0x60 is still read
    assert hdr.vendor_data == (0x100, len(VENDOR))
    doc = hdr.to_dict()
    assert doc["tail"] == "data" and doc["vendor_data"] == {"offset": 0x100, "size": len(VENDOR)}
    img = bo.OtaImage.parse(vendor_ota)
    assert any("vendor data" in line for line in img.describe())


def test_repack_keeps_vendor_data_library(vendor_ota: bytes) -> None:
    un = ota.unpack(vendor_ota)
    assert un.header is not None and un.header.build() == vendor_ota[:512]
    boot, hdr = ota.templates_from(vendor_ota)
    assert boot is not None and hdr is not None
    assert ota.pack(un.fw_ota, template=boot, ota_header=hdr).ota == vendor_ota
    assert ota.pack(un.image, template=boot, ota_header=hdr).ota == vendor_ota  # from the bare image too
    # without the original header the vendor data is gone (what the issue saw)
    assert ota.pack(un.fw_ota, unpacked_len=True).ota != vendor_ota
    # another firmware: vendor data kept, unpacked_len and hashes updated
    other = ota.pack(BARE + b"more", template=boot, ota_header=hdr)
    oh = bo.OtaHeader.parse(other.ota)
    assert other.ota[0x100 : 0x100 + len(VENDOR)] == VENDOR
    assert oh.unpacked_len == len(other.fw_ota) and oh.sha256 == hashlib.sha256(other.payload).digest()
    # explicit arguments override the original's
    again = ota.pack(un.fw_ota, ota_header=hdr, sw_version="MINE", raw=True)
    mine = bo.OtaHeader.parse(again.ota)
    assert mine.sw_version == "MINE" and mine.compression == "raw"
    assert mine.vendor_data == (0x100, len(VENDOR))


def test_repack_keeps_vendor_data_cli(tmp_path: Path, vendor_ota: bytes) -> None:
    orig = tmp_path / "orig.xz.ota"
    orig.write_bytes(vendor_ota)
    fw, hdr, out, out2 = (tmp_path / n for n in ("fw.bin", "hdr.bin", "re.xz.ota", "re2.xz.ota"))
    r = run("ota", "unpack", str(orig), "-o", str(fw), "--header-out", str(hdr), outputs=[fw, hdr])
    assert r.code == 0 and "vendor data" in r.err
    assert hdr.read_bytes() == vendor_ota[:512]
    assert run("ota", "pack", str(fw), "-o", str(out), "--header-from", str(orig), outputs=[out]).code == 0
    assert out.read_bytes() == vendor_ota
    assert run("ota", "pack", str(fw), "-o", str(out2), "--header-from", str(hdr), outputs=[out2]).code == 0
    assert out2.read_bytes() == vendor_ota
    r = run("info", str(orig), "--json")
    doc = json.loads(r.stdout)
    validate_schema(doc, "info.v1")
    assert doc["details"]["header"]["vendor_data"] == {"offset": 0x100, "size": len(VENDOR)}


def test_header_out_needs_an_ota_header(tmp_path: Path) -> None:
    xz = tmp_path / "fw.xz"
    xz.write_bytes(ota.pack(BARE).payload)
    r = run("ota", "unpack", str(xz), "-o", str(tmp_path / "fw"), "--header-out", str(tmp_path / "h"))
    assert r.code == 2 and "no OTA header" in r.err


@pytest.mark.parametrize("name", REAL_OTA)
def test_real_ota_repacks_to_its_bytes(tmp_path: Path, name: str) -> None:
    data = real(name)
    src = tmp_path / name
    src.write_bytes(data)
    fw = tmp_path / "FW_OTA.bin"
    out = tmp_path / "re.ota"
    assert run("ota", "unpack", str(src), "-o", str(fw), outputs=[fw]).code == 0
    r = run("ota", "pack", str(fw), "-o", str(out), "--header-from", str(src), outputs=[out])
    assert r.code == 0, r.err
    assert hashlib.sha256(out.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()


def test_real_zengge_header_is_reproduced() -> None:
    """The real Zengge/MagicHome header: OpenBeken's unpacked_len at 0x60 and 0xFF from 0x64 (no JSON at
    0x100, unlike what the issue says); its SHA-256 is that of the XZ of OpenBL602_dev_20260625_142543."""
    hdr_bytes = real("bl602_zengge_ota_header.bin")
    hdr = bo.OtaHeader.parse(hdr_bytes)
    assert hdr.vendor_data is None and hdr.unpacked_len == 790560
    _, tmpl = ota.templates_from(hdr_bytes)
    res = ota.pack(real("OpenBL602_dev_20260625_142543_OTA.bin"), ota_header=tmpl)
    assert res.ota[:512] == hdr_bytes and len(res.payload) == hdr.length


# -- the size error names the XZ stream's real size --------------------------------------------------


def test_pack_against_reports_the_xz_stream_size() -> None:
    table = TABLE_TOML.format(size1="0x100").encode()
    res = ota.pack(BARE)
    assert 0x100 < len(res.payload) < len(res.fw_ota)
    with pytest.raises(LimitError) as ei:
        ota.pack(BARE, against=table)
    msg = str(ei.value)
    assert f"XZ stream is {len(res.payload)} bytes" in msg
    assert len(res.payload) != len(res.fw_ota) and f"XZ stream is {len(res.fw_ota)} bytes" not in msg


def test_pack_against_too_large_for_both_slots_names_each_size() -> None:
    big = bytes(range(256)) * 4096 * 4  # 4 MiB, compresses well
    table = TABLE_TOML.format(size1="0x88000").encode()
    with pytest.raises(LimitError) as ei:
        ota.pack(big, against=table)
    msg = str(ei.value)
    fw_len = len(ota.firmware_from(big).fw_ota)
    assert f"unpacked FW_OTA.bin is {fw_len} bytes" in msg
    assert f"XZ stream is {fw_len} bytes" not in msg  # the stream fits slot 1; it is not the unpacked size


# -- paths and file objects, only ObkImgError --------------------------------------------------------


def test_pack_check_unpack_take_paths_and_file_objects(tmp_path: Path) -> None:
    fw = tmp_path / "fw.bin"
    fw.write_bytes(BARE)
    table = tmp_path / "partition.toml"
    table.write_text(TABLE_TOML.format(size1="0x88000"))
    expected = ota.pack(BARE).ota
    assert ota.pack(str(fw)).ota == expected
    assert ota.pack(fw).ota == expected
    with open(fw, "rb") as f:
        assert ota.pack(f).ota == expected
    packed = tmp_path / "fw.xz.ota"
    packed.write_bytes(expected)
    for make in (lambda: str(packed), lambda: packed, lambda: io.BytesIO(expected), lambda: expected):
        assert ota.check(make(), table).ok
        assert ota.unpack(make()).fw_ota == ota.unpack(expected).fw_ota
    with open(table, "rb") as t:
        assert ota.check(packed, t).ok
    assert ota.pack(fw, against=str(table)).check is not None


@pytest.mark.parametrize(
    "bad",
    [12, None, 3.5, ["fw.bin"], io.StringIO("text mode"), "no/such/file.bin", Path("/")],
    ids=["int", "none", "float", "list", "text-io", "missing", "folder"],
)
def test_bad_inputs_raise_only_obkimg_errors(bad: object) -> None:
    for call in (
        lambda: ota.pack(bad),  # type: ignore[arg-type]
        lambda: ota.unpack(bad),  # type: ignore[arg-type]
        lambda: ota.check(bad, TABLE_TOML.format(size1="0x88000").encode()),  # type: ignore[arg-type]
        lambda: ota.check(ota.pack(BARE).ota, bad),  # type: ignore[arg-type]
        lambda: ota.templates_from(bad),  # type: ignore[arg-type]
    ):
        with pytest.raises(ObkImgError):
            call()


def test_bad_version_type_is_a_build_error() -> None:
    with pytest.raises(ObkImgError):
        ota.pack(BARE, sw_version=5)  # type: ignore[arg-type]
    with pytest.raises(FormatError):
        ota.template_from(real("bl602_zengge_ota_header.bin"))  # a header alone has no boot header
