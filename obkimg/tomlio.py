"""TOML read with bounds and checked against a declared shape, and TOML strings written escaped.

Reading uses the standard ``tomllib`` (``tomli`` on Python 3.10, the same parser). Whatever the text,
only :class:`~obkimg.errors.ObkImgError` subclasses leave: a syntax error names its line and byte
offset, nesting too deep for the parser is a :class:`~obkimg.errors.LimitError`, and a document that
parses but does not have the expected shape names the bad key by its path (``pt_entry[2].address0``).

Writing: :func:`toml_string` renders one string as a TOML basic string with ``tomli_w`` (every control
character escaped), so a name holding a newline or a quote reads back as itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from ._record import dataclass
from .errors import FormatError, LimitError

__all__ = ["MAX_TOML_SIZE", "Field", "loads", "check_shape", "toml_string", "u32", "u8", "text"]

#: largest TOML text read (a vendor partition file is ~2 KB)
MAX_TOML_SIZE = 1 << 20

_WHERE = re.compile(r"\(at line (\d+), column (\d+)\)|\(at end of document\)")


def _parser() -> Any:
    if sys.version_info >= (3, 11):
        import tomllib

        return tomllib
    import tomli  # pragma: no cover - Python 3.10 only

    return tomli  # pragma: no cover


def _offset(text: str, message: str) -> tuple[int | None, int | None]:
    """(line, byte offset) named by a tomllib error message, if it names one."""
    m = _WHERE.search(message)
    if m is None:
        return None, None
    if m.group(1) is None:
        return text.count("\n") + 1, len(text.encode())
    line, col = int(m.group(1)), int(m.group(2))
    lines = text.split("\n")
    start = sum(len(x.encode()) + 1 for x in lines[: line - 1])
    within = lines[line - 1][: col - 1] if line - 1 < len(lines) else ""
    return line, start + len(within.encode())


def loads(text: str, *, fmt: str) -> dict[str, Any]:
    """Parse TOML ``text``; FormatError (with line and offset) or LimitError on anything wrong."""
    if len(text) > MAX_TOML_SIZE:
        raise LimitError(f"TOML text of {len(text)} characters (at most {MAX_TOML_SIZE} read)", fmt=fmt)
    toml = _parser()
    try:
        return dict(toml.loads(text))
    except toml.TOMLDecodeError as e:
        msg = str(e.args[0] if e.args else e)
        line, offset = _offset(text, msg)
        head = _WHERE.sub("", msg).strip()
        where = f"TOML line {line}: " if line is not None else "TOML: "
        raise FormatError(where + head, fmt=fmt, offset=offset, path="toml") from None
    except RecursionError:
        raise LimitError("TOML arrays or tables nested too deep", fmt=fmt, path="toml") from None


@dataclass(frozen=True)
class Field:
    """A declared key: a checker returning the value (or raising ValueError), and whether it is required."""

    check: Callable[[Any], Any]
    required: bool = False


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def _unsigned(bits: int) -> Callable[[Any], int]:
    top = (1 << bits) - 1

    def check(value: Any) -> int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"must be an unsigned integer, not {_kind(value)}")
        if not 0 <= value <= top:
            raise ValueError(f"must be an unsigned integer of {bits} bits (0..{top:#x}), not {value:#x}")
        return value

    check.__doc__ = f"``value`` when it is an unsigned integer of {bits} bits; ValueError otherwise."
    return check


u32 = _unsigned(32)
u8 = _unsigned(8)


def text(value: Any) -> str:
    """A string that can be encoded (no lone surrogates)."""
    if not isinstance(value, str):
        raise ValueError(f"must be a string, not {_kind(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("holds a lone surrogate, which is not text") from None
    return value


def check_shape(table: Any, fields: Mapping[str, Field], *, fmt: str, where: str) -> dict[str, Any]:
    """The declared keys of ``table`` checked (unknown keys are ignored, as the vendor tools do).

    Raises FormatError naming ``where.key`` for a missing key or a value of the wrong type or range.
    """
    if not isinstance(table, dict):
        raise FormatError(f"must be a table, not {_kind(table)}", fmt=fmt, path=where)
    out: dict[str, Any] = {}
    for key, spec in fields.items():
        path = f"{where}.{key}" if where else key
        if key not in table:
            if spec.required:
                raise FormatError("missing key", fmt=fmt, path=path)
            continue
        try:
            out[key] = spec.check(table[key])
        except ValueError as e:
            raise FormatError(str(e), fmt=fmt, path=path) from None
    return out


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (quotes, backslashes and control characters escaped)."""
    import tomli_w

    line = tomli_w.dumps({"v": value})
    return line[len("v = ") :].rstrip("\n")
