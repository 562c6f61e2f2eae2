"""FAL table, fingerprints, key classes, chip rules, bootloader encryption vectors.

Spec bk7231 §3.5 (bootloader encryption exceptions), §5.4 (FAL), §7 (detection).
"""

from __future__ import annotations

import hashlib

import pytest

from obkimg import bkdump as bi
from obkimg.bkchip import decide_chip
from obkimg.codecs import bkcipher, crcframe
from obkimg.errors import BuildError, MagicError, ObkImgError, TruncatedError
from obkimg.formats.bk7231.fal import FAL_ENTRY_SIZE, FalEntry, FalTable, find_fal
from obkimg.formats.bk7231.layout import (
    KNOWN_KEYS,
    classify_key,
    family_of_version,
    find_bootloader_version,
    fingerprint,
)
from tests.conftest import fixture_path, real_path

N_PLAIN = ("bk7231n", "bk7231n_bootloader.bin")
N_ENC = ("bk7231n", "bk7231n_bootloader_enc.bin")
T_PLAIN = ("bk7231t", "bk7231t_bootloader.bin")
T_ENC = ("bk7231t", "bk7231t_bootloader_enc.bin")


def read(*parts: str) -> bytes:
    return fixture_path(*parts).read_bytes()


# ------------------------------------------------------------------------------------ FAL
@pytest.mark.parametrize(
    "parts,offset,download",
    [
        (N_PLAIN, 0xE95C, 0x12A000),
        (N_ENC, 0xE95C, 0x12A000),
        (T_PLAIN, 0xDC24, 0x132000),
        (T_ENC, 0xDC50, 0x132000),
    ],
)
def test_fal_found_in_bootloaders(parts: tuple[str, str], offset: int, download: int) -> None:
    data = read(*parts)
    off, table = find_fal(data)
    assert off == offset
    assert [e.name for e in table.entries] == ["bootloader", "app", "download"]
    app, dl = table.get("app"), table.get("download")
    assert (app.offset, app.length, app.crc_framed) == (0x10000, 0x108700, True)
    assert app.physical_offset == 0x11000 and app.physical_end == 0x129F70
    assert (dl.offset, dl.length, dl.crc_framed) == (download, 0xA6000, False)
    assert table.build() == data[off : off + table.size]  # byte exact
    assert off + table.size == len(data)  # the table is the last 0xC0 bytes


def test_fal_keeps_garbage_and_reserved() -> None:
    raw = (
        b"01PE"
        + b"app\0junk".ljust(24, b"\0")
        + b"beken_onchip_crc".ljust(24, b"\0")
        + (0x10000).to_bytes(4, "little")
        + (0x110000).to_bytes(4, "little")
        + (0xE48592C9).to_bytes(4, "little")
    )
    e = FalEntry.parse(raw)
    assert (e.name, e.reserved) == ("app", 0xE48592C9)
    assert e.build() == raw
    fresh = FalEntry("app", "beken_onchip_crc", 0x10000, 0x110000, 0xE48592C9)
    assert fresh.build() != raw and FalEntry.parse(fresh.build()) == fresh


def test_fal_errors() -> None:
    with pytest.raises(MagicError) as ei:
        FalTable.parse(b"XXXX" + bytes(60), base=0x100)
    assert ei.value.offset == 0x100
    with pytest.raises(TruncatedError):
        FalEntry.parse(b"01PE" + bytes(20), base=0)
    with pytest.raises(BuildError):
        FalEntry("x" * 24, "beken_onchip", 0, 1).build()
    with pytest.raises(BuildError):
        FalTable(()).build()
    assert find_fal(b"\xff" * 1000) is None
    # "01PE" inside code text is not a table
    assert find_fal(b"abc01PEbootloader" + b"\0" * 100) is None


def test_fal_zero_key_order_reversed() -> None:
    data = real_path("bk7231n", "OpenBK7231N_SDK_bk7231n_bootloader_zero_keys.bin").read_bytes()
    off, table = find_fal(crcframe.unframe(data))
    assert [(e.name, e.offset, e.length) for e in table.entries] == [
        ("download", 0x132000, 0xAE000),
        ("app", 0x10000, 0x110000),
        ("bootloader", 0x0, 0x10000),
    ]
    assert table.size == FAL_ENTRY_SIZE * 3


