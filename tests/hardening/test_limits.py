"""Resource bounds: decompression bombs (XZ, gzip, AES-encrypted gzip) fail fast with LimitError through
every path (obkimg.open, ota/rbl/ug unpack, .gz inputs), and inputs larger than the largest supported
flash (16 MiB) are refused before being read whole, files and stdin alike.

Memory is checked for real: the CLI runs in a child whose address space is capped at 1.5 GiB, so any
attempt to materialise a bomb (or a 5 GiB input) ends in MemoryError (exit 3) instead of LimitError.
"""

from __future__ import annotations

import lzma
import zlib
from pathlib import Path

import pytest

import obkimg
from obkimg import ota
from obkimg.codecs.compress import DEFAULT_LIMIT, gunzip, xz_decompress
from obkimg.errors import LimitError
from obkimg.formats.bk7231 import rbl, ug
from obkimg.formats.bl602 import ota as bo
from obkimg.source import MAX_INPUT
from tests.hardening._cli import MEMORY_LIMIT, run, run_process

MB = 1 << 20


def xz_zeros(n: int) -> bytes:
    """An XZ stream of n zero bytes (boot2 settings: CRC32, LZMA2, 32 KiB dictionary)."""
    return lzma.compress(
        bytes(n),
        format=lzma.FORMAT_XZ,
        check=lzma.CHECK_CRC32,
        filters=[{"id": lzma.FILTER_LZMA2, "dict_size": 32768}],
    )


