"""Text taken from input files, made safe to print: control characters shown as escapes.

A partition name, an RBL version or a file name in a folder can hold terminal escape sequences
(``ESC ] ... BEL`` retitles the window, ``ESC [ 2 J`` clears it, a carriage return hides what was
printed before it). Every human-readable line obkimg prints passes input-derived strings through
:func:`escape_text`, which shows each such character as ``\\xNN`` / ``\\uNNNN``, as ``repr`` does.
"""

from __future__ import annotations

import re

__all__ = ["escape_text", "escape_json_text"]

#: C0 and C1 controls, DEL, and the Unicode bidirectional overrides/isolates ("Trojan source")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
#: what ``json.dumps(ensure_ascii=False)`` leaves raw inside strings (it escapes C0 itself; the newlines
#: and spaces of its indentation are outside strings and stay)
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def escape_text(value: object) -> str:
    """``str(value)`` with every control / bidi-override character escaped (``'\\x1b[2J'``)."""
    s = str(value)
    return _UNSAFE.sub(_escape, s) if _UNSAFE.search(s) else s


def escape_json_text(doc: str) -> str:
    """A JSON text (``json.dumps(..., ensure_ascii=False)``) with the characters ``json`` leaves raw
    (DEL, C1 controls, bidi overrides) written as ``\\uNNNN`` escapes: the same document, safe to show."""
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group(0)):04x}", doc) if _UNSAFE_JSON.search(doc) else doc
