"""AES-128-ECB without padding (Tuya KV storage): bytes in, bytes out.

``cryptography`` is imported on the first call only, so importing a format that declares an encrypted
layout costs nothing until something is decrypted.
"""

from __future__ import annotations

from typing import Any

from ..errors import FormatError

__all__ = ["ecb_decrypt", "ecb_encrypt"]


def _cipher(key: bytes) -> Any:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    return Cipher(algorithms.AES(bytes(key)), modes.ECB())


def _check(data: bytes | bytearray | memoryview, fmt: str) -> None:
    if len(data) % 16:
        raise FormatError(f"AES-ECB input of {len(data)} bytes is not a multiple of 16", fmt=fmt)


def ecb_decrypt(key: bytes, data: bytes | bytearray | memoryview, *, fmt: str = "aes-ecb") -> bytes:
    """AES-ECB decrypt ``data`` (a multiple of 16 bytes, else :class:`~obkimg.errors.FormatError`
    naming ``fmt``) with ``key`` (16, 24 or 32 bytes)."""
    _check(data, fmt)
    d = _cipher(key).decryptor()
    return bytes(d.update(data) + d.finalize())


def ecb_encrypt(key: bytes, data: bytes | bytearray | memoryview, *, fmt: str = "aes-ecb") -> bytes:
    """AES-ECB encrypt ``data`` (a multiple of 16 bytes, else :class:`~obkimg.errors.FormatError`
    naming ``fmt``) with ``key``."""
    _check(data, fmt)
    e = _cipher(key).encryptor()
    return bytes(e.update(data) + e.finalize())
