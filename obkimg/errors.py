"""The one exception tree that leaves obkimg, and the non-fatal ``Problem`` record.

Every error names the format id (``bk7231-qio``, ``bl602-ota``, ...), the field path where one is
known and the byte offset in the input, so a message reads like::

    bk7231-rbl: bad header CRC-32 (stored 0x1234ABCD, computed 0x0) in field header.crc32 at offset 0x10F9A

Only subclasses of :class:`ObkImgError` are raised by the library; anything else escaping is a bug.
Every error exposes ``fmt`` (the format id), ``field`` (alias ``path``), ``offset`` and ``hint``; the same
four are in :meth:`ObkImgError.to_dict` (``format``, ``field``, ``offset``, ``hint``). Messages use API
words (``force=True``, ``allow_mismatch=True``); the command line shows its own (``--force``).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from ._record import dataclass
from .secrets import scrub_text

__all__ = [
    "Severity",
    "SEVERITIES",
    "unique_problems",
    "ObkImgError",
    "FormatError",
    "MagicError",
    "ChecksumError",
    "TruncatedError",
    "DetectionError",
    "DecryptError",
    "NotFoundError",
    "BuildError",
    "MismatchError",
    "LimitError",
    "OutputError",
    "UnknownChipError",
    "Problem",
]


class ObkImgError(Exception):
    """Base of every error obkimg raises on purpose."""

    #: short machine id of the error class, used in JSON error documents
    code = "error"

    def __init__(
        self,
        message: str,
        *,
        fmt: str | None = None,
        offset: int | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = scrub_text(message)  # no error text carries a secret (`password=...` masked)
        self.fmt = fmt
        self.offset = offset
        self.path = path
        self.hint = hint
        super().__init__(self.render())

    @property
    def field(self) -> str | None:
        """The field path inside the format where the error is (same as ``path``)."""
        return self.path

    def render(self) -> str:
        """The one-line message: format, message, field, offset and hint."""
        text = f"{self.fmt}: {self.message}" if self.fmt else self.message
        if self.path:
            text += f" in field {self.path}"
        if self.offset is not None:
            text += f" at offset {self.offset:#x}"
        if self.hint:
            text += f" ({self.hint})"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The error as JSON (``schemas/error.v1``)."""
        return {
            "type": type(self).__name__,
            "code": self.code,
            "message": self.render(),
            "format": self.fmt,
            "field": self.path,
            "offset": self.offset,
            "hint": self.hint,
            "path": self.path,
        }


class FormatError(ObkImgError):
    """The bytes do not match the declared format."""

    code = "format"


class MagicError(FormatError):
    """A magic number / signature is wrong."""

    code = "magic"

    def __init__(
        self,
        fmt: str,
        expected: bytes | None,
        found: bytes | None,
        *,
        offset: int | None = None,
        path: str | None = "magic",
        hint: str | None = None,
        message: str | None = None,
    ) -> None:
        self.expected = expected
        self.found = found
        text = message or f"bad magic (expected {expected!r}, found {found!r})"
        super().__init__(text, fmt=fmt, offset=offset, path=path, hint=hint)


class ChecksumError(FormatError):
    """A stored checksum/hash does not match the data."""

    code = "checksum"

    def __init__(
        self,
        fmt: str,
        what: str,
        expected: int | bytes | str,
        actual: int | bytes | str,
        *,
        offset: int | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.expected = expected
        self.actual = actual

        def show(v: int | bytes | str) -> str:
            if isinstance(v, int):
                return f"{v:#x}"
            if isinstance(v, bytes):
                return v.hex()
            return v

        super().__init__(
            f"bad {what} (stored {show(expected)}, computed {show(actual)})",
            fmt=fmt,
            offset=offset,
            path=path,
            hint=hint,
        )


class TruncatedError(FormatError):
    """The input ends before the structure does."""

    code = "truncated"

    def __init__(
        self,
        fmt: str,
        needed: int,
        available: int,
        *,
        offset: int | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.needed = needed
        self.available = available
        super().__init__(
            f"truncated: needs {needed} bytes, only {available} available",
            fmt=fmt,
            offset=offset,
            path=path,
            hint=hint,
        )


class DetectionError(ObkImgError):
    """Nothing recognised the input (or the caller asked for a kind it is not)."""

    code = "detect"

    def __init__(self, message: str, *, candidates: list[str] | None = None, **kw: Any) -> None:
        self.candidates = candidates or []
        super().__init__(message, **kw)


class DecryptError(ObkImgError):
    """Decryption failed: wrong key, or the data is not what was expected."""

    code = "decrypt"


class NotFoundError(ObkImgError):
    """A requested structure (Tuya storage, OBK config, partition, ...) is not in the input."""

    code = "not-found"


class BuildError(ObkImgError):
    """A model cannot be encoded (value out of range, overlapping regions, does not fit...)."""

    code = "build"


class MismatchError(ObkImgError):
    """Parts that must belong together do not (T bootloader with an N app, wrong key, wrong chip)."""

    code = "mismatch"


class LimitError(ObkImgError):
    """A resource bound was hit: input too large, decompression bomb, ..."""

    code = "limit"


class OutputError(ObkImgError):
    """An output cannot be written safely (exists and force=False, equals the input, ...)."""

    code = "output"


class UnknownChipError(ObkImgError):
    """A chip name obkimg does not know (``--chip esp32``); the hint lists the known ones."""

    code = "unknown-chip"


#: how bad a :class:`Problem` is: ``error`` (the data is damaged or would not work: ``verify`` fails),
#: ``warning`` (suspicious, worth a look) or ``info`` (a fact worth knowing)
Severity = Literal["error", "warning", "info"]

#: every :data:`Severity`, worst first
SEVERITIES: tuple[Severity, ...] = get_args(Severity)


@dataclass(frozen=True, slots=True)
class Problem:
    """A non-fatal finding attached to a parsed model (a bad sector, a CRC mismatch in a dump...)."""

    severity: Severity
    message: str
    offset: int | None = None
    fmt: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The problem as JSON."""
        return {"severity": self.severity, "message": self.message, "offset": self.offset, "format": self.fmt}

    def __str__(self) -> str:
        where = f" at {self.offset:#x}" if self.offset is not None else ""
        return f"{self.severity}: {self.message}{where}"


def unique_problems(found: list[Problem]) -> list[Problem]:
    """``found`` without repeats (a model problem is usually also attached to its region)."""
    out: list[Problem] = []
    for p in found:
        if not any((q.severity, q.message, q.offset) == (p.severity, p.message, p.offset) for q in out):
            out.append(p)
    return out
