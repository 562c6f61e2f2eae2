"""The single choke point through which every construct parse and build goes.

construct raises its own exceptions with a field path (``(parsing) -> header -> magic``) but no
offset; :func:`parse_with` translates them into :mod:`obkimg.errors` with the format id, the
field path and the stream offset where parsing stopped (plus ``base`` when the structure sits
inside a larger file).
"""

from __future__ import annotations

import io
import struct
from typing import Any

import construct as c

from .errors import BuildError, ChecksumError, FormatError, MagicError, TruncatedError

__all__ = ["parse_with", "build_with"]


def _field_path(e: c.ConstructError) -> str | None:
    path = getattr(e, "path", None)
    if not path:
        return None
    parts = [p.strip() for p in path.split("->")]
    parts = [p for p in parts if p and not p.startswith("(")]
    return ".".join(parts) or None


def _last_line(e: BaseException) -> str:
    text = str(e)
    return text.splitlines()[-1] if text else type(e).__name__


def parse_with(
    schema: c.Construct, fmt: str, data: bytes | bytearray | memoryview, *, base: int = 0, **ctx: Any
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
        raise ChecksumError(
            fmt, "checksum", "stored", "computed", offset=base + stream.tell(), path=_field_path(e)
        ) from e
    except c.ConstructError as e:
        raise FormatError(_last_line(e), fmt=fmt, offset=base + stream.tell(), path=_field_path(e)) from e
    except struct.error as e:  # compiled schemas (Construct.compile()) unpack with struct: a short read
        raise TruncatedError(fmt, stream.tell() + 1, len(data), offset=base + stream.tell()) from e
    except (ValueError, UnicodeDecodeError, OverflowError) as e:
        raise FormatError(str(e), fmt=fmt, offset=base + stream.tell()) from e


def build_with(schema: c.Construct, fmt: str, obj: Any, **ctx: Any) -> bytes:
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
