"""Properties of the codecs: CRC framing, the Beken cipher, bounded decompression, checksums."""

from __future__ import annotations

import gzip
import lzma
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obkimg.codecs import bkcipher, checksums, crcframe
from obkimg.codecs.compress import gunzip, xz_decompress
from obkimg.errors import ChecksumError, FormatError, LimitError, TruncatedError
from tests.properties._support import garbage, only_obkimg_errors

words = st.integers(0, 0xFFFFFFFF)
keys = st.tuples(words, words, words, words)


# ------------------------------------------------------------------------------------ CRC framing
@given(st.binary(max_size=3000))
def test_frame_unframe_identity(data: bytes) -> None:
    framed = crcframe.frame(data)
    assert len(framed) % crcframe.BLOCK == 0
    assert len(framed) == -(-len(data) // 32) * 34
    assert crcframe.unframe(framed, strict=True) == data + b"\xff" * (-len(data) % 32)
    rep = crcframe.verify(framed)
    assert rep.ok and rep.valid == rep.blocks and rep.trailing == 0


@given(st.integers(1, 40).flatmap(lambda n: st.binary(min_size=32 * n, max_size=32 * n)))
def test_unframe_frame_identity(plain: bytes) -> None:
    framed = crcframe.frame(plain)
    assert crcframe.frame(crcframe.unframe(framed)) == framed


@given(st.binary(min_size=1, max_size=2000), st.data())
def test_flipped_bit_is_found_at_its_block(data: bytes, d: st.DataObject) -> None:
    framed = bytearray(crcframe.frame(data))
    pos = d.draw(st.integers(0, len(framed) - 1))
    framed[pos] ^= 1 << d.draw(st.integers(0, 7))
    block = pos // crcframe.BLOCK
    if bytes(framed[block * 34 : (block + 1) * 34]) == b"\xff" * 34:
        return  # turned into an erased block: not an error by definition
    base = 0x11000
    rep = crcframe.verify(bytes(framed), base=base)
    assert rep.bad_offsets == [base + block * crcframe.BLOCK]
    with pytest.raises(ChecksumError) as e:
        crcframe.unframe(bytes(framed), strict=True, base=base)
    assert e.value.offset == base + block * crcframe.BLOCK


@given(garbage())
def test_unframe_any_bytes(data: bytes) -> None:
    plain = crcframe.unframe(data)
    full, rest = divmod(len(data), 34)
    assert len(plain) == full * 32 + min(rest, 32)
    only_obkimg_errors(crcframe.unframe, data, strict=True)


@given(st.integers(0, 1 << 26))
def test_address_maps(n: int) -> None:
    assert crcframe.physical_to_logical(crcframe.logical_to_physical(n)) == n
    back = crcframe.logical_to_physical(crcframe.physical_to_logical(n))
    # offsets inside a block's CRC bytes map to the start of the next block (documented)
    assert back == (n if n % 34 < 32 else n - n % 34 + 34)


# -------------------------------------------------------------------------------------- cipher
@given(st.binary(max_size=600), keys, st.integers(0, 0xFFFFFC).map(lambda a: a & ~3))
def test_cipher_is_an_involution(data: bytes, key: tuple[int, int, int, int], addr: int) -> None:
    enc = bkcipher.crypt(data, key, addr)
    assert len(enc) == len(data)
    assert bkcipher.crypt(enc, key, addr) == data


@given(
    st.binary(min_size=8, max_size=256).map(lambda d: d[: len(d) - len(d) % 4]),
    keys,
    st.integers(0, 0x3FFF).map(lambda a: a * 4),
)
def test_cipher_is_word_local(data: bytes, key: tuple[int, int, int, int], addr: int) -> None:
    """Encrypting a slice at its own address gives the same bytes as slicing the whole encryption."""
    whole = bkcipher.crypt(data, key, addr)
    assert bkcipher.crypt(data[4:], key, addr + 4) == whole[4:]


@settings(max_examples=40)
@given(st.binary(min_size=1, max_size=300), st.sampled_from([bkcipher.KEY_TUYA, bkcipher.KEY_UASCENT]))
def test_encrypt_v031_length_is_recovered(raw: bytes, key: tuple[int, int, int, int]) -> None:
    enc = bkcipher.beken_encrypt_v031(raw, key)
    assert len(enc) == -(-len(raw) // 32) * 32 + 16
    n = bkcipher.recover_v031_length(enc, key)
    # The smallest length whose encryption gives these bytes: shorter than the truth only when the
    # dropped bytes look like the 0xFF fill, i.e. trailing 0xFF bytes plus at most the 3 other bytes of
    # the last word (whose address rule differs between the two readings, spec §3.4).
    trailing_ff = len(raw) - len(raw.rstrip(b"\xff"))
    assert n is not None and len(raw) - 3 - trailing_ff <= n <= len(raw)


@given(
    st.one_of(
        keys.map(lambda k: " ".join(f"{w:08x}" for w in k)), st.text(max_size=40), st.binary(max_size=20)
    )
)
def test_parse_key_any_text(text: str | bytes) -> None:
    k = only_obkimg_errors(bkcipher.parse_key, text)
    if k is not None:
        assert len(k) == 4 and all(0 <= w <= 0xFFFFFFFF for w in k)
        assert bkcipher.parse_key(bkcipher.key_hex(k)) == k


# -------------------------------------------------------------------------------- decompression
@given(st.binary(max_size=4000))
def test_gzip_round_trip(data: bytes) -> None:
    assert gunzip(gzip.compress(data, mtime=0)) == data


@given(st.binary(max_size=4000))
def test_xz_round_trip(data: bytes) -> None:
    assert xz_decompress(lzma.compress(data, format=lzma.FORMAT_XZ)) == data


@given(st.integers(1, 1 << 16), st.sampled_from(["gzip", "xz"]))
def test_limit_is_hard(limit: int, kind: str) -> None:
    data = bytes(limit + 1)
    packed = gzip.compress(data, mtime=0) if kind == "gzip" else lzma.compress(data, format=lzma.FORMAT_XZ)
    fn = gunzip if kind == "gzip" else xz_decompress
    with pytest.raises(LimitError):
        fn(packed, limit=limit)
    assert fn(packed, limit=limit + 1) == data


@given(st.binary(min_size=1, max_size=3000), st.data())
def test_truncated_streams(data: bytes, d: st.DataObject) -> None:
    for packed, fn in (
        (gzip.compress(data, mtime=0), gunzip),
        (lzma.compress(data, format=lzma.FORMAT_XZ), xz_decompress),
    ):
        cut = d.draw(st.integers(0, len(packed) - 1))
        with pytest.raises((TruncatedError, FormatError)):
            fn(packed[:cut])


@given(garbage())
def test_decompress_any_bytes(data: bytes) -> None:
    only_obkimg_errors(gunzip, data, limit=1 << 20)
    only_obkimg_errors(gunzip, b"\x1f\x8b\x08\x00" + data, limit=1 << 20)
    only_obkimg_errors(xz_decompress, data, limit=1 << 20)
    only_obkimg_errors(xz_decompress, b"\xfd7zXZ\x00" + data, limit=1 << 20)


# ----------------------------------------------------------------------------------- checksums
@given(st.binary(max_size=2000), st.integers(0, 2000))
def test_checksums_compose(data: bytes, cut: int) -> None:
    a, b = data[:cut], data[cut:]
    assert checksums.crc32(data) == zlib.crc32(data)
    assert checksums.crc32(b, checksums.crc32(a)) == checksums.crc32(data)
    assert checksums.crc16_cms(b, checksums.crc16_cms(a)) == checksums.crc16_cms(data)
    assert checksums.sum32(data) == sum(data) & 0xFFFFFFFF
    assert 0 <= checksums.fnv1a32(data) <= 0xFFFFFFFF
