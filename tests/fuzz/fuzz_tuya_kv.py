"""Fuzz the Tuya KV storage reader: locate (any offset), read every located storage, the block and index
parsers on decrypted bytes, value decoding, and the tuya-keys workflow (extract_keys)."""

from __future__ import annotations

import fuzzlib

GLOBS = ("tuya/tuya_bk7231n_region_0x1ED000.bin", "real/*/golden_vault-*.bin.gz",
         "real/bk7231t/BK7231T_TuyaConfig_PC44HA.bin")


def test_one_input(data: bytes) -> None:
    from obkimg import tuya
    from obkimg.formats import tuya_kv as kv
    from obkimg.source import Source

    clean = fuzzlib.clean
    locs = clean(kv.locate, data) or []
    for loc in locs[:4]:
        loc.to_dict()
        st = clean(kv.read_storage, data, loc)
        if st is not None:
            st.to_dict(show_secrets=True)
            st.to_dict(show_secrets=False)
    clean(kv.KeyBlock.parse, data[:kv.SECTOR_SIZE])
    clean(kv.DataBlock.parse, data[:kv.SECTOR_SIZE])
    clean(kv.IndexEntry.parse, data[:kv.PAGE_SIZE])
    clean(kv.ProtectedBlock.parse, data[:kv.SECTOR_SIZE])
    name_len = data[0] % 24 if data else 0
    clean(kv.decode_value, data[1:1 + name_len].decode("latin-1"), data[1 + name_len:])
    clean(kv.decode_value, "user_param_key", data)
    keys = clean(tuya.extract_keys, data)
    if keys is not None:
        keys.to_dict(show_secrets=False)
        keys.describe(show_secrets=False)
    kv.detect(data)
    img = clean(kv.load, Source(data))
    if img is not None:
        fuzzlib.exercise(img)


if __name__ == "__main__":
    fuzzlib.main(test_one_input, globs=GLOBS, max_len=0x6000)
