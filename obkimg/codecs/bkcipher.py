"""Beken BK7231 code encryption: an address-dependent XOR keystream.

The key is four 32-bit words ``c0 c1 c2 c3`` (as written by Beken's tools, e.g. the Tuya default
``510fb093 a3cbeadc 5993a17e c7adeb03``). Each little-endian 32-bit word ``w`` at byte address ``A``
becomes ``w ^ mask(A)``; encryption and decryption are the same operation. The mask is the full
three-stage hardware function (pn15, pn16, pn32, plus the c2 constant), valid for *any* key: the two
peer tools get non-default keys wrong (bk7231tools adds the 17-bit pn16 into the high half,
ltchiptool divides by zero for selector 0). Public references: libretiny-eu/ltchiptool
``ltchiptool/soc/bk72xx/util/crypto.py`` (``BekenCrypto``), tuya-cloudcutter/bk7231tools
``bk7231tools/crypto/code.py``.

Also here: the exact output model of Beken's ``encrypt`` v0.3.1 (shipped in the Tuya BK7231 SDKs'
``tools/generate``), used by every Tuya/OpenBeken build, so builders reproduce vendor files byte for
byte, and recovery of the original app length from such an encrypted image.
"""

from __future__ import annotations

from functools import lru_cache

from ..errors import BuildError
from ._buffers import flat, presized

__all__ = [
    "Key",
    "KEY_TUYA",
    "KEY_UASCENT",
    "KEY_ZERO",
    "parse_key",
    "key_hex",
    "mask",
    "keystream",
    "clear_cache",
    "crypt",
    "is_bypass",
    "beken_encrypt_v031",
    "recover_v031_length",
]

Key = tuple[int, int, int, int]

KEY_TUYA: Key = (0x510FB093, 0xA3CBEADC, 0x5993A17E, 0xC7ADEB03)
KEY_UASCENT: Key = (0x4862379A, 0x8612784B, 0x85C5E258, 0x75754528)
KEY_ZERO: Key = (0, 0, 0, 0)

_NAMED = {"tuya": KEY_TUYA, "default": KEY_TUYA, "uascent": KEY_UASCENT, "zero": KEY_ZERO, "none": KEY_ZERO}


def parse_key(text: str | bytes | Key) -> Key:
    """Accept a key as 4 ints, 16 bytes (big-endian words), 32 hex digits (spaces allowed) or a name
    (``tuya``/``default``, ``uascent``, ``zero``/``none``)."""
    if isinstance(text, tuple):
        if len(text) != 4 or not all(isinstance(w, int) and 0 <= w <= 0xFFFFFFFF for w in text):
            raise BuildError("a key is four 32-bit words", fmt="bk7231-key")
        return text
    if isinstance(text, bytes):
        if len(text) != 16:
            raise BuildError(f"a key is 16 bytes, got {len(text)}", fmt="bk7231-key")
        return tuple(int.from_bytes(text[i : i + 4], "big") for i in range(0, 16, 4))  # type: ignore[return-value]
    named = _NAMED.get(text.strip().lower())
    if named is not None:
        return named
    digits = "".join(text.replace(",", " ").split()).lower().removeprefix("0x")
    if len(digits) != 32 or any(ch not in "0123456789abcdef" for ch in digits):
        raise BuildError(
            f"cannot read key {text!r}: expected 32 hex digits (4 words) or a name (tuya, uascent, zero)",
            fmt="bk7231-key",
        )
    return parse_key(bytes.fromhex(digits))


def key_hex(key: Key) -> str:
    """A key as the vendor tools print it: four 32-bit words in hex, space-separated."""
    return " ".join(f"{w:08x}" for w in key)


def is_bypass(key: Key) -> bool:
    """Keys whose top byte of c3 is 0x00 or 0xFF disable encryption entirely (all-zero key included)."""
    return (key[3] >> 24) in (0x00, 0xFF)


