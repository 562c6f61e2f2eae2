"""Fuzz the Tuya KV storage reader: locate (any offset), read every located storage, the block and index
parsers on decrypted bytes, value decoding, and the tuya-keys workflow (extract_keys).

The storage is AES-encrypted with sum32 checksums, so byte mutations of a real storage rarely get past
the first block. Inputs whose first byte is odd are therefore taken as *plaintext* data blocks: the
harness gives each 4 KiB block the data magic and a correct checksum, encrypts it with a fixed device
key and puts a key block in front, so the fuzzer works directly on index pages, part lists and values.
"""

from __future__ import annotations

import fuzzlib

GLOBS = (
    "tuya/tuya_bk7231n_region_0x1ED000.bin",
    "real/*/golden_vault-*.bin.gz",
    "real/bk7231t/BK7231T_TuyaConfig_PC44HA.bin",
)


DEVICE_KEY = bytes(range(0x30, 0x40))


def storage_from_plain(plain: bytes) -> bytes:
    """A key block + the 4 KiB blocks of ``plain``, each with the data magic and a valid checksum."""
    from obkimg.codecs.checksums import sum32
    from obkimg.formats.config import tuya_kv as kv

    data_key = kv.derive_data_key(DEVICE_KEY, dict(kv.BASE_KEYS)["8710+common"])
    out = kv.KeyBlock(0, DEVICE_KEY).encrypt()
    for i in range(0, max(len(plain), 1), kv.SECTOR_SIZE):
        blk = bytearray(plain[i : i + kv.SECTOR_SIZE].ljust(kv.SECTOR_SIZE, b"\xff"))
        blk[0:4] = kv.DATA_MAGIC.to_bytes(4, "little")
        blk[4:8] = sum32(bytes(blk[8:])).to_bytes(4, "little")
        out += kv.encrypt(data_key, bytes(blk))
    return out


def plain_seeds() -> list[bytes]:
    """Plaintext blocks of a storage built by obkimg (odd first byte: the plaintext mode)."""
    from obkimg import tuya_storage as ts
    from obkimg.formats.config import tuya_kv as kv

    area = ts.build_storage(
        {
            "gw_bi": b'{"ssid":"x","passwd":"y"}',
            "user_param_key": b'{"Jsonver":"1.1.8"}',
            "long": bytes(range(256)) * 3,
        },
        device_key=DEVICE_KEY,
    )
    data_key = kv.derive_data_key(DEVICE_KEY, dict(kv.BASE_KEYS)["8710+common"])
    plain = b"".join(
        kv.decrypt(data_key, area[i : i + kv.SECTOR_SIZE])
        for i in range(kv.SECTOR_SIZE, len(area), kv.SECTOR_SIZE)
    )
    return [b"\x01" + plain[:0x2FFF]]


def test_one_input(data: bytes) -> None:
    from obkimg import tuya
    from obkimg import tuya_storage as ts
    from obkimg.formats.config import tuya_kv as kv
    from obkimg.source import Source

    clean = fuzzlib.clean
    if data and data[0] & 1:
        data = storage_from_plain(data[1:])
    locs = clean(ts.locate, data) or []
    for loc in locs[:4]:
        loc.to_dict()
        st = clean(ts.read_storage, data, loc)
        if st is not None:
            st.to_dict(show_secrets=True)
            st.to_dict(show_secrets=False)
    clean(kv.KeyBlock.parse, data[: kv.SECTOR_SIZE])
    clean(kv.DataBlock.parse, data[: kv.SECTOR_SIZE])
    clean(kv.IndexEntry.parse, data[: kv.PAGE_SIZE])
    clean(kv.ProtectedBlock.parse, data[: kv.SECTOR_SIZE])
    name_len = data[0] % 24 if data else 0
    clean(kv.decode_value, data[1 : 1 + name_len].decode("latin-1"), data[1 + name_len :])
    clean(kv.decode_value, "user_param_key", data)
    keys = clean(tuya.extract_keys, data)
    if keys is not None:
        keys.to_dict(show_secrets=False)
        keys.describe(show_secrets=False)
    tuya.detect(data)
    img = clean(tuya.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=0x6000, extra_seeds=plain_seeds)
