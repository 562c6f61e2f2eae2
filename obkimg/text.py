"""Text taken from input files, made safe to print: control characters shown as escapes.

A partition name, an RBL version or a file name in a folder can hold terminal escape sequences
(``ESC ] ... BEL`` retitles the window, ``ESC [ 2 J`` clears it, a carriage return hides what was
printed before it). Every human-readable line obkimg prints passes input-derived strings through
:func:`escape_text`, which shows each such character as ``\\xNN`` / ``\\uNNNN``, as ``repr`` does.
"""

from __future__ import annotations

import re

__all__ = ["escape_text"]

#: C0 and C1 controls, DEL, and the Unicode bidirectional overrides/isolates ("Trojan source")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def escape_text(value: object) -> str:
    """``str(value)`` with every control / bidi-override character escaped (``'\\x1b[2J'``)."""
    s = str(value)
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s