def _mask_scalar(key: Key, a: int) -> int:
    """The keystream word for byte address ``a`` (plain integers)."""
    c0, c1, c2, c3 = key
    if is_bypass(key):
        return 0
    a &= 0xFFFFFFFF
    result = 0
    if not c3 & 1:  # pn15
        hi, lo = a >> 16, a & 0xFFFF
        s15 = c3 >> 5 & 3
        if s15 in (2, 3):
            hi = (hi & 0xFF) << 8 | hi >> 8
        if s15 in (1, 3):
            lo = (lo & 0xFF) << 8 | lo >> 8
        x = hi ^ lo ^ (c1 >> 16)
        result ^= ((((x << 9) | (x >> 7)) & 0xFFFF) ^ (0x6371 & ((x >> 5 & 0xF) * 0x1111))) << 16
    if not c3 >> 1 & 1:  # pn16 (17 bits, low 16 used)
        x = ((a >> (c3 >> 8 & 3)) & 0x1FFFF) ^ ((c1 >> 8 & 0xFF) << 9 | (c3 >> 4 & 1) << 8 | (c1 & 0xFF))
        g = (x >> 1 & 1) << 3 | (x >> 5 & 1) << 2 | (x >> 9 & 1) << 1 | (x >> 13 & 1)
        rot = ((x << 7) | (x >> 10)) & 0x1FFFF
        result ^= (rot ^ (0x13659 & ((x >> 4 & 1) << 16 | g * 0x1111))) & 0xFFFF
    if not c3 >> 2 & 1:  # pn32
        sh = 8 * (c3 >> 11 & 3)
        x = (((a >> sh) | (a << (32 - sh))) & 0xFFFFFFFF if sh else a) ^ c0
        result ^= (((x << 17) | (x >> 15)) & 0xFFFFFFFF) ^ (0xE519A4F1 & ((x >> 2 & 0xF) * 0x11111111))
    if not c3 >> 3 & 1:
        result ^= c2
    return result & 0xFFFFFFFF


def mask(key: Key, address: int) -> int:
    """Keystream word for one address."""
    return _mask_scalar(key, address & ~3)


_WINDOW_BITS = 16
_WINDOW = 1 << _WINDOW_BITS


@lru_cache(maxsize=8)
def _window(key: Key) -> int:
    """The linear part of the keystream over one aligned 64 KiB window, as a little-endian integer.

    Every stage of the mask is affine in the address bits (rotations, byte swaps, XORs with key
    words, and ``nibble * 0x1111 & const`` terms), so ``mask(base | off) = mask(base) ^ L(off)`` for a
    window-aligned ``base``. ``L`` over the window is built by doubling: the table for offsets below
    ``2**(i+1)`` is the table below ``2**i`` followed by itself XOR ``L(2**i)``.
    """
    m0 = _mask_scalar(key, 0)
    table = (0).to_bytes(4, "little")
    for i in range(2, _WINDOW_BITS):
        words = len(table) // 4
        step = (_mask_scalar(key, 1 << i) ^ m0).to_bytes(4, "little") * words
        table += (int.from_bytes(table, "little") ^ int.from_bytes(step, "little")).to_bytes(
            len(table), "little"
        )
    return int.from_bytes(table, "little")


#: below this many bytes the keystream is computed word by word instead of from a 64 KiB window
_SMALL = 256