# ------------------------------------------------------------------------------------ bootloader crypto
def test_n_enc_is_plain_encrypted_except_marker_and_fal() -> None:
    plain, enc = read(*N_PLAIN), read(*N_ENC)
    full = bkcipher.crypt(plain, bkcipher.KEY_TUYA, 0)
    diff = [i for i in range(len(enc)) if enc[i] != full[i]]
    expected = set(range(0x100, 0x108)) | set(range(0xE95C, 0xEA1C))
    assert set(diff) <= expected and len(diff) > 0xC0
    assert enc[0x100:0x108] == b"BK7231\0\0" == plain[0x100:0x108]
    assert enc[0xE95C:] == plain[0xE95C:]
    assert bi.encrypt_bootloader(plain) == enc
    assert bi.decrypt_bootloader(enc) == plain


def test_t_enc_layout() -> None:
    plain, enc = read(*T_PLAIN), read(*T_ENC)
    assert len(enc) == len(plain) + 44
    body = plain[:0xDC24] + b"\xff" * (0xDC40 - 0xDC24)
    assert enc[:0xDC40] == bkcipher.crypt(body, bkcipher.KEY_TUYA, 0)
    assert enc[0xDC40:0xDC50] == b"\xff" * 16
    assert enc[0xDC50:] == plain[0xDC24:]
    assert bi.encrypt_bootloader(plain) == enc
    assert bi.decrypt_bootloader(enc) == plain


def test_real_sdk_bootloaders_equal_fixtures() -> None:
    for name, fx in (
        ("TuyaSDK_bk7231n_bootloader.bin", N_PLAIN),
        ("TuyaSDK_bk7231n_bootloader_enc.bin", N_ENC),
    ):
        assert real_path("bk7231n", name).read_bytes() == read(*fx), "mismatch"
    for name, fx in (
        ("TuyaSDK_bk7231t_bootloader.bin", T_PLAIN),
        ("TuyaSDK_bk7231t_bootloader_enc.bin", T_ENC),
    ):
        assert real_path("bk7231t", name).read_bytes() == read(*fx), "mismatch"


def test_encrypt_bootloader_rules() -> None:
    from tests.bk7231_images import _synth

    plain = _synth.bootloader()
    assert bi.encrypt_bootloader(plain, "zero") == plain
    enc = bi.encrypt_bootloader(plain, "uascent")
    assert enc[0x100:0x108] == b"BK7231\0\0" and enc[-0xC0:] == plain[-0xC0:] and enc[:8] != plain[:8]
    assert bi.decrypt_bootloader(enc, "uascent") == plain
    with pytest.raises(BuildError):
        bi.encrypt_bootloader(b"\x00" * 64)
    with pytest.raises(BuildError):
        bi.encrypt_bootloader(plain, style="x")


def test_zero_keys_bootloader_file() -> None:
    data = real_path("bk7231n", "OpenBK7231N_SDK_bk7231n_bootloader_zero_keys.bin").read_bytes()
    assert hashlib.sha256(data).hexdigest().startswith("12371e41")
    img = bi.analyze(data)
    # the zero-key N bootloader serves BK7231N, BK7231M and BL2028N boards: the file cannot tell which
    assert img.kind == "bk7231-bootloader" and img.chip is None
    assert img.chip_candidates == ["BK7231N", "BK7231M", "BL2028N"]
    b = img.bootloader
    assert b.framed and b.key_class == "zero" and img.boot.marker
    assert b.trailer.offset == 0xFE9A and b.trailer.header.version == "2M.1220" and b.payload_crc_ok
    assert b.image_size == b.trailer.header.size_raw == 0xD51C
    assert not b.frame.bad_offsets and img.ok
    assert img.boot.fal_download == (0x132000, 0xAE000)
    assert img.build() == data  # re-framed image + re-encoded trailer and FAL


