"""Codec benchmarks: BK7231 CRC-16 verify + strip of a 2 MiB dump, Beken code decryption of 1 MiB,
FNV-1a over 1 MiB, and UG unpack of a real OpenBeken OTA file.

Run: ``python benchmarks/bench_codecs.py [--rounds N] [--no-peer]``

Targets (issue 2, spec bk7231 §9): CRC verify+strip of 2 MiB <= 20 ms, decrypt 1 MiB <= 20 ms.
Every row is paired round by round (``_bench.py``):

- obkimg runs in its own persistent worker interpreter ("warm": second and later calls) and in a
  fresh interpreter per round ("cold": imports done, first call, fresh allocator and keystream cache);
- bk7231tools (``block_crc_check`` loop, ``BekenCodeCipher``) and ltchiptool (``CRC16(CMS)`` per block,
  ``BekenBinary.crypt``) run in workers of the peer venv (``$OBKIMG_PEERS``) on the same bytes, and
  their output's sha256 is compared with obkimg's every round;
- floors: ``binascii.crc_hqx`` over the same 2 MiB (a C CRC-16 of every byte), a C big-integer XOR of
  1 MiB with a ready keystream (what any keystream cipher must at least do), ``zlib.crc32`` of 1 MiB.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

from _bench import Worker, args, fresh, paired, peer_python, print_table, real, real_dump

OURS_CRC = r"""
import sys
from obkimg.codecs import crcframe
data = open(sys.argv[1], "rb").read()
n = len(data) - len(data) % 34
def once():
    return crcframe.verify_unframe(memoryview(data)[:n])[1]  # one pass: check and strip
"""

FLOOR_CRC = r"""
import binascii, sys
data = open(sys.argv[1], "rb").read()
def once():
    binascii.crc_hqx(data, 0xFFFF)
"""

BK_CRC = r"""
import sys
from bk7231tools.analysis.utils import block_crc_check
data = open(sys.argv[1], "rb").read()
n = len(data) - len(data) % 34
def once():
    out = bytearray()
    for i in range(0, n, 34):
        blk = data[i:i + 32]
        block_crc_check(blk, data[i + 32:i + 34])
        out += blk
    return bytes(out)
"""

LT_CRC = r"""
import sys
from ltchiptool.util.crc16 import CRC16
data = open(sys.argv[1], "rb").read()
n = len(data) - len(data) % 34
def once():
    out = bytearray()
    for i in range(0, n, 34):
        blk = data[i:i + 32]
        CRC16(CRC16.CMS).calc(blk) == int.from_bytes(data[i + 32:i + 34], "big")
        out += blk
    return bytes(out)
"""

OURS_CRYPT = r"""
import sys
from obkimg.codecs import bkcipher
data = open(sys.argv[1], "rb").read()
def once():
    return bkcipher.crypt(data, bkcipher.KEY_TUYA, 0x10000)
"""

FLOOR_XOR = r"""
import sys
data = open(sys.argv[1], "rb").read()
ks = int.from_bytes(bytes(reversed(data)), "little")
def once():
    (int.from_bytes(data, "little") ^ ks).to_bytes(len(data), "little")
"""

LT_CRYPT = r"""
import sys
from ltchiptool.soc.bk72xx.util.binary import BekenBinary
data = open(sys.argv[1], "rb").read()
bb = BekenBinary("510fb093a3cbeadc5993a17ec7adeb03")
def once():
    return b"".join(bb.crypt(0x10000, data))
"""

BK_CRYPT = r"""
import sys
from bk7231tools.crypto.code import BekenCodeCipher
data = open(sys.argv[1], "rb").read()
c = BekenCodeCipher((0x510FB093, 0xA3CBEADC, 0x5993A17E, 0xC7ADEB03))
def once():
    return bytes(c.decrypt(data, 0x10000))
"""

OURS_FNV = r"""
import sys
from obkimg.codecs.checksums import fnv1a32
data = open(sys.argv[1], "rb").read()
def once():
    return fnv1a32(data).to_bytes(4, "little")
"""

FLOOR_CRC32 = r"""
import sys, zlib
data = open(sys.argv[1], "rb").read()
def once():
    zlib.crc32(data)
"""

OURS_UG = r"""
import sys
from obkimg.formats.bk7231.ug import UgFile
raw = open(sys.argv[1], "rb").read()
def once():
    return UgFile.parse(raw).unpack()
