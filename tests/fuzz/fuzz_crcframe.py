"""Fuzz the codecs: BK 32+2 CRC framing (unframe strict/lenient, verify, frame round trip) and the
Beken code cipher (crypt involution, v0.3.1 length recovery, key parsing)."""

from __future__ import annotations

import fuzzlib

GLOBS = (
    "bk7231/app_enc_crc_0x10000.bin",
    "bk7231n/bk7231n_bootloader.bin",
    "bk7231t/bk7231t_bootloader.bin",
    "bk7231/beken_encrypt_v031_app_raw_default_0x10000.bin",
)


def test_one_input(data: bytes) -> None:
    from obkimg.codecs import bkcipher, crcframe

    clean = fuzzlib.clean
    plain = crcframe.unframe(data)
    clean(crcframe.unframe, data, strict=True, base=0x11000)
    rep = crcframe.verify(data, base=0x11000)
    rep.to_dict()
    if len(data) % crcframe.BLOCK == 0 and rep.valid == rep.blocks:
        assert crcframe.frame(plain) == data or not data, "frame(unframe(x)) != x on a valid framing"
    framed = crcframe.frame(data)
    assert crcframe.unframe(framed, strict=True)[: len(data)] == data, "unframe(frame(x)) != x"
    if data:
        addr = int.from_bytes(data[:3], "little") & ~3
        key = bkcipher.KEY_TUYA
        enc = bkcipher.crypt(data, key, addr)
        assert bkcipher.crypt(enc, key, addr) == data, "crypt is not an involution"
        clean(bkcipher.recover_v031_length, data, key)
        clean(bkcipher.parse_key, data[:64].decode("latin-1"))
        clean(bkcipher.parse_key, data[:16].hex())
    n = len(data)
    if n:
        clean(crcframe.physical_to_logical, n)
        assert crcframe.physical_to_logical(crcframe.logical_to_physical(n)) == n


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=4096)
