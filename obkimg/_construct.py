"""The single choke point through which every construct parse and build goes.

construct raises its own exceptions with a field path (``(parsing) -> header -> magic``) but no
offset; :func:`parse_with` translates them into :mod:`obkimg.errors` with the format id, the
field path and the stream offset where parsing stopped (plus ``base`` when the structure sits
inside a larger file).
"""

from __future__ import annotations

import functools
import io
import struct
from typing import TYPE_CHECKING, Any, TypeAlias

import construct as c

from .errors import BuildError, ChecksumError, FormatError, MagicError, TruncatedError

if TYPE_CHECKING:
    #: any construct, as the construct-typing stubs spell it (they make Construct and Adapter generic)
    Con: TypeAlias = c.Construct[Any, Any]
    #: base class for adapters (not subscriptable at run time)
    AdapterBase: TypeAlias = c.Adapter[Any, Any, Any, Any]
else:
    Con = c.Construct
    AdapterBase = c.Adapter

__all__ = [
    "Con",
    "AdapterBase",
    "parse_with",
    "build_with",
    "CStr",
    "CString0",
    "is_strict",
    "StrictCheck",
    "field_offsets",
    "LenientChecksum",
    "offset_of",
]


def _field_path(e: c.ConstructError) -> str | None:
    path = getattr(e, "path", None)
    if not path:
        return None
    parts = [p.strip() for p in path.split("->")]
    parts = [p for p in parts if p and not p.startswith("(")]
    parts = [p for i, p in enumerate(parts) if i == 0 or p != parts[i - 1]]
    return ".".join(parts) or None


def _last_line(e: BaseException) -> str:
    text = str(e)
    return text.splitlines()[-1] if text else type(e).__name__


def parse_with(
    schema: c.Construct[Any, Any],
    fmt: str,
    data: bytes | bytearray | memoryview,
    *,
    base: int = 0,
    **ctx: Any,
) -> Any:
    """Parse ``data`` with ``schema``; any construct error becomes an ``ObkImgError``.

    ``base`` is the offset of ``data`` inside the file the user gave, so error offsets are absolute.
    """
    stream = io.BytesIO(bytes(data))
    try:
        return schema.parse_stream(stream, **ctx)
    except c.StreamError as e:
        raise TruncatedError(
            fmt, stream.tell() + 1, len(data), offset=base + stream.tell(), path=_field_path(e)
        ) from e
    except c.ConstError as e:
        raise MagicError(
            fmt,
            None,
            None,
            offset=base + stream.tell(),
            path=_field_path(e),
            message=_last_line(e).replace("parsing expected", "expected"),
        ) from e
    except c.ChecksumError as e:
        path = _field_path(e)
        what = path.rsplit(".", 1)[-1] if path else "checksum"
        stored, computed = getattr(e, "stored", "stored"), getattr(e, "computed", "computed")
        raise ChecksumError(fmt, what, stored, computed, offset=base + stream.tell(), path=path) from e
    except c.ConstructError as e:
        raise FormatError(_last_line(e), fmt=fmt, offset=base + stream.tell(), path=_field_path(e)) from e
    except struct.error as e:  # compiled schemas (Construct.compile()) unpack with struct: a short read
        raise TruncatedError(fmt, stream.tell() + 1, len(data), offset=base + stream.tell()) from e
    except (ValueError, UnicodeDecodeError, OverflowError) as e:
        raise FormatError(str(e), fmt=fmt, offset=base + stream.tell()) from e


def build_with(schema: c.Construct[Any, Any], fmt: str, obj: Any, **ctx: Any) -> bytes:
    """Build ``obj`` with ``schema``; construct errors become :class:`BuildError`."""
    try:
        return bytes(schema.build(obj, **ctx))
    except (
        c.ConstructError,
        ValueError,
        TypeError,
        KeyError,
        OverflowError,
        UnicodeEncodeError,
        struct.error,
    ) as e:  # struct.error: a value out of range in a compiled schema
        msg = _last_line(e)
        path = _field_path(e) if isinstance(e, c.ConstructError) else None
        raise BuildError(msg, fmt=fmt, path=path) from e


class CStr(str):
    """Text read from a fixed-size C ``char[]`` field, carrying the field's exact bytes.

    It compares, hashes and prints as the text before the first NUL, so models treat it as a plain
    ``str``; :data:`CString0` builds it back from ``raw``, so the bytes after the NUL (garbage left by
    the vendor tool, an older longer name) round-trip byte for byte.
    """

    raw: bytes

    def __new__(cls, text: str, raw: bytes) -> CStr:
        self = super().__new__(cls, text)
        self.raw = raw
        return self

    def __reduce__(self) -> tuple[type[CStr], tuple[str, bytes]]:
        return (CStr, (str(self), self.raw))


