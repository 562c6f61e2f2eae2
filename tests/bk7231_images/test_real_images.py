"""Real QIO files, 2 MiB dumps and bootloaders: kind and chip from metadata.json, rebuilds, lengths, damage.

Never prints secrets: dumps are compared by structure and hashes only.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import obkimg
from obkimg import bkdump as bi
from obkimg.codecs import bkcipher, crcframe
from obkimg.errors import ObkImgError, TruncatedError
from tests.conftest import REAL, real_path

MINE = set(bi.KINDS)
FAMILY_CHIP = {"bk7231n": "BK7231N", "bk7231t": "BK7231T"}


def _records() -> list[dict[str, object]]:
    meta = REAL / "metadata.json"
    if not meta.exists():
        return []
    return [r for r in json.loads(meta.read_text()) if str(r["file"]).startswith(("bk7231n/", "bk7231t/"))]


def _expected_kind(kind: str) -> str | None:
    k = kind.lower()
    if k.startswith("full dump"):
        return "bk7231-dump"
    if "qio image" in k:
        return "bk7231-qio"
    if k.startswith("bootloader"):
        return "bk7231-bootloader"
    return None  # UG / KV / config extracts belong to other formats


RECORDS = _records()


@pytest.mark.skipif(not RECORDS, reason="../shared/fixtures/real is not present")
@pytest.mark.parametrize("rec", RECORDS, ids=[str(r["file"]) for r in RECORDS])
def test_identified_from_metadata(rec: dict[str, object]) -> None:
    path = REAL / str(rec["file"])
    img = obkimg.open(path)
    want = _expected_kind(str(rec["kind"]))
    if want is None:
        assert img.kind not in MINE
        found = bi.detect(gz_or_raw(path))
        assert not found or all(d.confidence < 60 for d in found)
        return
    assert img.kind == want
    if want == "bk7231-bootloader" and img.chip is None:
        # a plain (or zero-key) N-family bootloader says nothing of the code key, and BK7231N, BK7231M and
        # BL2028N differ only in it: the truth is the family, never one guessed name (issue 10)
        # likewise a plain Tuya T bootloader ("BK7231S_1.0.5") is the T/U silicon: only the Tuya key says T
        if rec["family"] == "bk7231t":
            assert img.chip_candidates == ["BK7231T", "BK7231U"]
        else:
            assert rec["family"] == "bk7231n" and img.chip_candidates == ["BK7231N", "BK7231M", "BL2028N"]
        assert img.bootloader is not None and img.bootloader.key_class == "zero"
    else:
        assert img.chip == FAMILY_CHIP[str(rec["family"])]
    assert img.chip_reason
    assert img.build() == img.data  # parse -> build is byte exact
    if want != "bk7231-bootloader":
        assert img.ok, [str(p) for p in img.problems()]  # intact images: every CRC block valid
        assert img.key_class == "tuya" and img.app is not None and img.app.decrypt_ok
        assert img.layout is not None


def gz_or_raw(path: Path) -> bytes:
    from obkimg.source import load

    return load(path).data


def _qio(name: str) -> bytes:
    fam = "bk7231n" if "7231N" in name else "bk7231t"
    return real_path(fam, name).read_bytes()


@pytest.mark.parametrize(
    "name,length,layout,trailer",
    [
        ("OpenBK7231N_QIO_1.18.300.bin", 828273, "bk7231n", 0x129F0A),
        ("OpenBK7231T_QIO_1.18.300.bin", 794457, "bk7231t-obk", 0xFFF9A),
    ],
)
def test_obk_qio(name: str, length: int, layout: str, trailer: int) -> None:
    data = _qio(name)
    img = bi.analyze(data)
    assert img.kind == "bk7231-qio" and img.layout.name == layout and img.ok
    assert img.app.trailer.offset == trailer
    assert bi.recover_app_length(img) == length
    plain = bi.decrypt_app(img)
    assert len(plain) == length and plain[:8] == bytes.fromhex("0e0000ea14f09fe5")
    assert bi.app_identity(plain)["text"].endswith(" 1.18.300")
    # byte-identical rebuild from bootloader image, app image and the two headers
    parts = bi.split_qio(data)
    assert bi.build_qio(parts) == data
    # ... and the app image is exactly what Beken encrypt v0.3.1 makes of the recovered plain app
    assert bkcipher.beken_encrypt_v031(plain, bkcipher.KEY_TUYA) == parts.app
    # the headers agree with the rules of spec §4.3 (only timestamp and version garbage are not derivable)
    from obkimg.formats.bk7231.rbl import RblHeader

    for image, hdr in ((parts.app, parts.app_rbl), (parts.bootloader, parts.bootloader_rbl)):
        fresh = RblHeader.for_flash_image(image, name=hdr.name, version=hdr.version, timestamp=hdr.timestamp)
        assert (fresh.crc32, fresh.hash, fresh.size_raw, fresh.size_package) == (
            hdr.crc32,
            hdr.hash,
            hdr.size_raw,
            hdr.size_package,
        )
    assert not img.verify()


def test_qio_bootloader_region_is_framed_enc_bootloader() -> None:
    data = _qio("OpenBK7231N_QIO_1.18.300.bin")
    from tests.conftest import fixture_path

    enc = fixture_path("bk7231n", "bk7231n_bootloader_enc.bin").read_bytes()
    framed = crcframe.frame(enc)
    assert data[: len(framed)] == framed
    assert data[len(framed) : 0x10F9A] == b"\xff" * (0x10F9A - len(framed))


def test_build_qio_from_plain_parts_matches_real() -> None:
    """Plain app + plain Tuya bootloader → the real QIO, except the trailers' timestamp/version garbage."""
    from tests.conftest import fixture_path

    data = _qio("OpenBK7231N_QIO_1.18.300.bin")
    parts = bi.split_qio(data)
    plain_boot = fixture_path("bk7231n", "bk7231n_bootloader.bin").read_bytes()
    out = bi.build_qio_from_app(
        bi.decrypt_app(data), plain_boot, version="1.00", timestamp=parts.app_rbl.timestamp
    )
    assert len(out) == len(data)
    diff = [i for i in range(len(data)) if data[i] != out[i]]
    trailers = set(range(0x10F9A, 0x11000)) | set(range(0x129F0A, 0x129F70))
    assert diff and set(diff) <= trailers


