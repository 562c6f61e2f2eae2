"""``common()`` in the style of construct's own test helper, for obkimg's schemas."""

from __future__ import annotations

from typing import Any

import construct as c


def _plain(obj: Any) -> Any:
    """A construct Container/ListContainer as plain dicts and lists, without ``_io`` and friends."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items() if not (isinstance(k, str) and k.startswith("_"))}
    if isinstance(obj, list):
        return [_plain(v) for v in obj]
    return obj


def common(schema: c.Construct, data: bytes, value: Any = None, size: int | None = None, **ctx: Any) -> Any:
    """Parse ``data``, build the result back to the same bytes, compare with ``value`` (when given,
    as plain data; building ``value`` must give ``data`` too) and with ``sizeof()`` (when ``size`` is
    given; ``size=-1`` asserts the schema has no static size). Returns the parsed object."""
    parsed = schema.parse(data, **ctx)
    assert schema.build(parsed, **ctx) == data
    if value is not None:
        assert _plain(parsed) == _plain(value)
        assert schema.build(value, **ctx) == data
    if size is not None:
        if size < 0:
            try:
                schema.sizeof(**ctx)
            except c.SizeofError:
                pass
            else:
                raise AssertionError("schema has a static size")
        else:
            assert schema.sizeof(**ctx) == size
    return parsed
