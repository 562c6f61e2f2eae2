"""Issue 14, "do each pass once": one BK7231 dump analysis reads every CRC-framed region once (check and
strip in one pass), decrypts the app piece by piece for its identity, and keeps no MiB-sized copies.

Call counts and tracemalloc peaks only (deterministic): no timing. The reference answers of the former
whole-buffer code paths are computed here the straightforward way.
"""

from __future__ import annotations

import random
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from obkimg import bkdump
from obkimg.codecs import bkcipher, crcframe
from obkimg.codecs.bkcipher import KEY_TUYA, crypt, recover_v031_length
from obkimg.formats.bk7231 import layout
from obkimg.formats.bk7231.parts import used_span
from tests.bk7231_images import _synth
from tests.conftest import real_path

ARLEC = ("bk7231n", "BK7231N_Tuya_Arlec_Razer_RGBStrip_PWM_TuyaOS_3.3.44.bin")
#: a dump whose app trailer is found (the app image is checked once, while the trailer is chosen)
ALLEGRO = ("bk7231n", "Allegro_Berge_MI0014_30_x_5_cm_Milio.bin")
#: a dump read from 0x11000 with wrap-around
ROTATED = ("bk7231t", "Lepro_WiFi_Smart_Bulb_GU10_RGBW_902002-eu-2.bin")
SMALL = 8 * crcframe.BLOCK


class Passes:
    """Records every pass over framed bytes (crcframe's one loop) and every crypt call."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.frames: list[tuple[int, bool, bool]] = []
        self.crypts: list[int] = []
        real_passes, real_crypt = crcframe._passes, bkcipher.crypt

        def passes(data: Any, *, check: bool, strip: bool, **kw: Any) -> Any:
            self.frames.append((len(data), check, strip))
            return real_passes(data, check=check, strip=strip, **kw)

        def counting_crypt(data: Any, key: Any, address: int = 0) -> bytes:
            self.crypts.append(len(data))
            return real_crypt(data, key, address)

        monkeypatch.setattr(crcframe, "_passes", passes)
        monkeypatch.setattr(bkcipher, "crypt", counting_crypt)

    def regions(self) -> list[tuple[int, bool, bool]]:
        """The passes over more than the 8 blocks a probe looks at (bootloader, app)."""
        return sorted(p for p in self.frames if p[0] > SMALL)


def _dump_regions(img: bkdump.Bk7231Image) -> list[tuple[int, bool, bool]]:
    return sorted((p.size, True, True) for p in (img.bootloader, img.app) if p is not None)


@pytest.mark.parametrize("name", [ARLEC, ALLEGRO, ROTATED])
def test_a_dump_analysis_checks_and_strips_each_framed_region_once(
    name: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    data = real_path(*name).read_bytes()
    seen = Passes(monkeypatch)
    img = bkdump.analyze(data)
    assert img.bootloader is not None and img.app is not None and img.app.image_size > 0x80000
    # bootloader and app: one pass each, CRC check and CRC strip together
    assert seen.regions() == _dump_regions(img)
    # the rest: the probe's 8-block checks (block 0, the end of the file for a rotation, and 0x11000
    # unless the dump is rotated) and one pass per RBL trailer (102 bytes)
    small = sorted(p for p in seen.frames if p[0] <= SMALL)
    trailers = [t for t in (img.bootloader.trailer, img.app.trailer) if t is not None]
    probes = 2 if img.rotation else 3
    assert small == sorted([(SMALL, True, False)] * probes + [(102, True, True)] * len(trailers))
    # the app's identity is read from 64 KiB pieces: nothing decrypts the whole app
    assert max(seen.crypts) <= 0x10000 and img.app_identity() is not None


def test_info_of_a_dump_reads_each_region_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole ``info --json`` (detection, analysis, configs, the document): the two code regions
    once each; before issue 14 crcframe.verify ran 13 times and unframe 6 times on this dump."""
    import contextlib
    import io

    from obkimg.cli import main

    path = real_path(*ARLEC)
    seen = Passes(monkeypatch)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as done:
        main(["info", "--json", str(path)])
    assert done.value.code in (0, None) and out.getvalue().startswith("{")
    assert [p for p in seen.regions()] == sorted([(63682, True, True), (1048526, True, True)])
    # detection probes (3 x 8 blocks), the analysis' own probe (the same 3), the bootloader trailer
    assert len(seen.frames) == 2 + 6 + 1
    assert max(seen.crypts) <= 0x10000