class _CString0(c.Adapter):  # type: ignore[type-arg]  # construct classes are not subscriptable at runtime
    def __init__(self, length: int, encoding: str, errors: str) -> None:
        super().__init__(c.Bytes(length))
        self.length = length
        self.encoding = encoding
        self.errors = errors

    def _decode(self, obj: bytes, context: Any, path: str) -> CStr:
        text = obj.split(b"\0", 1)[0].decode(
            self.encoding, "replace" if self.encoding == "utf-8" else "strict"
        )
        return CStr(text, bytes(obj))

    def _encode(self, obj: Any, context: Any, path: str) -> bytes:
        raw = getattr(obj, "raw", None)
        if (
            isinstance(raw, bytes)
            and len(raw) == self.length
            and str(obj) == self._decode(raw, context, path)
        ):
            return raw
        data = str(obj).encode(self.encoding)
        if len(data) > self.length or b"\0" in data:
            raise c.ExplicitError(
                f"{len(data)}-byte text {str(obj)!r} does not fit a {self.length}-byte C string"
            )
        return data + bytes(self.length - len(data))


def CString0(length: int, encoding: str = "ascii", errors: str = "strict") -> c.Construct[Any, Any]:  # noqa: N802
    """A fixed-size, NUL-padded C ``char[length]``: parses to :class:`CStr` (text before the first NUL,
    raw bytes kept); builds a :class:`CStr` from its raw bytes, and a plain ``str`` NUL-padded (a text
    as long as the field needs no NUL, as in C). ``errors`` is the decoding policy for the text
    (``"replace"`` where a vendor tool leaves non-text bytes before the NUL)."""
    return _CString0(length, encoding, errors)


def is_strict(ctx: Any) -> bool:
    """The one meaning of ``strict`` in every schema: the ``strict`` keyword of the parse call
    (``parse_with(schema, fmt, data, strict=False)``), true when it is not given."""
    params = getattr(ctx, "_params", None)
    return bool(params.get("strict", True)) if params is not None else True


def StrictCheck(ok: Any) -> c.Construct[Any, Any]:  # noqa: N802
    """``Check`` that runs only when the parse is strict: ``ok(ctx)`` is the condition (a CRC or a
    length stored before its data matching what was read). Lenient parses keep going and the model
    reports the mismatch as a Problem."""
    return c.Check(lambda ctx: not is_strict(ctx) or bool(ok(ctx)))


class _Mismatch(c.ChecksumError):
    """A strict LenientChecksum mismatch, carrying both values for :class:`~obkimg.errors.ChecksumError`."""

    def __init__(self, stored: Any, computed: Any, path: str) -> None:
        super().__init__(f"stored {stored!r}, computed {computed!r}", path=path)
        self.stored, self.computed = stored, computed


class LenientChecksum(c.Checksum):  # type: ignore[type-arg]
    """``Checksum`` over a ``RawCopy`` (a CRC or hash AFTER its data) with the one meaning of ``strict``:
    only a strict parse enforces it, and a given value builds as is (``None`` builds the computed one),
    so a leniently parsed file with a bad checksum builds back byte for byte.

    ``placeholders`` are stored values a vendor tool writes instead of the checksum (BL602's 0 and
    0xDEADBEEF): a strict parse accepts them. A strict mismatch raises ``ChecksumError`` with the stream
    at the stored checksum, so the error names its offset."""

    def __init__(self, checksumfield: Any, hashfunc: Any, bytesfunc: Any, placeholders: tuple[int, ...] = ()):
        super().__init__(checksumfield, hashfunc, bytesfunc)
        self.placeholders = placeholders

    def _parse(self, stream: Any, context: Any, path: str) -> Any:
        start = stream.tell()
        stored = self.checksumfield._parsereport(stream, context, path)
        if is_strict(context) and stored not in self.placeholders:
            computed = self.hashfunc(self.bytesfunc(context))
            if stored != computed:
                stream.seek(start)
                raise _Mismatch(stored, computed, path)
        return stored

    def _build(self, obj: Any, stream: Any, context: Any, path: str) -> Any:
        value = self.hashfunc(self.bytesfunc(context)) if obj is None else obj
        self.checksumfield._build(value, stream, context, path)
        return value


def _fields(schema: Any) -> list[Any] | None:
    """The subcons of the Struct ``schema`` is, or wraps through names and RawCopy (None otherwise)."""
    while isinstance(schema, (c.Renamed, c.RawCopy)):
        schema = schema.subcon
    return list(schema.subcons) if isinstance(schema, c.Struct) else None


def field_offsets(schema: Any) -> dict[str, int]:
    """The offset of each named top-level field of a Struct with static sizes (the sizes of the fields
    before it): error offsets come from the declaration, never from a second table of numbers."""
    out: dict[str, int] = {}
    at = 0
    for sub in _fields(schema) or ():
        if sub.name:
            out[sub.name] = at
        at += sub.sizeof()
    return out


@functools.lru_cache(maxsize=256)
def offset_of(struct: c.Construct[Any, Any], field_name: str) -> int:
    """Byte offset of ``field_name`` inside ``struct``, from the sizes of the fields before it
    (searched depth-first through nested Structs and RawCopy; every field before it must have a static
    size). Error offsets come from the schema this way, never from a table of numbers (cached: schemas
    are built once, at module level)."""

    def walk(schema: Any) -> int | None:
        off = 0
        for sc in _fields(schema) or ():
            if sc.name == field_name:
                return off
            inner = walk(sc) if _fields(sc) is not None else None
            if inner is not None:
                return off + inner
            off += sc.sizeof()
        return None

    found = walk(struct)
    if found is None:
        raise KeyError(f"no field {field_name!r} in the schema")
    return found
