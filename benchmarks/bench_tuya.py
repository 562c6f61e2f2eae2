"""Tuya KV storage benchmark: full extraction from 2 MiB dumps against bk7231tools, paired.

Run: ``python benchmarks/bench_tuya.py [--rounds N] [--no-peer] [--dump PATH ...]``

Target (issue 4): full storage extraction from a 2 MiB dump <= 10 ms in-process (locate the key
block, decrypt and validate every data/swap block, pick live copies, reassemble and decode every
value, protected block cross-check). bk7231tools 2.1.2 (``find_storage`` + ``decrypt_and_unpack`` +
``read_all_values_parsed``) reads only a 32 KiB window of the area.

Every row pairs, round by round (``_bench.py``), obkimg's ``extract_keys`` in its own worker
interpreter, bk7231tools in a worker of the peer venv, and the floor: AES-128-ECB (``cryptography``,
C) decryption of the whole storage area obkimg located, with the device key. The key names both tools
find are compared every round (bk7231tools' must all be among obkimg's). The first call in a fresh
interpreter (imports, schema compilation) is a row of its own.
"""

from __future__ import annotations

from pathlib import Path

from _bench import SHARED, Worker, args, fresh, keys_subset, paired, peer_python, print_table

DEFAULT_DUMPS = (
    "real/bk7231n/BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin",
    "real/bk7231n/BK7231N_Tuya_10Gang_WallSwitch_TuyaMCU_3.1.28.bin",
    "real/bk7231t/BK7231T_Tuya_A60_SmartBulb_RGBCWW_5ch_PWM_1000Hz.bin",
    "real/bk7231t/Lepro_WiFi_Smart_Bulb_GU10_RGBW_902002-eu-2.bin",
    "tuya/tuya_bk7231n_2MB.bin.gz",
)

OURS = r"""
import sys
from obkimg.source import load
from obkimg.tuya import extract_keys
data = load(sys.argv[1]).data
def once():
    return set(extract_keys(data).values)
"""

PEER = r"""
import gzip, sys
from bk7231tools.analysis.kvstorage import KVStorage
raw = open(sys.argv[1], "rb").read()
data = gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw
def once():
    _, win = KVStorage.find_storage(data)
    return set(KVStorage.decrypt_and_unpack(win).read_all_values_parsed())
"""

FLOOR = r"""
import sys
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from obkimg import tuya_storage
from obkimg.source import load
data = load(sys.argv[1]).data
loc = tuya_storage.locate(data)[0]
area = data[loc.start:loc.end]
area = area[:len(area) - len(area) % 16]
key = loc.device_key[:16]
def once():
    d = Cipher(algorithms.AES(key), modes.ECB()).decryptor()
    d.update(area) + d.finalize()
"""


def main() -> None:
    a = args(__doc__, rounds=15, extra=lambda ap: ap.add_argument("--dump", action="append"))
    paths = a.dump or [str(SHARED / p) for p in DEFAULT_DUMPS if (SHARED / p).exists()]
    peer = None if a.no_peer else peer_python()
    rows = []
    for path in paths:
        name = Path(path).name[:44]
        ours, floor = Worker(OURS, path), Worker(FLOOR, path)
        other = Worker(PEER, path, python=str(peer)) if peer is not None else None
        try:
            rows.append(
                paired(
                    f"extract_keys {name}",
                    ours,
                    peer=other,
                    peer_name="bk7231tools",
                    floor=floor,
                    floor_name="AES-ECB of the area",
                    compare=keys_subset,
                    rounds=a.rounds,
                )
            )
        except RuntimeError as e:  # the peer fails on some dumps: measure obkimg alone, say why
            rows.append(
                paired(
                    f"extract_keys {name}",
                    ours,
                    floor=floor,
                    floor_name="AES-ECB of the area",
                    rounds=a.rounds,
                    note=f"bk7231tools failed: {str(e)[:60]}",
                )
            )
        finally:
            for w in (ours, floor, other):
                if w is not None:
                    w.close()
    if paths:
        rows.append(
            paired(
                f"first call, fresh interpreter ({Path(paths[0]).name[:30]})",
                fresh(OURS, paths[0]),
                rounds=max(3, a.rounds // 3),
                note="imports of cryptography/construct included",
            )
        )
    print_table("Tuya KV extraction (in-process, paired)", rows)


if __name__ == "__main__":
    main()
