"""BK7231 image benchmarks: ``obkimg.open()`` + ``to_dict()`` of a real 2 MiB dump, ``verify``, and
QIO -> UA; whole-process ``info --json`` against ``bk7231tools dissect_dump``.

Run: ``python benchmarks/bench_bk7231.py [--rounds N] [--no-peer]``

Target (issue 2): ``info`` on a 2 MiB dump in-process <= 100 ms. Rows (paired, ``_bench.py``):

- in-process figures run in obkimg worker interpreters: "cold" is a fresh interpreter per round
  (imports done untimed, first call: keystream cache and allocator fresh), "warm" a persistent one;
  the floor is ``binascii.crc_hqx`` over the same 2 MiB (one C pass over every byte);
- the peer ratio compares like with like: ``obkimg info --json`` and ``bk7231tools dissect_dump``, both
  whole processes started fresh every round (no output check: the texts differ; the key names are
  checked in ``bench_frontdoor.py``).
"""

from __future__ import annotations

import sys
import tempfile

from _bench import Worker, args, fresh, obkimg_cmd, paired, peer_exe, print_table, proc, real, real_dump

OPEN = r"""
import sys
import obkimg
data = open(sys.argv[1], "rb").read()
def once():
    return obkimg.open(data).to_dict()
"""

VERIFY = r"""
import sys
import obkimg
data = open(sys.argv[1], "rb").read()
def once():
    return [p.to_dict() for p in obkimg.open(data).verify()]
"""

QIO2UA = r"""
import sys
from obkimg.convert import qio_to_ua
data = open(sys.argv[1], "rb").read()
def once():
    return qio_to_ua(data)
"""

FLOOR = r"""
import binascii, sys
data = open(sys.argv[1], "rb").read()
def once():
    binascii.crc_hqx(data, 0xFFFF)
"""


def main() -> None:
    a = args(__doc__, rounds=9)
    dump = real_dump()
    if dump is None:
        sys.exit("needs ../shared/fixtures/real (a real 2 MiB BK7231N dump)")
    d = str(dump)
    rows = [
        paired(
            "open+to_dict 2 MiB, cold (fresh process)",
            fresh(OPEN, d),
            floor=fresh(FLOOR, d),
            floor_name="crc_hqx 2 MiB",
            rounds=a.rounds,
            note="target <= 100 ms",
        )
    ]
    workers = [Worker(OPEN, d), Worker(VERIFY, d), Worker(FLOOR, d)]
    try:
        rows.append(
            paired(
                "open+to_dict 2 MiB, warm",
                workers[0],
                floor=workers[2],
                floor_name="crc_hqx 2 MiB",
                rounds=a.rounds,
            )
        )
        rows.append(
            paired(
                "open+verify 2 MiB, warm",
                workers[1],
                floor=workers[2],
                floor_name="crc_hqx 2 MiB",
                rounds=a.rounds,
                note="verify adds FNV-1a of both RBL images",
            )
        )
    finally:
        for w in workers:
            w.close()
    qios = real("bk7231n/OpenBK7231N_QIO_*.bin")
    if qios:
        q = str(qios[0])
        rows.append(
            paired(
                f"qio_to_ua {qios[0].name}, cold (fresh process)",
                fresh(QIO2UA, q),
                floor=fresh(FLOOR, q),
                floor_name="crc_hqx of the QIO",
                rounds=a.rounds,
            )
        )
        w = Worker(QIO2UA, q)
        try:
            rows.append(paired(f"qio_to_ua {qios[0].name}, warm", w, rounds=a.rounds))
        finally:
            w.close()
    exe = None if a.no_peer else peer_exe("bk7231tools")
    if exe is not None:
        with tempfile.TemporaryDirectory(prefix="obkimg-bench-") as tmp:
            rows.append(
                paired(
                    "`info --json` vs `dissect_dump` (whole processes)",
                    proc([*obkimg_cmd(), "info", "--json", d]),
                    peer=proc([exe, "dissect_dump", d], cwd=tmp),
                    peer_name="bk7231tools",
                    rounds=max(3, a.rounds // 2),
                )
            )
    print_table(f"BK7231 images ({dump.name})", rows)


if __name__ == "__main__":
    main()
