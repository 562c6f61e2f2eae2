"""Run by the *peer* interpreter (bk7231tools installed), never imported by obkimg's tests.

Usage: ``peer-python peer_bk7231tools.py FILE...``; prints one JSON object on stdout:
``{file: {"offset": int, "keys": {name: sha256(raw value)}}}`` or ``{file: {"error": "..."}}``.
Only digests leave this process, so no value of a real dump is ever printed.
"""

import hashlib
import json
import sys

from bk7231tools.analysis.kvstorage import KVStorage


def main() -> None:
    out = {}
    for path in sys.argv[1:]:
        with open(path, "rb") as f:
            data = f.read()
        try:
            found = KVStorage.find_storage(data)
            if found is None:
                out[path] = {"error": "not found"}
                continue
            kvs = KVStorage.decrypt_and_unpack(found[1])
            values = kvs.read_all_values()
            out[path] = {
                "offset": found[0],
                "keys": {k: hashlib.sha256(v).hexdigest() for k, v in values.items()},
            }
        except Exception as e:  # noqa: BLE001 - report, the test decides
            out[path] = {"error": f"{type(e).__name__}"}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
