"""`obkimg scan` workers (issue 14): how they start, what they import, what each file costs them.

No timing is asserted: the tests pin the start method, the import set of a forked worker, how many
times a scan asks a model for its lists, and that the documents do not depend on the worker count.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from obkimg import scan as scan_mod
from tests.conftest import REAL, validate_schema
from tests.hardening._cli import run_process


def _real_folder() -> Path:
    if not REAL.exists():
        pytest.skip(f"{REAL} is not present (clean clone without ../shared/fixtures/real)")
    return REAL


def _ug() -> bytes:
    from obkimg.formats.bk7231 import rbl as bk7231_rbl
    from obkimg.formats.bk7231 import ug as bk7231_ug
    from tests.bk7231_images import _synth as bk

    app = bk.app(size=0x4000, banner=b"OpenBK7231N_1.18.300\0")
    return bk7231_ug.wrap(bk7231_rbl.pack(app, version="1.18.300"), "1.18.300")


def _cli(*args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from obkimg.cli import cli

    r = CliRunner().invoke(cli, list(args))
    return r.exit_code, r.output


def test_j1_and_j2_give_the_same_documents() -> None:
    """One worker (in this process) and two (forked) must print the same JSON and the same text."""
    folder = str(_real_folder())
    docs = {}
    for jobs in ("1", "2"):
        code, out = _cli("scan", folder, "--json", "-j", jobs)
        assert code == 0
        docs[jobs] = json.loads(out)
        validate_schema(docs[jobs], "scan.v1")
        code, text = _cli("scan", folder, "-j", jobs)
        assert code == 0
        docs["text" + jobs] = text
    assert docs["1"]["count"] == len(scan_mod.iter_files(folder)) > 16
    same_json = docs["1"] == docs["2"]  # computed first: a failure message shows no dump's field
    same_text = docs["text1"] == docs["text2"]
    assert same_json and same_text


def test_rows_equal_what_the_model_api_answers() -> None:
    """A scan row holds exactly what `obkimg.open` + `find_configs` answer for the file."""
    from obkimg.configs import find_configs
    from obkimg.detect import open_image
    from obkimg.source import load

    paths = scan_mod.iter_files(_real_folder())
    differ = []
    for p in paths:
        src = load(p)
        img = open_image(src)
        configs = find_configs(src.data, img)
        want = (
            img.kind,
            img.chip,
            img.firmware_version,
            img.ok,
            len(configs.tuya.values) if configs.tuya is not None else None,
            configs.obk is not None,
            img.chip_candidates,
        )
        row = scan_mod.scan_file(p)
        got = (row.kind, row.chip, row.version, row.ok, row.tuya_keys, row.obk_config, row.chip_candidates)
        if got != want or row.error is not None:
            differ.append(Path(p).name)
    assert not differ


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")
def test_workers_are_forked_on_linux() -> None:
    """Python 3.14 makes forkserver the default: a forkserver or spawned worker imports obkimg again
    (about 0.2 s each). The scan asks for fork explicitly."""
    assert scan_mod._context().get_start_method() == "fork"


PREAMBLE = """
import json, os, sys
import obkimg.scan as s
_at_fork = set()
os.register_at_fork(after_in_child=lambda: _at_fork.update(sys.modules))
_real = s.scan_file
def recording(path):
    row = _real(path)
    new = sorted(set(sys.modules) - _at_fork)
    with open(os.path.join(os.environ["OBKIMG_TEST_OUT"], str(os.getpid())), "w") as f:
        json.dump(new, f)
    return row
s.scan_file = recording
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork is used on Linux only")
def test_a_forked_worker_imports_nothing(tmp_path: Path) -> None:
    """The parent imports every reader before it forks (a folder of 16+ files): the workers inherit
    them, so neither imports a module of its own (each used to import cryptography, bkdump,
    containers, chipid... about 35 ms per worker)."""
    folder = _real_folder()
    r = run_process(
        "scan", str(folder), "--json", "-j", "2", preamble=PREAMBLE, env={"OBKIMG_TEST_OUT": str(tmp_path)}
    )
    assert r.code == 0, r.err
    reports = list(tmp_path.iterdir())
    assert len(reports) == 2  # two workers, each wrote after its files
    imported = sorted({m for p in reports for m in json.loads(p.read_text())})
    assert imported == []


def test_a_dying_worker_costs_its_file_only(tmp_path: Path) -> None:
    """A worker that dies (crash, OOM killer) turns the file it was reading into an error row; a new
    worker scans the files left (a broken process pool used to fail every pending file)."""
    for i in range(6):
        (tmp_path / f"f{i}.bin").write_bytes(b"\xff" * 64 + bytes([i]))
    preamble = (
        "import os, obkimg.scan as s\n_real = s.scan_file\n"
        "def dying(path):\n    if path.endswith(('f1.bin', 'f4.bin')):\n        os._exit(9)\n"
        "    return _real(path)\n"
        "s.scan_file = dying\n"
    )
    r = run_process("scan", str(tmp_path), "--json", "-j", "2", preamble=preamble)
    assert r.code == 0, r.err
    rows = {Path(f["path"]).name: f for f in json.loads(r.stdout)["files"]}
    assert sorted(rows) == [f"f{i}.bin" for i in range(6)]
    failed = sorted(n for n, f in rows.items() if "worker failed" in (f["error"] or ""))
    assert failed == ["f1.bin", "f4.bin"]
    assert "exit code 9" in rows["f1.bin"]["error"]


