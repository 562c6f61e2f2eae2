"""Every file of ../shared/fixtures/bl602 is accounted for: parsed and rebuilt byte for byte, or rebuilt from
the inputs with the vendor's rules; the tool's build.log agrees with the hashes and CRCs we compute."""

from __future__ import annotations

import hashlib
import re
import struct
from pathlib import Path

import pytest

from obkimg import ota
from obkimg.formats.bl602 import bootheader as bh
from obkimg.formats.bl602 import dtb as bd
from obkimg.formats.bl602 import efuse as be
from obkimg.formats.bl602 import flash as bf
from obkimg.formats.bl602 import ota as bo
from obkimg.formats.bl602 import partitions as bp
from tests.bl602._helpers import fx
from tests.conftest import FIXTURES


def _check(rel: str) -> None:
    data = fx(*rel.split("/"))
    name = rel.split("/")[-1]
    case = rel.split("/")[0]
    if name.endswith(".ota"):
        img = bo.OtaImage.parse(data)
        assert img.build() == data
        fw = bh.fw_ota_bin(fx("inputs", {"small": "fw_small.bin", "odd": "fw_odd.bin"}[case]))
        assert img.firmware == fw and ota.pack(fw, raw=img.header.compression == "raw").ota == data
    elif name.endswith((".xz", ".xz.hash")):
        x = bo.XzImage.parse(data)
        assert (
            x.firmware == fx("small", "FW_OTA.bin")
            and bo.xz_compress(x.firmware) + (hashlib.sha256(data[:-32]).digest() if x.hash_trailer else b"")
            == data
        )
    elif name in (
        "FW_OTA.bin",
        "FW_OTA.bin.hash",
        "whole_img.bin",
        "whole_img_boot2.bin",
        "bootinfo.bin",
        "bootinfo_boot2.bin",
        "whole_img_mcu.bin",
    ):
        img = bh.BootImage.parse(data)
        assert img.build() == data and img.rebuilt() == data
    elif name == "img.bin":
        fw = fx("inputs", {"small": "fw_small.bin", "odd": "fw_odd.bin", "add16": "fw_4k.bin"}[case])
        assert bh.prepare_image(fw) == data
    elif name == "img_withhash.bin":
        assert data == fx("small", "img.bin") + hashlib.sha256(fx("small", "img.bin")).digest()
    elif name in ("partition.bin", "pt_test.bin"):
        assert bp.PartitionTable.parse(data).build() == data
    elif name == "ro_params.dtb":
        assert bd.DtbImage.parse(data).build() == data and bd.Fdt.parse(data).build() == data
    elif name.startswith("efusedata"):
        assert be.EfuseImage.parse(data).build() == data
    elif name == "whole_flash_data.bin":
        d = bf.FlashDump.parse(data)
        assert d.build() == data and d.ok
    elif case == "inputs" or name in ("build.log", "README.md"):
        assert data  # inputs are fed to the builders in the other tests; build.log is checked below
    else:  # pragma: no cover - a new fixture appeared: this test must learn it
        raise AssertionError(f"unhandled fixture {rel}")


def _fixture_files() -> list[str]:
    root = FIXTURES / "bl602"
    if not root.exists():
        return []
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("rel", _fixture_files())
def test_every_fixture(rel: str) -> None:
    _check(rel)


def test_build_log_agrees() -> None:
    log = fx("small", "build.log").decode()
    hashes = re.findall(r"Image hash is b'([0-9a-f]{64})'", log)
    assert hashes[0] == hashlib.sha256(b"").hexdigest()
    assert hashes[1] == hashlib.sha256(fx("inputs", "boot2_isp_release.bin")).hexdigest()
    fw_header = bh.BootHeader.parse(fx("small", "bootinfo.bin"))
    assert hashes[2] == fw_header.hash.hex()
    crc = re.search(r"Header crc: b'([0-9a-f]{8})'", log)
    assert crc is not None and bytes.fromhex(crc.group(1)) == struct.pack("<I", fw_header.crc or 0)
    assert "FW OTA bin is Done. Len is 24096" in log and "OTA XZ file len = 10616" in log
    table = bp.PartitionTable.parse(fx("small", "partition.bin"))
    assert f"Partition len = {table.firmware.size1}" in log


def test_fixture_listing_is_not_empty() -> None:
    if not (FIXTURES / "bl602").exists():
        pytest.skip("../shared/fixtures is not present")
    assert len(_fixture_files()) > 30 and Path(FIXTURES / "bl602" / "README.md").exists()