# ------------------------------------------------------------------------------------ fingerprints, keys
def test_fingerprints_of_encrypted_bootloaders() -> None:
    n = crcframe.frame(read(*N_ENC)[:288])
    t = crcframe.frame(read(*T_ENC)[:288])
    assert fingerprint(n).name == "BK7231N 1.0.1"
    assert fingerprint(t).name == "BK7231S 1.0.5" and fingerprint(t).chip == "BK7231T"
    assert fingerprint(crcframe.frame(read(*N_PLAIN)[:288])) is None
    assert fingerprint(b"\0" * 100) is None


def test_key_classes() -> None:
    vec = bytes.fromhex("0e0000ea14f09fe5")
    assert classify_key(vec, 0x10000)[0] == "zero"
    assert classify_key(bytes.fromhex("2f07b59435ff2a9b"), 0x10000) == ("tuya", bkcipher.KEY_TUYA)
    for name, key in KNOWN_KEYS:
        assert classify_key(bkcipher.crypt(vec, key, 0x10000), 0x10000)[0] == name
        assert classify_key(bkcipher.crypt(vec, key, 0), 0)[0] == name
    assert classify_key(bytes(8), 0x10000) == ("unknown", None)
    assert classify_key(b"\x0e", 0) == ("unknown", None)


def test_versions() -> None:
    assert find_bootloader_version(read(*N_PLAIN)) == "BK7231N_1.0.1"
    assert find_bootloader_version(read(*T_PLAIN)) == "BK7231S_1.0.5"
    assert find_bootloader_version(b"xxBK7231n\0_1.0.13\0") == "BK7231n_1.0.13"
    assert family_of_version("BK7231n_1.0.13") == "N" and family_of_version("BK7231S_1.0.5") == "T"
    assert family_of_version(None) is None and find_bootloader_version(b"nothing") is None


# a chip is named only when the evidence leaves one (issue 10): a zero key with the N marker is BK7231N,
# BK7231M or BL2028N; an N version string alone is the N family; a Tuya key without the marker is T or N
# (the marker's absence proves nothing); the Beken SDK QIO layout fits BK7231U, BK7238, BK7252(N) and
# the N family
@pytest.mark.parametrize(
    "kw,chip",
    [
        ({"marker": True, "key_class": "tuya"}, "BK7231N"),
        ({"marker": True, "key_class": "zero"}, None),
        ({"marker": True, "key_class": "uascent"}, "BL2028N"),
        ({"marker": False, "version": "BK7231n_1.0.13", "key_class": "unknown"}, None),
        ({"marker": False, "version": "BK7231S_1.0.5"}, None),  # the T/U silicon: only the Tuya key says T
        ({"marker": False, "version": "BK7231S_1.0.5", "key_class": "tuya"}, "BK7231T"),
        ({"marker": False, "key_class": "tuya"}, None),
        ({"marker": False, "key_class": "zero", "fal_download": (0x132000, 0xCC000)}, "BK7231Q"),
        ({"marker": False, "key_class": "zero", "plain_u_layout": True}, None),
        ({"marker": False, "key_class": "zero"}, None),
    ],
)
def test_decide_chip(kw: dict[str, object], chip: str | None) -> None:
    args = {"fp": None, "marker": False, "version": None, "key_class": None, "fal_download": None}
    args.update(kw)
    got, reason = decide_chip(**args)  # type: ignore[arg-type]
    assert got == chip and isinstance(reason, str) and reason


def test_tuya_kv_locator_constant() -> None:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    enc = Cipher(algorithms.AES(b"qwertyuiopasdfgh"), modes.ECB()).encryptor()
    assert enc.update(b"\xff" * 16) + enc.finalize() == bi.TUYA_KV_FF_BLOCK


def test_decrypt_bootloader_plain_passthrough() -> None:
    plain = read(*N_PLAIN)
    assert bi.decrypt_bootloader(plain) == plain
    with pytest.raises(ObkImgError):
        bi.encrypt_bootloader(b"\x12" * 40)