@pytest.mark.parametrize("name", ["OpenBK7231N_QIO_1.18.300.bin", "OpenBK7231T_QIO_1.18.300.bin"])
def test_qio_ua_qio(name: str) -> None:
    from obkimg.convert import qio_to_ua, ua_to_qio

    data = _qio(name)
    ua = qio_to_ua(data)
    assert ua == data[0x11000:]
    ua_img = bi.analyze(ua)
    assert ua_img.kind == "bk7231-ua" and ua_img.ok and ua_img.chip == bi.analyze(data).chip
    assert ua_to_qio(ua, data) == data
    # trimmed UA: only the framed app; back to QIO differs in the app trailer bytes only
    trimmed = qio_to_ua(data, trim=True)
    img = bi.analyze(data)
    assert trimmed == data[0x11000 : 0x11000 + img.app.size]
    assert bi.analyze(trimmed).kind == "bk7231-ua"
    back = ua_to_qio(trimmed, data)
    assert len(back) == len(data)
    t = img.app.trailer.offset
    assert back[:t] == data[:t]
    back_img = bi.analyze(back)
    assert back_img.ok and back_img.app.trailer.header.crc32 == img.app.trailer.header.crc32


def test_ua_to_qio_refuses_mismatches() -> None:
    from obkimg.convert import qio_to_ua, ua_to_qio
    from obkimg.errors import MismatchError

    n_qio, t_qio = _qio("OpenBK7231N_QIO_1.18.300.bin"), _qio("OpenBK7231T_QIO_1.18.300.bin")
    t_ua = qio_to_ua(t_qio)
    with pytest.raises(MismatchError, match="chip mismatch.*BK7231N.*BK7231T"):
        ua_to_qio(t_ua, n_qio)
    forced = ua_to_qio(t_ua, n_qio, allow_mismatch=True)
    assert forced[:0x11000] == n_qio[:0x11000] and forced[0x11000:] == t_ua
    # wrong key: a zero-key N bootloader (framed SDK file) with a Tuya-key app
    zero = real_path("bk7231n", "OpenBK7231N_SDK_bk7231n_bootloader_zero_keys.bin").read_bytes()
    with pytest.raises(MismatchError, match="key mismatch.*zero.*tuya"):
        ua_to_qio(qio_to_ua(n_qio), zero)
    # a dump as the bootloader source (same chip and key) is fine
    dump = real_path("bk7231t", "Brilo_8464455_Ceiling_Light.bin").read_bytes()
    out = ua_to_qio(t_ua, dump)
    assert out[:0x11000] == dump[:0x11000] and bi.analyze(out).ok


