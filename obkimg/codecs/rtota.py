"""The RT-Thread OTA payload codec (``rt_ota_packaging_tool_cli``): compress, PKCS#7-pad, AES-256-CBC.

:func:`encode` turns a plain app into the payload of an RBL OTA file and :func:`decode` back (gzip or
no compression; the RBL header that says which is :mod:`obkimg.formats.bk7231.rbl`). Keys and IVs are
the ASCII characters themselves (the Tuya/OpenBeken key is the 32-character string
``0123456789ABCDEF0123456789ABCDEF``), not hex-decoded. ``cryptography`` is imported on first use only.
"""

from __future__ import annotations

from typing import Any

from ..errors import BuildError, DecryptError, FormatError, LimitError, ObkImgError
from .compress import gunzip, gzip_member

__all__ = [
    "pkcs7_pad",
    "pkcs7_len",
    "secret_bytes",
    "aes_cipher",
    "cbc_encrypt",
    "cbc_decrypt",
    "encode",
    "decode",
]


def pkcs7_pad(data: bytes, block: int = 16) -> bytes:
    """``data`` with PKCS#7 padding to a multiple of ``block`` bytes (a full block when already aligned)."""
    n = block - len(data) % block
    return data + bytes([n]) * n


def pkcs7_len(data: bytes, block: int = 16) -> int:
    """Length of a valid PKCS#7 tail of ``data`` (0 if there is none)."""
    if not data:
        return 0
    n = data[-1]
    if 1 <= n <= block and len(data) >= n and data[-n:] == bytes([n]) * n:
        return n
    return 0


def secret_bytes(value: str | bytes, size: int, what: str, err: type[ObkImgError], fmt: str) -> bytes:
    """A key or IV given as ASCII text (used as it is) or bytes, checked to be ``size`` bytes; ``err``
    (naming ``fmt`` and the field ``what``) otherwise."""
    if isinstance(value, str):
        try:
            raw = value.encode("ascii", "strict")
        except UnicodeEncodeError as e:
            raise err(
                f"the AES-256-CBC {what} must be ASCII characters (used as they are); character "
                f"{e.start + 1} is not",
                fmt=fmt,
                path=what,
            ) from None
    else:
        raw = bytes(value)
    if len(raw) != size:
        raise err(
            f"the AES-256-CBC {what} must be {size} bytes (ASCII characters, used as they are), "
            f"got {len(raw)}",
            fmt=fmt,
            path=what,
        )
    return raw


def aes_cipher(key: bytes, iv: bytes) -> Any:
    """A ``cryptography`` AES-CBC cipher object for ``key`` and ``iv``."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(key), modes.CBC(iv))


def cbc_encrypt(data: bytes, key: str | bytes, iv: str | bytes, *, fmt: str) -> bytes:
    """``data`` PKCS#7-padded and AES-256-CBC encrypted (BuildError for a bad key or IV)."""
    k = secret_bytes(key, 32, "key", BuildError, fmt)
    i = secret_bytes(iv, 16, "iv", BuildError, fmt)
    enc = aes_cipher(k, i).encryptor()
    return bytes(enc.update(pkcs7_pad(data)) + enc.finalize())


def cbc_decrypt(data: bytes, key: str | bytes, iv: str | bytes, *, fmt: str, base: int = 0) -> bytes:
    """``data`` AES-256-CBC decrypted with its PKCS#7 padding removed; DecryptError (offsets from
    ``base``) for a bad key or IV, a length that is not whole blocks, or bad padding."""
    k = secret_bytes(key, 32, "key", DecryptError, fmt)
    i = secret_bytes(iv, 16, "iv", DecryptError, fmt)
    n = len(data)
    if n == 0 or n % 16:
        raise DecryptError(
            f"AES-256-CBC payload of {n} bytes is not a whole number of 16-byte blocks",
            fmt=fmt,
            path="payload",
            offset=base + n - n % 16,
        )
    dec = aes_cipher(k, i).decryptor()
    plain = bytes(dec.update(data) + dec.finalize())
    pad = pkcs7_len(plain)
    if not pad:
        raise DecryptError(
            "bad PKCS#7 padding after AES-256-CBC decryption (wrong key or IV?)",
            fmt=fmt,
            path="payload",
            offset=base + n - 16,
        )
    return plain[:-pad]


def encode(
    app: bytes, *, gzip: bool, aes: bool, key: str | bytes, iv: str | bytes, pad: bool, fmt: str
) -> bytes:
    """The payload of ``app``: one gzip member (``gzip``), then PKCS#7 padding and AES-256-CBC (``aes``),
    or PKCS#7 padding alone (``pad``: the RT-Thread tool pads even without AES, ltchiptool does not)."""
    body = gzip_member(app) if gzip else app
    if aes:
        return cbc_encrypt(body, key, iv, fmt=fmt)
    return pkcs7_pad(body) if pad else body


def decode(stream: bytes, *, gzip: bool, aes: bool, size_raw: int, limit: int, fmt: str, base: int) -> bytes:
    """The plain app from a decrypted payload ``stream`` (gzip or not compressed), bounded by ``limit``;
    without AES a PKCS#7 tail after ``size_raw`` bytes is removed. Offsets in errors start at ``base``."""
    if gzip:
        if stream[:3] != b"\x1f\x8b\x08":
            cls: type[ObkImgError] = DecryptError if aes else FormatError
            raise cls(
                f"payload does not start with a gzip header (found {stream[:4].hex()}"
                f"{', wrong AES key?' if aes else ''})",
                fmt=fmt,
                path="payload",
                offset=base,
            )
        return gunzip(stream, limit=limit, fmt=fmt, base=base)
    raw = stream
    extra = len(raw) - size_raw
    if extra > 0 and not aes and pkcs7_len(raw) == extra:
        raw = raw[:size_raw]  # RT-Thread tool pads even without AES
    if len(raw) > limit:
        raise LimitError(f"payload exceeds the output limit of {limit} bytes", fmt=fmt, offset=base)
    return raw
