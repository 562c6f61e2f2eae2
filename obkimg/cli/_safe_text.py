"""Text streams that escape control characters, installed over stdout and stderr by ``obkimg.cli.main``.

Strings from input files (partition names, RBL versions, SSIDs, file names found by ``scan``) reach many
lines of text output. Rather than trust every one of those lines to escape them, the streams do: every
control character except newline and tab, DEL, the C1 controls and the bidi overrides are written as
``\\xNN`` / ``\\uNNNN`` (:mod:`obkimg.text`). Binary output (``.buffer``) is not touched. Colour that
obkimg adds itself (the flash map on a terminal) is written to ``.unescaped`` after its input-derived
text has been escaped.
"""

from __future__ import annotations

import re
import sys
from typing import Any, TextIO

from ..text import escape_text

__all__ = ["EscapingWriter", "install", "unescaped"]

_KEEP = re.compile(r"([\n\t]+)")


def _escape_output(s: str) -> str:
    return "".join(p if i % 2 else escape_text(p) for i, p in enumerate(_KEEP.split(s)))


class EscapingWriter:
    """A text stream proxy: ``write`` escapes, everything else (buffer, encoding, isatty...) delegates."""

    def __init__(self, stream: TextIO) -> None:
        self.unescaped = stream

    def write(self, s: Any) -> int:
        if not isinstance(s, str):
            return self.unescaped.write(s)
        self.unescaped.write(_escape_output(s))
        return len(s)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.unescaped.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.unescaped, name)


def install() -> tuple[Any, Any]:
    """Wrap sys.stdout and sys.stderr; returns the previous pair for :func:`restore`."""
    saved = (sys.stdout, sys.stderr)
    if sys.stdout is not None and not isinstance(sys.stdout, EscapingWriter):
        sys.stdout = EscapingWriter(sys.stdout)
    if sys.stderr is not None and not isinstance(sys.stderr, EscapingWriter):
        sys.stderr = EscapingWriter(sys.stderr)
    return saved


def unescaped(stream: Any) -> Any:
    """The stream under an :class:`EscapingWriter` (for output obkimg has escaped itself)."""
    return stream.unescaped if isinstance(stream, EscapingWriter) else stream