def test_dump_regions() -> None:
    img = obkimg.open(real_path("bk7231n", "Mirabella_Genio_I003632_Plug.bin"))
    names = {r.name: r for r in img.regions()}
    for name in ("bootloader", "bootloader-rbl", "fal", "app", "app-rbl", "download", "rf", "tuya-kv"):
        assert name in names, name
    assert names["bootloader-rbl"].offset == 0x10F9A and names["app-rbl"].offset == 0x129F0A
    assert names["fal"].offset == 0xF7F0 and names["app"].offset == 0x11000
    assert names["download"].offset == 0x12A000 and names["download"].state == "erased"
    assert names["rf"].offset == 0x1D0000 and names["rf"].state == "valid"
    assert names["tuya-kv"].offset == 0x1EE000
    d = img.details()
    assert d["layout"] == "bk7231n" and d["rf"]["mac"] and len(d["rf"]["mac"]) == 17
    assert d["bootloader"]["version"] == "BK7231N_1.0.1"
    assert d["app"]["identity"]["platform"] == "bk7231n"
    # top-level regions tile the file without overlap
    top = sorted((r for r in img.regions() if r.name not in ("fal",)), key=lambda r: r.offset)
    assert top[0].offset == 0 and top[-1].end == img.size
    assert all(a.end == b.offset for a, b in zip(top, top[1:], strict=False))


def test_rotated_dump() -> None:
    data = real_path("bk7231t", "Lepro_WiFi_Smart_Bulb_GU10_RGBW_902002-eu-2.bin").read_bytes()
    img = bi.analyze(data)
    assert img.kind == "bk7231-dump" and img.rotation == 0x11000 and img.chip == "BK7231T"
    # one offset convention (issue 10): flash addresses, each region's file offset in its detail
    names = {r.name: r for r in img.regions()}
    assert (
        names["bootloader"].offset == 0 and names["bootloader"].detail["file_offset"] == len(data) - 0x11000
    )
    assert names["app"].offset == 0x11000 and names["app"].detail["file_offset"] == 0
    assert (
        names["app-rbl"].offset == 0x129F0A and names["app-rbl"].detail["file_offset"] == 0x129F0A - 0x11000
    )
    assert names["tuya-kv"].offset == 0x1EE000
    assert (
        img.problems()[0].message.startswith("dump is rotated")
        and "flash addresses" in img.problems()[0].message
    )
    flash = img.flash()
    assert all(
        flash[r.offset : r.end] == data[r.detail["file_offset"] : r.detail["file_offset"] + r.size]
        for r in img.regions()
        if r.end <= len(data) and r.detail["file_offset"] + r.size <= len(data)
    )
    assert img.flash()[:0x11000] == data[-0x11000:]
    assert img.build() == data