def test_a_synthetic_dump_checks_and_strips_each_framed_region_once(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytes(_synth.dump())
    seen = Passes(monkeypatch)
    img = bkdump.analyze(data)
    assert img.kind == "bk7231-dump" and img.app is not None and img.app_identity() is None
    assert seen.regions() == _dump_regions(img)
    assert seen.frames.count((102, True, True)) == 2  # the two trailers
    assert max(seen.crypts) <= 0x10000


def test_the_app_image_checked_for_the_trailer_is_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    """pick_trailer checks the image before a candidate trailer; code_from_framed takes that pass."""
    data = real_path(*ALLEGRO).read_bytes()
    seen = Passes(monkeypatch)
    img = bkdump.analyze(data)
    assert img.app is not None and img.app.payload_crc_ok and img.app.frame is not None
    assert seen.regions().count((img.app.size, True, True)) == 1
    assert img.app.frame.blocks == img.app.size // crcframe.BLOCK and img.app.frame.ok


# ------------------------------------------------------------------------------------ memory
def _peak(fn: Any, *args: Any) -> int:
    tracemalloc.start()
    try:
        fn(*args)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_analysis_of_a_2mib_dump_allocates_little_beyond_the_app_image() -> None:
    """The logical app image (~1 MB) is the one big object an analysis makes: no copy of a framed
    region, no unframe or decryption of the whole app into a temporary (before: 2.96 MB peak)."""
    data = real_path(*ARLEC).read_bytes()
    bkdump.analyze(data)  # caches (CRC tables, keystream windows) are not what is measured
    img = bkdump.analyze(data)
    assert img.app is not None
    assert _peak(bkdump.analyze, data) < img.app.image_size + 700_000


def test_big_outputs_are_built_in_place() -> None:
    """unframe, verify_unframe and crypt of 1 MiB hold one output (no bytes(bytearray) copy), and a
    memoryview input is read one segment at a time (no copy of the input)."""
    rng = random.Random(14)
    logical = rng.randbytes(1 << 20)
    framed = crcframe.frame(logical)
    view = memoryview(bytearray(framed))
    crcframe.verify_unframe(view)  # tables
    assert crcframe.unframe(view) == logical and crcframe.verify_unframe(view)[1] == logical
    limit = (1 << 20) + 500_000  # before: input copy + bytearray + bytes copy, over 3 MiB
    assert _peak(crcframe.unframe, view) < limit
    assert _peak(crcframe.verify_unframe, view) < limit
    assert _peak(crcframe.verify, view) < 400_000
    crypt(logical, KEY_TUYA, 0x10000)
    assert _peak(crypt, memoryview(bytearray(logical)), KEY_TUYA, 0x10000) < limit


# ------------------------------------------------------------------------------------ equal answers
def _pieces(data: bytes, size: int) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def _whole_buffer_identity(data: bytes) -> dict[str, str] | None:
    """The reference: one search of the whole buffer, OpenBeken string first (what app_identity did
    before it used the piece search)."""
    m = layout._OBK_RE.search(data)
    if m is not None:
        return layout._obk_identity(m)
    m = layout._TUYA_RE.search(data)
    return layout._tuya_identity(m) if m is not None else None


def test_identity_from_pieces_equals_the_whole_buffer_search() -> None:
    rng = random.Random(3)
    texts = [
        b"OpenBK7231N 1.18.300",
        b"OpenBK7231T_1.17.55",
        b"OpenBL2028N 1.2.3456",
        b"FOR ty_iot_sdk_3.3.44 AT bk7231n",
        b"FOR sdk AT bk7231nx",  # no word boundary after the chip: no match with the "n"
        b"FOR " + b"x" * 48 + b" AT bk7231t ",
    ]
    cases = 0
    for size in (16, 100, 128, 129, 300, 4096):
        for text in texts:
            for _ in range(6):
                base = bytearray(rng.randbytes(2000).translate(bytes(range(128)) * 2))
                base = bytearray(re.sub(rb"[\x21-\x7e ]", b".", bytes(base)))
                at = rng.randrange(len(base) - len(text))
                base[at : at + len(text)] = text
                if rng.random() < 0.5:  # a second, later string of the other kind
                    other = texts[rng.randrange(len(texts))]
                    at2 = rng.randrange(len(base) - len(other))
                    base[at2 : at2 + len(other)] = other
                whole = _whole_buffer_identity(bytes(base))
                assert layout.app_identity(bytes(base)) == whole, (size, text)
                assert layout.app_identity_of_pieces(_pieces(bytes(base), size)) == whole, (size, text)
                cases += 1
    assert cases == 6 * 6 * 6
    assert layout.app_identity_of_pieces([]) is None


def test_used_span_equals_strip() -> None:
    rng = random.Random(9)
    for _ in range(300):
        n = rng.choice([0, 1, 5, 4095, 4096, 4097, 9000, 20000])
        data = bytearray(b"\xff" * n)
        for _ in range(rng.randrange(4)):
            if n:
                data[rng.randrange(n)] = rng.randrange(255)
        data = bytes(data)
        a = rng.randrange(n + 1)
        b = rng.randrange(a, n + 1)
        seg = data[a:b]
        want = None
        if seg.strip(b"\xff"):
            want = (a + len(seg) - len(seg.lstrip(b"\xff")), a + len(seg.rstrip(b"\xff")))
        assert used_span(data, a, b) == want, (n, a, b)


def test_recover_v031_length_decrypts_two_short_pieces_and_answers_as_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On real v0.3.1 apps: the same lengths as the whole-image reference algorithm
    (tests/perf/test_fast_paths.py), from one decryption of the tail and one of its stale copy."""
    from tests.perf.test_fast_paths import _recover_reference

    apps: list[bytes] = []
    for name in (ALLEGRO, ("bk7231n", "OpenBK7231N_QIO_1.18.300.bin"), ROTATED):
        img = bkdump.analyze(real_path(*name).read_bytes())
        assert img.app is not None and img.app.key is not None
        apps.append(img.app.image)
    seen = Passes(monkeypatch)
    for image in apps:
        seen.crypts.clear()
        got = recover_v031_length(image, KEY_TUYA)
        assert got is not None and len(seen.crypts) == 2 and sum(seen.crypts) < 200
        assert got == recover_v031_length(memoryview(bytearray(image)), KEY_TUYA)
        assert got == _recover_reference(image, KEY_TUYA, 0x10000)


def test_a_file_is_read_at_its_size(tmp_path: Path) -> None:
    """source.read_bytes reads a regular file at its size: read(16 MiB + 1) allocated the whole bound
    first (the 16 MB tracemalloc peak of every info run); a file that grows is still read to the bound."""
    import io

    from obkimg import source

    path = tmp_path / "two.bin"
    path.write_bytes(bytes(range(256)) * 8192)
    assert _peak(source.read_bytes, path) < 2 * 1024 * 1024 + 300_000
    assert source.read_bytes(path)[0] == path.read_bytes()
    from obkimg.errors import LimitError

    # stat said 3000 bytes, the file has more by the time it is read
    assert source._read_bounded(io.BytesIO(b"x" * 3500), 4000, "grown", False, 3000) == b"x" * 3500
    with pytest.raises(LimitError):
        source._read_bounded(io.BytesIO(b"x" * 5000), 4000, "grown", False, 3000)
    assert source._read_bounded(io.BytesIO(b"y" * 3000), 4000, "same", False, 3000) == b"y" * 3000


def test_in_place_reads_give_the_answers_of_bytes() -> None:
    """bytes, bytearray, a memoryview and a strided (non-contiguous) view of the same bytes: the same
    report, data and ciphertext, across segment boundaries and with bad and erased blocks."""
    rng = random.Random(5)
    framed = bytearray(crcframe.frame(rng.randbytes(5000 * crcframe.DATA)))
    framed[34 * 10 : 34 * 13] = b"\xff" * (3 * 34)  # erased blocks
    for at in (5, 34 * 4100 + 3, len(framed) - 40):
        framed[at] ^= 0x10  # bad blocks, one past the first segment
    data = bytes(framed) + b"\x01\x02\x03"  # a trailing partial block
    spread = bytearray(2 * len(data))
    spread[::2] = data
    want = (crcframe.verify(data, base=7).to_dict(), crcframe.unframe(data))
    assert want[0]["bad"] == 3 and want[0]["empty"] == 3 and want[0]["trailing"] == 3
    for form in (bytearray(data), memoryview(data), memoryview(spread)[::2]):
        assert (crcframe.verify(form, base=7).to_dict(), crcframe.unframe(form)) == want
        rep, out = crcframe.verify_unframe(form, base=7, length=1000)
        assert rep.to_dict() == want[0] and out == want[1][:1000]
        assert crypt(form, KEY_TUYA, 0x10000) == crypt(data, KEY_TUYA, 0x10000)