def gzip_zeros(n: int) -> bytes:
    co = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(co.compress(bytes(MB)) for _ in range(n // MB)) + co.flush()


@pytest.fixture(scope="module")
def bombs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Files that expand to 64 MiB (4x the 16 MiB bound) from about 10 KB (XZ) / 65 KB (gzip)."""
    d = tmp_path_factory.mktemp("bombs")
    xz = xz_zeros(64 * MB)
    gz = gzip_zeros(64 * MB)
    rbl_plain = (
        rbl.RblHeader.for_payload(gz, name="app", version="1.0", app=b"\0" * 1000, compression="gzip").build()
        + gz
    )
    aes = rbl.RblFile.pack(b"\0" * 1000, version="1.0", timestamp=0)  # a real AES+gzip file, payload swapped:
    enc = rbl._aes_cipher(rbl.DEFAULT_AES_KEY, rbl.DEFAULT_AES_IV).encryptor()
    body = enc.update(rbl.pkcs7_pad(gz)) + enc.finalize()
    rbl_aes = (
        rbl.RblHeader.for_payload(
            body, name="app", version="1.0", app=b"\0" * 1000, compression="gzip", encryption="aes256"
        ).build()
        + body
    )
    assert aes.header.encryption == "aes256"
    files = {
        "xz": xz,
        "xz_ota": bo.OtaHeader.for_payload(xz).build() + xz,
        "gz": gz,
        "rbl": rbl_plain,
        "aes_rbl": rbl_aes,
        "ug_bin": ug.wrap(rbl_plain, "1.0"),
        "bin_gz": gzip_zeros(20 * MB),
    }
    out = {}
    for name, data in files.items():
        p = d / f"bomb.{name.replace('_', '.')}"
        p.write_bytes(data)
        out[name] = p
    return out


def test_one_kilobyte_xz_bomb_fails_fast() -> None:
    """A 1 KB XZ stream that expands to 6 MiB, against a 1 MiB bound: LimitError after 1 MiB."""
    bomb = xz_zeros(6 * MB)
    assert len(bomb) < 1100
    with pytest.raises(LimitError):
        xz_decompress(bomb, limit=MB)
    ota_file = bo.OtaHeader.for_payload(bomb).build() + bomb
    with pytest.raises(LimitError) as e:
        ota.unpack(ota_file, limit=MB)
    assert e.value.fmt == "bl602-ota" and e.value.offset == bo.OTA_HEADER_SIZE


def test_bombs_through_the_library(bombs: dict[str, Path]) -> None:
    with pytest.raises(LimitError):
        ota.unpack(bombs["xz"].read_bytes())
    with pytest.raises(LimitError):
        ota.unpack(bombs["xz_ota"].read_bytes())
    with pytest.raises(LimitError):
        obkimg.open(bombs["gz"])
    with pytest.raises(LimitError):
        obkimg.open(bombs["bin_gz"])  # 20 MiB inside: more than the largest flash
    for name in ("rbl", "aes_rbl"):
        with pytest.raises(LimitError) as e:
            rbl.unpack(bombs[name].read_bytes())
        assert e.value.offset == rbl.RBL_HEADER_SIZE
    with pytest.raises(LimitError):
        ug.unwrap(bombs["ug_bin"].read_bytes(), app=True)
    with pytest.raises(LimitError):
        gunzip(bombs["gz"].read_bytes())
    # lenient models report the bomb as a problem instead of raising
    for name in ("xz_ota", "rbl", "aes_rbl", "ug_bin"):
        img = obkimg.open(bombs[name])
        assert any("exceeds the limit" in p.message for p in img.problems()), name
        assert not img.ok


@pytest.mark.parametrize(
    "args",
    [
        ("ota", "unpack", "{xz}", "-o", "{out}"),
        ("ota", "unpack", "{xz_ota}", "-o", "{out}"),
        ("rbl", "unpack", "{rbl}", "-o", "{out}"),
        ("rbl", "unpack", "{aes_rbl}", "-o", "{out}"),
        ("ug", "unpack", "{ug_bin}", "-o", "{out}", "--app", "{out}.app"),
        ("info", "{gz}"),
        ("info", "{bin_gz}"),
        ("extract", "{gz}", "-d", "{out}.d"),
    ],
)
def test_bombs_through_the_cli_with_bounded_memory(
    bombs: dict[str, Path], tmp_path: Path, args: tuple[str, ...]
) -> None:
    argv = [a.format(**{k: str(v) for k, v in bombs.items()}, out=tmp_path / "out") for a in args]
    r = run_process(*argv, preamble=MEMORY_LIMIT)
    assert r.code == 1, r.err
    assert "exceeds the limit" in r.err
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.app").exists()


def test_info_reports_a_bomb_inside_a_container(bombs: dict[str, Path]) -> None:
    """info on an OTA/RBL/UG holding a bomb: header shown, bomb listed as a problem (exit 0/1, no crash)."""
    for name in ("xz_ota", "rbl", "ug_bin"):
        r = run_process("info", str(bombs[name]), preamble=MEMORY_LIMIT)
        assert r.code in (0, 1), r.err
        assert b"exceeds the limit" in r.stdout + r.stderr


# ------------------------------------------------------------------------------------ input size
@pytest.fixture
def huge(tmp_path: Path) -> Path:
    p = tmp_path / "huge.bin"
    with open(p, "wb") as f:
        f.truncate(5 << 30)  # sparse: 5 GiB that cost nothing on disk
    return p


@pytest.mark.parametrize(
    "cmd",
    [
        ("info", "{in}"),
        ("verify", "{in}"),
        ("detect", "{in}"),
        ("tuya-keys", "{in}"),
        ("obk-config", "show", "{in}"),
        ("rbl", "unpack", "{in}", "-o", "{out}"),
        ("ota", "unpack", "{in}", "-o", "{out}"),
        ("convert", "qio2ua", "{in}", "-o", "{out}"),
        ("bk", "crypt", "{in}", "-o", "{out}"),
        ("extract", "{in}", "-d", "{out}"),
    ],
)
def test_huge_file_refused_before_reading(huge: Path, tmp_path: Path, cmd: tuple[str, ...]) -> None:
    r = run_process(*[c.format(out=tmp_path / "out", **{"in": huge}) for c in cmd], preamble=MEMORY_LIMIT)
    assert r.code == 1, r.err
    assert "larger than" in r.err and "refusing" in r.err
    assert not (tmp_path / "out").exists()


def test_huge_stdin_refused_with_bounded_memory() -> None:
    """'-' reads stdin bounded: /dev/zero (endless) is refused after at most 3 x 16 MiB (Intel HEX room)."""
    with open("/dev/zero", "rb") as zero:
        r = run_process("info", "-", stdin=zero.fileno(), preamble=MEMORY_LIMIT, timeout=60)
    assert r.code == 1, r.err
    assert "larger than" in r.err


def test_stdin_just_above_the_bound() -> None:
    data = b"\x00" * (MAX_INPUT + 1)
    r = run("info", "-", stdin=data)
    assert r.code == 1 and "larger than" in r.err


def test_library_input_bounds(huge: Path) -> None:
    with pytest.raises(LimitError) as e:
        obkimg.open(huge)
    assert e.value.fmt == "input"
    with pytest.raises(LimitError):
        obkimg.open(b"\xff" * (MAX_INPUT + 1))
    with open(huge, "rb") as f, pytest.raises(LimitError):
        obkimg.open(f)
    assert DEFAULT_LIMIT == MAX_INPUT == 16 * MB


def test_intel_hex_spanning_more_than_16_mib() -> None:
    def rec(kind: int, addr: int, payload: bytes) -> str:
        body = bytes([len(payload), addr >> 8 & 0xFF, addr & 0xFF, kind]) + payload
        return ":" + (body + bytes([-sum(body) & 0xFF])).hex().upper()

    text = (
        "\n".join(
            [
                rec(4, 0, b"\x00\x00"),
                rec(0, 0, b"\x01\x02"),
                rec(4, 0, b"\x10\x00"),
                rec(0, 0, b"\x03\x04"),
                rec(1, 0, b""),
            ]
        )
        + "\n"
    )
    with pytest.raises(LimitError):
        obkimg.open(text.encode())


def test_memory_guard_is_effective() -> None:
    """The 1.5 GiB cap used above does stop a multi-GB allocation (so the tests above can fail)."""
    r = run_process("--version", preamble=MEMORY_LIMIT + "\nblob = bytes(2 << 30)\n")
    assert r.code != 0 and "MemoryError" in r.err