def keystream(key: Key, address: int, length: int) -> bytes:
    """``length`` keystream bytes for data placed at byte ``address`` (a multiple of 4)."""
    if is_bypass(key) or length <= 0:
        return bytes(length)
    if length <= _SMALL:
        words = range(address, address + length, 4)
        return b"".join(_mask_scalar(key, a).to_bytes(4, "little") for a in words)[:length]
    linear = _window(key)
    base = address & ~(_WINDOW - 1)
    chunks = []
    pos = base
    while pos < address + length:
        offset = _mask_scalar(key, pos).to_bytes(4, "little") * (_WINDOW // 4)
        chunks.append((linear ^ int.from_bytes(offset, "little")).to_bytes(_WINDOW, "little"))
        pos += _WINDOW
    start = address - base
    return b"".join(chunks)[start : start + length]


def crypt(data: bytes | bytearray | memoryview, key: Key | str, address: int = 0) -> bytes:
    """Encrypt = decrypt ``data`` placed at byte ``address`` (a multiple of 4).

    Length-preserving: a partial last word is XORed with the low bytes of its mask word, which is
    what the hardware does to the bytes that are there.
    """
    k = parse_key(key) if not isinstance(key, tuple) else key
    if address % 4:
        raise BuildError(f"address {address:#x} is not a multiple of 4", fmt="bk7231-cipher")
    n = len(data) if isinstance(data, bytes) else memoryview(data).nbytes
    if is_bypass(k) or not n:
        return bytes(data)
    if n <= _SMALL:
        ks = keystream(k, address, n)
        return (int.from_bytes(data, "little") ^ int.from_bytes(ks, "little")).to_bytes(n, "little")
    # one aligned 64 KiB keystream window at a time: no MiB-sized integers or keystream copies; the
    # input is read in place and the output written in place (BytesIO.getvalue hands its buffer over)
    raw = flat(data)
    linear = _window(k)
    out = presized(n)
    i = 0
    while i < n:
        base = (address + i) & ~(_WINDOW - 1)
        off = address + i - base
        take = min(_WINDOW - off, n - i)
        offset_words = _mask_scalar(k, base).to_bytes(4, "little") * (_WINDOW // 4)
        ks_int = linear ^ int.from_bytes(offset_words, "little")
        if off or take != _WINDOW:
            ks_int = int.from_bytes(ks_int.to_bytes(_WINDOW, "little")[off : off + take], "little")
        out.write((int.from_bytes(raw[i : i + take], "little") ^ ks_int).to_bytes(take, "little"))
        i += take
    return out.getvalue()


def clear_cache() -> None:
    """Forget the per-key window tables (benchmarks measure cold runs with this)."""
    _window.cache_clear()


def _v031_plain(raw: bytes, start: int) -> tuple[bytes, int]:
    """The plaintext buffer Beken encrypt v0.3.1 encrypts, and W (last full word boundary)."""
    n = len(raw)
    out_len = (n + 31) // 32 * 32 + 16
    fill = bytearray(b"\xff" * (out_len - n))
    for i in range(n, out_len):
        j = i - start
        if 0 <= j < n:
            fill[i - n] = raw[j]
    return raw + bytes(fill), n - n % 4


def beken_encrypt_v031(raw: bytes | bytearray | memoryview, key: Key | str, start: int = 0x10000) -> bytes:
    """Byte-exact model of Beken ``encrypt`` v0.3.1 (``encrypt in.bin c0 c1 c2 c3 <start>``).

    Output length is ``align_up(len, 32) + 16``; the fill after the data is a stale copy of the data
    ``start`` bytes earlier (0xFF where there is none) and everything from the last full word on is
    encrypted with the address *without* ``start`` (as encrypt v0.3.1 does).
    """
    if start == 0:
        raise BuildError(
            "encrypt v0.3.1 with start 0 fills with uninitialised memory: not reproducible",
            fmt="bk7231-cipher",
        )
    k = parse_key(key) if not isinstance(key, tuple) else key
    plain, w = _v031_plain(bytes(raw), start)
    return crypt(plain[:w], k, start) + crypt(plain[w:], k, w)


def recover_v031_length(
    enc: bytes | bytearray | memoryview, key: Key | str, start: int = 0x10000
) -> int | None:
    """Original ``.bin`` length of an app encrypted by Beken encrypt v0.3.1, or None if the tail does
    not follow that tool's output model.

    ``enc`` must be exactly the encrypted image (length ``align_up(L, 32) + 16``). Candidates L are
    the 32 lengths that give this size; the smallest one whose re-encryption reproduces the tail is
    returned (if the last real byte happens to equal the stale copy, the answer is one byte short:
    the information is not in the file).
    """
    k = parse_key(key) if not isinstance(key, tuple) else key
    view = flat(enc)
    out_len = len(view)
    if out_len < 48 or (out_len - 16) % 32:
        return None
    first = out_len - 16 - 31
    # Only the last 47 bytes and their stale copies ``start`` bytes earlier matter: decrypt just those
    # (the app before them re-encrypts to itself by construction, so it needs no check).
    lo = max(first - start, 0)
    lo -= lo % 4
    hi = max(out_len - start, lo)
    copy = crypt(view[lo:hi], k, start + lo)  # plaintext of enc[lo:hi] at addresses start + i
    # The tool's tail rule encrypts enc[w:] for address w: every byte at its own position, whatever
    # the candidate's w, so one decryption from the first candidate's word serves them all.
    w0 = max(first, 1) - max(first, 1) % 4
    tail_all = crypt(view[w0:], k, w0)
    for n in range(max(first, 1), out_len - 16 + 1):
        w = n - n % 4
        tail = memoryview(tail_all)[w - w0 :]  # plaintext of enc[w:] with the tail address rule
        # enc[w:] re-encrypts from real_tail + fill iff the fill the tool wrote equals tail[n - w:]:
        # a stale copy of raw[i - start] where 0 <= i - start < n, else 0xFF
        for i in range(n, out_len):
            j = i - start
            want = (copy[j - lo] if j < w else tail[j - w]) if 0 <= j < n else 0xFF
            if tail[i - w] != want:
                break
        else:
            return n
    return None