"""


def main() -> None:
    a = args(__doc__, rounds=9)
    peer = None if a.no_peer else peer_python()
    dump = real_dump()
    rows = []
    with tempfile.TemporaryDirectory(prefix="obkimg-bench-") as t:
        tmp = Path(t)
        if dump is None:
            from obkimg.codecs import crcframe

            rng = random.Random(1)
            data = crcframe.frame(rng.randbytes((2 * 1024 * 1024) // 34 * 32))
            dump = tmp / "synthetic_framed.bin"
            dump.write_bytes(data + b"\xff" * (2 * 1024 * 1024 - len(data)))
        d = str(dump)
        workers: list[Worker] = []

        def w(code: str, path: str, python: object = None) -> Worker:
            wk = Worker(code, path) if python is None else Worker(code, path, python=str(python))
            workers.append(wk)
            return wk

        try:
            rows.append(
                paired(
                    "CRC verify+strip 2 MiB, cold (fresh process)",
                    fresh(OURS_CRC, d),
                    floor=fresh(FLOOR_CRC, d),
                    floor_name="binascii.crc_hqx",
                    rounds=a.rounds,
                )
            )
            ours = w(OURS_CRC, d)
            if peer is not None:
                rows.append(
                    paired(
                        "CRC verify+strip 2 MiB vs bk7231tools",
                        ours,
                        peer=w(BK_CRC, d, peer),
                        peer_name="bk7231tools",
                        floor=w(FLOOR_CRC, d),
                        floor_name="binascii.crc_hqx",
                        rounds=max(3, a.rounds // 3),
                    )
                )
                rows.append(
                    paired(
                        "CRC verify+strip 2 MiB vs ltchiptool",
                        ours,
                        peer=w(LT_CRC, d, peer),
                        peer_name="ltchiptool",
                        rounds=1,
                        warmup=0,
                        note="one round: ltchiptool builds a CRC16 object per block (minutes per call)",
                    )
                )
            else:
                rows.append(
                    paired(
                        "CRC verify+strip 2 MiB, warm",
                        ours,
                        floor=w(FLOOR_CRC, d),
                        floor_name="binascii.crc_hqx",
                        rounds=a.rounds,
                    )
                )
            mib = tmp / "random_1MiB.bin"
            mib.write_bytes(random.Random(2).randbytes(1024 * 1024))
            m = str(mib)
            rows.append(
                paired(
                    "decrypt 1 MiB @0x10000, cold (fresh process)",
                    fresh(OURS_CRYPT, m),
                    floor=fresh(FLOOR_XOR, m),
                    floor_name="1 MiB big-int XOR",
                    rounds=a.rounds,
                )
            )
            ours = w(OURS_CRYPT, m)
            if peer is not None:
                rows.append(
                    paired(
                        "decrypt 1 MiB @0x10000 vs ltchiptool",
                        ours,
                        peer=w(LT_CRYPT, m, peer),
                        peer_name="ltchiptool",
                        floor=w(FLOOR_XOR, m),
                        floor_name="1 MiB big-int XOR",
                        rounds=max(3, a.rounds // 3),
                    )
                )
                rows.append(
                    paired(
                        "decrypt 1 MiB @0x10000 vs bk7231tools",
                        ours,
                        peer=w(BK_CRYPT, m, peer),
                        peer_name="bk7231tools",
                        rounds=3,
                        warmup=0,
                    )
                )
            rows.append(
                paired(
                    "FNV-1a 1 MiB, cold (fresh process)",
                    fresh(OURS_FNV, m),
                    floor=fresh(FLOOR_CRC32, m),
                    floor_name="zlib.crc32",
                    rounds=a.rounds,
                )
            )
            rows.append(
                paired(
                    "FNV-1a 1 MiB, warm",
                    w(OURS_FNV, m),
                    floor=w(FLOOR_CRC32, m),
                    floor_name="zlib.crc32",
                    rounds=a.rounds,
                )
            )
            ugs = real("bk7231n/OpenBeken-*.ug.bin")
            if ugs:
                rows.append(
                    paired(
                        f"UG unpack {ugs[-1].name}",
                        w(OURS_UG, str(ugs[-1])),
                        rounds=a.rounds,
                        note="sums, CRC-32, AES-256-CBC, gunzip, FNV-1a; no peer unpacks UG",
                    )
                )
        finally:
            for wk in workers:
                wk.close()
    print_table(f"Codecs ({Path(d).name})", rows)


if __name__ == "__main__":
    main()