def test_biggest_files_are_handed_out_first(tmp_path: Path) -> None:
    sizes = {"a.bin": 10, "b.bin": 3000, "c.bin": 200}
    for name, n in sizes.items():
        (tmp_path / name).write_bytes(b"\xff" * n)
    order = scan_mod._biggest_first([str(tmp_path / n) for n in sorted(sizes)] + [str(tmp_path / "gone")])
    assert [Path(p).name for p in order] == ["b.bin", "c.bin", "a.bin", "gone"]


def test_a_scan_left_early_ends_its_workers(tmp_path: Path) -> None:
    """A caller that stops reading rows (an exception, a closed pipe) must not leave workers behind."""
    import multiprocessing

    for i in range(6):
        (tmp_path / f"f{i}.bin").write_bytes(b"\xff" * 64 + bytes([i]))
    rows = scan_mod.scan(scan_mod.iter_files(tmp_path), workers=2)
    next(rows)
    assert multiprocessing.active_children()
    rows.close()
    assert multiprocessing.active_children() == []


def _interrupt() -> None:
    raise KeyboardInterrupt


class _InterruptOnLoad:
    """A row that raises KeyboardInterrupt in the parent while it is being received (unpickled)."""

    def __reduce__(self) -> tuple[object, tuple[()]]:
        return (_interrupt, ())


def _interrupting_worker(conn, parent_end=None) -> None:  # type: ignore[no-untyped-def]
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent_end is not None:
        parent_end.close()
    while True:
        path = conn.recv()
        if path is None:
            return
        conn.send(_InterruptOnLoad() if path.endswith("f0.bin") else scan_mod.scan_file(path))


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the patched worker reaches forked children only"
)
def test_an_interrupt_while_a_row_is_received_ends_every_worker(tmp_path: Path, monkeypatch) -> None:
    """Ctrl-C (KeyboardInterrupt) can land while the parent reads a worker's row: that worker is then
    neither busy nor told to stop, and must still be ended (it would wait for a path forever)."""
    import multiprocessing

    for i in range(6):
        (tmp_path / f"f{i}.bin").write_bytes(b"\xff" * (64 + 16 * i))
    monkeypatch.setattr(scan_mod, "_worker", _interrupting_worker)
    with pytest.raises(KeyboardInterrupt):
        list(scan_mod.scan(scan_mod.iter_files(tmp_path), workers=2))
    assert multiprocessing.active_children() == []


_KILLED_PARENT = """
import multiprocessing, os, signal, sys
import obkimg.scan as s
rows = s.scan(s.iter_files(sys.argv[1]), workers=2)
next(rows)
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_workers_end_when_the_parent_is_killed(tmp_path: Path) -> None:
    """A parent killed outright (SIGKILL, the OOM killer) runs no cleanup: each worker must see its pipe
    close and end, not wait for a path forever (a forked worker inherited the parent's end of its own
    pipe, so it never saw the close)."""
    import os
    import subprocess
    import time

    for i in range(6):
        (tmp_path / f"f{i}.bin").write_bytes(b"\xff" * (64 + i))
    out = tmp_path / "pids.txt"
    with out.open("w") as f:  # a file, not a pipe: orphaned workers would hold a pipe open
        subprocess.run([sys.executable, "-c", _KILLED_PARENT, str(tmp_path)], stdout=f, timeout=60)
    pids = [int(p) for p in out.read_text().split()]
    assert len(pids) == 2
    deadline = time.monotonic() + 20  # generous: they end at once
    while any(map(_running, pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [p for p in pids if _running(p)]
    for p in left:
        os.kill(p, 9)
    assert left == []


@pytest.mark.parametrize("method", ["spawn", "forkserver"])
def test_workers_started_otherwise_than_by_fork_give_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    """macOS and Windows start workers with spawn (a fresh interpreter that is handed its pipe end and
    imports what it needs): same rows as one worker, and no worker left behind, read to the end or not."""
    import multiprocessing

    if method not in multiprocessing.get_all_start_methods():
        pytest.skip(f"{method} is not available here")
    for i in range(4):
        (tmp_path / f"f{i}.bin").write_bytes(b"\xff" * (64 + i))
    paths = scan_mod.iter_files(tmp_path)
    monkeypatch.setattr(scan_mod, "_context", lambda: multiprocessing.get_context(method))
    rows = sorted((r.to_dict() for r in scan_mod.scan(paths, workers=2)), key=lambda d: d["path"])
    alone = sorted((r.to_dict() for r in scan_mod.scan(paths, workers=1)), key=lambda d: d["path"])
    assert rows == alone and len(rows) == 4
    assert multiprocessing.active_children() == []
    left = scan_mod.scan(paths, workers=2)
    next(left)
    left.close()
    assert multiprocessing.active_children() == []
