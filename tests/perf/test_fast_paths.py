"""The faster code paths of issue 14 give exactly the answers of the straightforward ones they replace.

- ``fnv1a32`` (four bytes per loop step) equals the byte-at-a-time definition;
- ``bkcipher.keystream`` word by word (short lengths) equals the 64 KiB window path;
- ``recover_v031_length`` (decrypts only the tail and its stale copy) equals the former whole-image
  algorithm, kept below as the reference, on genuine and damaged tails;
- FNV-1a is computed by ``verify`` only: ``info`` of an RBL/UG never calls it, ``verify`` still catches
  a bad hash.
"""

from __future__ import annotations

import random

import pytest

import obkimg
from obkimg.codecs import bkcipher, checksums
from obkimg.codecs.bkcipher import KEY_TUYA, KEY_UASCENT, beken_encrypt_v031, crypt, recover_v031_length
from tests.conftest import fixture_path


def _fnv_reference(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def test_fnv1a32_equals_the_definition() -> None:
    rng = random.Random(14)
    for n in [*range(0, 70), 1023, 4096, 65537]:
        data = rng.randbytes(n)
        assert checksums.fnv1a32(data) == _fnv_reference(data), n
        assert (
            checksums.fnv1a32(memoryview(data)) == checksums.fnv1a32(bytearray(data)) == _fnv_reference(data)
        )
    assert checksums.fnv1a32(b"\xff" * 1000) == _fnv_reference(b"\xff" * 1000)


@pytest.mark.parametrize("key", [KEY_TUYA, KEY_UASCENT, (0x12345678, 0x9ABCDEF0, 0x0F1E2D3C, 0x00000010)])
def test_short_keystream_equals_the_window(key: bkcipher.Key) -> None:
    for address in (0, 4, 0x10000, 0xFFFC, 0x1FFF0, 0x10EEE0, 0xFFFFFFF0 - 0x400):
        for length in (1, 3, 4, 5, 47, 48, 255, 256, 257, 300):
            whole = bkcipher.keystream(key, address, 1024)
            assert bkcipher.keystream(key, address, length) == whole[:length], (address, length)


def _recover_reference(enc: bytes, k: bkcipher.Key, start: int) -> int | None:
    """The whole-image algorithm recover_v031_length used before issue 14 (one full decryption and
    three crypt calls per candidate length)."""
    out_len = len(enc)
    if out_len < 48 or (out_len - 16) % 32:
        return None
    lo = out_len - 16 - 31
    region_start = (lo - lo % 4) - 4 if lo >= 4 else 0
    correct = crypt(enc[:out_len], k, start)
    for n in range(max(lo, 1), out_len - 16 + 1):
        w = n - n % 4
        real_tail = crypt(enc[w : n + (-n % 4)], k, w)[: n - w]
        head = correct[region_start:w]
        fill = bytearray(b"\xff" * (out_len - n))
        for i in range(n, out_len):
            j = i - start
            if 0 <= j < n:
                fill[i - n] = correct[j] if j < w else real_tail[j - w]
        tail_plain = real_tail + bytes(fill)
        rebuilt = crypt(head, k, start + region_start) + crypt(tail_plain, k, w)
        if rebuilt == enc[region_start:]:
            return n
    return None


def test_recover_v031_length_equals_the_whole_image_algorithm() -> None:
    rng = random.Random(31)
    cases = 0
    for start in (0x10000, 4, 8, 0x20, 0x24, 0x100):
        for n in [*rng.sample(range(20, 600), 12), 33, 64, 96, 97]:
            raw = rng.randbytes(n)
            enc = beken_encrypt_v031(raw, KEY_TUYA, start)
            damaged = bytearray(enc)
            damaged[-1 - rng.randrange(20)] ^= 1 << rng.randrange(8)
            for blob in (enc, bytes(damaged), enc[:-32] if len(enc) > 80 else enc):
                got = recover_v031_length(blob, KEY_TUYA, start)
                assert got == _recover_reference(blob, KEY_TUYA, start), (start, n)
                cases += 1
            assert recover_v031_length(enc, KEY_TUYA, start) in (n, n - 1)
    assert cases > 200


def test_info_does_not_compute_fnv_but_verify_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from obkimg.formats.bk7231 import rbl_header as bk7231_rbl

    path = fixture_path("bk7231", "tuya_package_UG_rtota_gzip_aes.bin")
    calls: list[int] = []
    real = bk7231_rbl.fnv1a32

    def counting(data: bytes) -> int:
        calls.append(len(data))
        return real(data)

    monkeypatch.setattr(bk7231_rbl, "fnv1a32", counting)
    img = obkimg.open(path)
    doc = img.to_dict()
    assert calls == [] and img.ok
    assert doc["details"]["rbl"]["hash_valid"] is None  # not checked by info
    assert img.verify() == [] and len(calls) == 1
    assert img.to_dict()["details"]["rbl"]["hash_valid"] is True


def test_verify_still_catches_a_bad_fnv_hash() -> None:
    from obkimg._construct import offset_of
    from obkimg.formats.bk7231.rbl import RBL_HEADER

    raw = bytearray(fixture_path("bk7231", "rtota_app_raw_none.rbl").read_bytes())
    off = offset_of(RBL_HEADER, "hash")
    raw[off] ^= 0xFF  # wrong stored hash; fix the header CRC so only the hash is wrong
    from obkimg.formats.bk7231.rbl import RblHeader

    hdr = RblHeader.parse(bytes(raw[:96]), strict=False)
    raw[:96] = hdr.replace().build()
    img = obkimg.open(bytes(raw))
    assert not any("FNV" in p.message for p in img.problems())  # info does not compute it
    problems = img.verify()
    assert [p.message for p in problems if "FNV-1a" in p.message], problems


def test_crc_position_tables_equal_the_byte_by_byte_construction() -> None:
    from obkimg.codecs import crcframe
    from obkimg.codecs.checksums import CRC16_CMS_TABLE as table

    cur, expected = list(table), []
    for _ in range(crcframe.DATA):
        expected.append((bytes(t >> 8 for t in cur), bytes(t & 0xFF for t in cur)))
        cur = [((t << 8) & 0xFFFF) ^ table[t >> 8] for t in cur]
    expected.reverse()
    crcframe._position_tables.cache_clear()
    assert crcframe._position_tables() == tuple(expected)


@pytest.mark.parametrize("key", [KEY_TUYA, KEY_UASCENT])
def test_windowed_crypt_equals_one_big_xor(key: bkcipher.Key) -> None:
    rng = random.Random(7)
    for address in (0, 4, 0x10000, 0xFFFC, 0xFF00, 0x11000, 0x1FFF0):
        for n in (1, 255, 256, 257, 4097, 65536, 65537, 140001):
            data = rng.randbytes(n)
            ks = bkcipher.keystream(key, address, n)
            want = (int.from_bytes(data, "little") ^ int.from_bytes(ks, "little")).to_bytes(n, "little")
            assert crypt(data, key, address) == want, (address, n)


def test_analysis_unframes_and_verifies_the_app_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app image pick_trailer checks and unframes (for the trailer CRC-32) is reused, not done again:
    one pass over the app's framed bytes, CRC check and strip together (more in tests/perf/test_passes.py)."""
    from obkimg import bkdump as bk7231_image
    from obkimg.codecs import crcframe
    from tests.conftest import real_path

    data = real_path("bk7231n", "OpenBK7231N_QIO_1.18.300.bin").read_bytes()  # an app with its RBL trailer
    big: list[tuple[bool, bool]] = []
    real_passes = crcframe._passes

    def passes(buf: bytes, *, check: bool, strip: bool, **kw: object) -> object:
        if len(buf) > 0x80000:
            big.append((check, strip))
        return real_passes(buf, check=check, strip=strip, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(crcframe, "_passes", passes)
    img = bk7231_image.analyze(data)
    assert img.app is not None and img.app.image_size > 0x80000 and img.app.payload_crc_ok
    assert big == [(True, True)]


def test_ug_rbl_sum_is_computed_once_per_model(monkeypatch: pytest.MonkeyPatch) -> None:
    """A scan asks a UG model for regions, problems and details; each used to re-sum the whole RBL
    (~9 ms/MiB). The sum is kept on the model; a replace() copy sums its own bytes."""
    import dataclasses

    from obkimg.formats.bk7231 import rbl as bk7231_rbl
    from obkimg.formats.bk7231 import ug as bk7231_ug
    from tests.bk7231_images import _synth as bk

    raw = bk7231_ug.wrap(bk7231_rbl.pack(bk.app(size=0x4000), version="1.0.0"), "1.0.0")
    calls: list[int] = []
    real = bk7231_ug.sum32
    monkeypatch.setattr(bk7231_ug, "sum32", lambda data: calls.append(len(data)) or real(data))
    ug = bk7231_ug.UgFile.parse(raw)
    n = len(ug.rbl)
    assert ug.sum_valid and ug.sum_valid and ug.computed_sum == ug.sum
    assert calls.count(n) == 1  # parse (strict) checked it; the later asks reuse it
    changed = dataclasses.replace(ug, rbl=ug.rbl[:-1] + bytes([ug.rbl[-1] ^ 1]))
    assert not changed.sum_valid and changed.computed_sum != ug.computed_sum
    assert calls.count(n) == 2
