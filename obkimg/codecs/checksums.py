"""Checksums used by the on-flash formats: CRC-32, CRC-16/CMS, FNV-1a-32, byte sums."""

from __future__ import annotations

import zlib

__all__ = ["crc32", "crc16_cms", "fnv1a32", "sum32", "CRC16_CMS_TABLE"]


def crc32(data: bytes | bytearray | memoryview, value: int = 0) -> int:
    """zlib CRC-32 (ISO-HDLC), unsigned."""
    return zlib.crc32(data, value) & 0xFFFFFFFF


def _crc16_cms_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x8005) if crc & 0x8000 else (crc << 1)
        table.append(crc & 0xFFFF)
    return tuple(table)


#: CRC-16/CMS lookup table (poly 0x8005, MSB first)
CRC16_CMS_TABLE = _crc16_cms_table()


def crc16_cms(data: bytes | bytearray | memoryview, crc: int = 0xFFFF) -> int:
    """CRC-16/CMS: poly 0x8005, init 0xFFFF, unreflected, xorout 0. check("123456789") == 0xAEE7."""
    table = CRC16_CMS_TABLE
    for byte in bytes(data):
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ byte]
    return crc


def fnv1a32(data: bytes | bytearray | memoryview) -> int:
    """FNV-1a, 32 bit (offset basis 0x811C9DC5, prime 0x01000193).

    No C implementation exists in the standard library, so this is the fastest pure-Python form
    found: four bytes per loop step (``zip`` over one iterator) and one mask per step. Masking every
    fourth byte is exact: XOR with a byte touches only the low 8 bits, and the low 32 bits of a
    product depend only on the low 32 bits of its factors.
    """
    h = 0x811C9DC5
    buf = bytes(data)
    n = len(buf) - len(buf) % 4
    it = iter(buf)  # zip stops at the last whole group of four; the rest is done below
    for b0, b1, b2, b3 in zip(it, it, it, it, strict=False):
        h = ((((h ^ b0) * 0x01000193 ^ b1) * 0x01000193 ^ b2) * 0x01000193 ^ b3) * 0x01000193 & 0xFFFFFFFF
    for byte in buf[n:]:
        h = ((h ^ byte) * 0x01000193) & 0xFFFFFFFF
    return h


def sum32(data: bytes | bytearray | memoryview) -> int:
    """Byte-wise sum modulo 2**32 (Tuya UG and KV 'checksums')."""
    return sum(bytes(data)) & 0xFFFFFFFF