def test_no_app_trailer_dump() -> None:
    """TuyaOS 3.3 dump: app written after an OTA without an in-flash trailer; still fully valid."""
    img = bi.analyze(
        real_path("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin").read_bytes()
    )
    assert img.app.trailer is None and img.ok and img.app.decrypt_ok
    assert any("no app RBL trailer" in p.message for p in img.problems())


# ------------------------------------------------------------------------------------ damage
def test_bit_flip_in_app_reports_block() -> None:
    data = bytearray(_qio("OpenBK7231N_QIO_1.18.300.bin"))
    flip = 0x11000 + 34 * 1000 + 5
    data[flip] ^= 0x40
    img = bi.analyze(bytes(data))
    app = next(r for r in img.regions() if r.name == "app")
    assert app.state == "bad-crc" and not img.ok
    assert [p.offset for p in app.problems if p.severity == "error"] == [0x11000 + 34 * 1000]
    errs = img.verify()
    assert any(p.offset == 0x11000 + 34 * 1000 for p in errs)
    # the app trailer's CRC-32 no longer matches either
    assert img.app.payload_crc_ok is False
    assert img.build() != bytes(data)  # build re-frames: the flipped byte keeps, the CRC is recomputed


def test_bit_flip_in_trailer_and_bootloader() -> None:
    data = bytearray(_qio("OpenBK7231T_QIO_1.18.300.bin"))
    data[0xFFF9A + 40] ^= 1  # inside the app trailer's first block (own framing, off the global grid)
    data[0x200] ^= 0x80  # bootloader block 15
    img = bi.analyze(bytes(data))
    regs = {r.name: r for r in img.regions()}
    assert regs["app-rbl"].state == "bad-crc"
    assert 0xFFF9A + 34 in [p.offset for p in regs["app-rbl"].problems]
    assert regs["bootloader"].state == "bad-crc"
    assert [p.offset for p in regs["bootloader"].problems] == [0x200 // 34 * 34]


@pytest.mark.parametrize("cut", [0x8000, 0x11000 + 34 * 10 + 7, 0x80000, 0x129F70 - 50])
def test_truncated_qio(cut: int) -> None:
    data = _qio("OpenBK7231N_QIO_1.18.300.bin")[:cut]
    img = obkimg.open(data)
    assert img.kind == ("bk7231-bootloader" if cut < 0x11000 else "bk7231-qio")
    if cut >= 0x11000:
        assert not img.ok or any(p.severity == "error" for p in img.problems())
    with pytest.raises(TruncatedError) as ei:
        bi.split_qio(data)
    assert ei.value.offset == cut


def test_truncated_mid_block_problem_offset() -> None:
    cut = 0x11000 + 34 * 10 + 7
    img = bi.analyze(_qio("OpenBK7231N_QIO_1.18.300.bin")[:cut])
    app = next(r for r in img.regions() if r.name == "app")
    assert any(p.offset == 0x11000 + 34 * 10 for p in app.problems)


def test_garbage_and_errors() -> None:
    with pytest.raises(ObkImgError):
        bi.analyze(b"\x00" * 5000)
    with pytest.raises(ObkImgError):
        bi.decrypt_app(bi.analyze(_qio("OpenBK7231N_QIO_1.18.300.bin")), key="uascent")
    with pytest.raises(ObkImgError):
        bi.app_image(real_path("bk7231n", "TuyaSDK_bk7231n_bootloader.bin").read_bytes())


def test_dump_hashes_untouched() -> None:
    """Analysis never modifies its input (the real dumps stay byte-identical)."""
    p = real_path("bk7231n", "Feconn_FE-MR16-5W_GU5.3_RGBCT_Bulb.bin")
    before = hashlib.sha256(p.read_bytes()).hexdigest()
    img = obkimg.open(p)
    assert hashlib.sha256(img.data).hexdigest() == before
