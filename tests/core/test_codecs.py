"""Codecs: CRC-16/CMS framing, the Beken cipher for any key, encrypt v0.3.1 model, bounded decompression."""

from __future__ import annotations

import gzip
import hashlib
import lzma

import pytest

from obkimg.codecs import bkcipher, crcframe
from obkimg.codecs.checksums import crc16_cms, fnv1a32, sum32
from obkimg.codecs.compress import gunzip, xz_decompress
from obkimg.errors import ChecksumError, FormatError, LimitError, TruncatedError
from tests.conftest import fixture_path


def read(name: str) -> bytes:
    return fixture_path("bk7231", name).read_bytes()


def test_crc16_cms_catalogue_values() -> None:
    assert crc16_cms(b"123456789") == 0xAEE7
    assert crc16_cms(b"\xff" * 32) == 0x000C
    assert crc16_cms(bytes(32)) == 0x8029
    assert crc16_cms(bytes(range(32))) == 0x259D


def test_fnv_and_sum() -> None:
    assert fnv1a32(b"") == 0x811C9DC5
    assert fnv1a32(b"a") == 0xE40C292C
    assert sum32(b"\xff" * 3) == 765


def test_frame_matches_ltchiptool_vector() -> None:
    assert crcframe.frame(read("app_enc_0x10000.bin")) == read("app_enc_crc_0x10000.bin")


def test_unframe_roundtrip_and_verify() -> None:
    framed = read("app_enc_crc_0x10000.bin")
    assert crcframe.unframe(framed, strict=True) == read("app_enc_0x10000.bin")
    rep = crcframe.verify(framed)
    assert rep.ok and rep.blocks == 1251 and rep.valid == 1251 and rep.empty == 0


def test_bad_block_reported_with_physical_offset() -> None:
    framed = bytearray(read("app_enc_crc_0x10000.bin"))
    framed[34 * 100 + 5] ^= 0x01
    framed[34 * 700 + 33] ^= 0x80  # the CRC byte itself
    rep = crcframe.verify(bytes(framed), base=0x11000)
    assert rep.bad_offsets == [0x11000 + 34 * 100, 0x11000 + 34 * 700]
    with pytest.raises(ChecksumError) as e:
        crcframe.unframe(bytes(framed), strict=True, base=0x11000)
    assert e.value.offset == 0x11000 + 34 * 100


def test_erased_blocks_are_empty_not_bad() -> None:
    data = crcframe.frame(b"hello") + b"\xff" * 34 * 3
    rep = crcframe.verify(data)
    assert rep.ok and rep.valid == 1 and rep.empty == 3


def test_address_maps() -> None:
    for log, phys in [
        (0x10000, 0x11000),
        (0xFFA0, 0x10F9A),
        (0x108700, 0x118F70),
        (0x118700, 0x129F70),
        (0x1186A0, 0x129F0A),
    ]:
        assert crcframe.logical_to_physical(log) == phys
        assert crcframe.physical_to_logical(phys) == log


@pytest.mark.parametrize(
    "addr,value",
    [
        (0x0, 0x7CB50721),
        (0x4, 0x7CB50F21),
        (0x100, 0x7CB70721),
        (0x10000, 0x7EB50721),
        (0x10004, 0x7EB50F21),
        (0x10008, 0x7EB51721),
        (0x11000, 0x3A950361),
        (0x123450, 0x9DC423F0),
    ],
)
def test_default_key_mask_values(addr: int, value: int) -> None:
    assert bkcipher.mask(bkcipher.KEY_TUYA, addr) == value


def test_uascent_mask_values() -> None:
    assert bkcipher.mask(bkcipher.KEY_UASCENT, 0x10000) == 0x2C388123
    assert bkcipher.mask(bkcipher.KEY_UASCENT, 0x10004) == 0x2D29803A


def test_encrypt_default_and_uascent_match_vectors() -> None:
    raw32 = read("app_raw32.bin")
    assert bkcipher.crypt(raw32, "510fb093 a3cbeadc 5993a17e c7adeb03", 0x10000) == read(
        "app_enc_0x10000.bin"
    )
    assert bkcipher.crypt(raw32, bkcipher.KEY_UASCENT, 0x10000) == read("app_enc_uascent_0x10000.bin")
    # decrypt = encrypt
    assert bkcipher.crypt(read("app_enc_uascent_0x10000.bin"), "uascent", 0x10000) == raw32


