"""``bk crypt``: the Beken BK7231 code cipher over a whole file, for any key and start address.

Workflow over the codec :mod:`obkimg.codecs.bkcipher` (spec §3): the cipher is an address-dependent
XOR, so encrypting and decrypting are the same operation. Kept apart from the dump analysis
(:mod:`obkimg.bkdump`) so that the command imports the cipher alone.
"""

from __future__ import annotations

from .codecs import bkcipher
from .codecs.bkcipher import Key

__all__ = ["crypt", "key_text"]


def crypt(data: bytes | bytearray | memoryview, key: Key | str, address: int) -> tuple[bytes, Key]:
    """``data`` (plain or encrypted, not CRC-framed) through the Beken code cipher for logical
    ``address`` with ``key`` (32 hex digits, 4 words, or ``tuya``/``uascent``/``zero``): encrypting and
    decrypting are the same operation. Returns the result and the parsed key."""
    k = bkcipher.parse_key(key) if not isinstance(key, tuple) else key
    return bkcipher.crypt(bytes(data), k, address), k


def key_text(key: Key) -> str:
    """A code key as its four words in hex (``510fb093 a3cbeadc 5993a17e c7adeb03``)."""
    return bkcipher.key_hex(key)