def test_equivalent_key_and_zero_bypass() -> None:
    raw32 = read("app_raw32.bin")
    assert bkcipher.crypt(raw32, (0, 0, 0x7CB50721, 0x55000803), 0x10000) == read("app_enc_0x10000.bin")
    assert bkcipher.crypt(raw32, bkcipher.KEY_ZERO, 0x10000) == raw32


def test_arm_vector_encrypts_as_spec() -> None:
    enc = bkcipher.crypt(bytes.fromhex("0e0000ea14f09fe5"), bkcipher.KEY_TUYA, 0x10000)
    assert enc == bytes.fromhex("2f07b59435ff2a9b")


def test_partial_word_is_length_preserving() -> None:
    raw = read("app_raw.bin")  # 40001 bytes, not a multiple of 4
    enc = bkcipher.crypt(raw, bkcipher.KEY_TUYA, 0x10000)
    assert len(enc) == 40001 and bkcipher.crypt(enc, bkcipher.KEY_TUYA, 0x10000) == raw
    assert enc == bkcipher.crypt(raw + b"\xff" * 3, bkcipher.KEY_TUYA, 0x10000)[:40001]


def test_random_key_is_involution() -> None:
    import random

    rng = random.Random(7)
    for _ in range(20):
        key = tuple(rng.getrandbits(32) for _ in range(4))
        data = rng.randbytes(256)
        addr = rng.randrange(0, 1 << 24) & ~3
        assert bkcipher.crypt(bkcipher.crypt(data, key, addr), key, addr) == data  # type: ignore[arg-type]


def test_beken_encrypt_v031_model_and_length_recovery() -> None:
    raw = read("app_raw.bin")
    out = bkcipher.beken_encrypt_v031(raw, bkcipher.KEY_TUYA, 0x10000)
    expected = read("beken_encrypt_v031_app_raw_default_0x10000.bin")
    assert hashlib.sha256(expected).hexdigest().startswith("18a2a53c")
    assert out == expected
    assert bkcipher.recover_v031_length(out, bkcipher.KEY_TUYA) == 40001
    assert bkcipher.recover_v031_length(read("app_enc_0x10000.bin")[: 40000 - 16], bkcipher.KEY_TUYA) is None


@pytest.mark.parametrize("n", [70000, 70001, 70002, 70003, 70016, 70031, 70032])
def test_v031_length_recovery_many_lengths(n: int) -> None:
    import random

    raw = random.Random(n).randbytes(n)
    assert bkcipher.recover_v031_length(
        bkcipher.beken_encrypt_v031(raw, bkcipher.KEY_TUYA), bkcipher.KEY_TUYA
    ) in (n, n - 1)  # n - 1 only when the last byte equals its stale copy


def test_parse_key_forms() -> None:
    assert bkcipher.parse_key("510fb093a3cbeadc5993a17ec7adeb03") == bkcipher.KEY_TUYA
    assert bkcipher.parse_key("TUYA") == bkcipher.KEY_TUYA
    with pytest.raises(Exception, match="32 hex digits"):
        bkcipher.parse_key("nope")


def test_gunzip_bomb_and_truncation() -> None:
    bomb = gzip.compress(bytes(10 * 1024 * 1024), 9)
    assert len(bomb) < 20000
    with pytest.raises(LimitError):
        gunzip(bomb, limit=1024 * 1024)
    with pytest.raises(TruncatedError):
        gunzip(bomb[:500])
    with pytest.raises(FormatError):
        gunzip(b"\x1f\x8b" + bytes(30))


def test_xz_bomb_and_truncation() -> None:
    bomb = lzma.compress(bytes(64 * 1024 * 1024), format=lzma.FORMAT_XZ)
    assert len(bomb) < 20000
    with pytest.raises(LimitError):
        xz_decompress(bomb)
    stream = lzma.compress(bytes(range(256)) * 200, format=lzma.FORMAT_XZ)
    with pytest.raises(TruncatedError) as e:
        xz_decompress(stream[:-20], base=512)
    assert e.value.offset == 512 + len(stream) - 20
