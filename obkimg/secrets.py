"""The one definition of what is secret in obkimg's outputs, and the one way to mask it.

Secret are user data a forum post must not carry: Wi-Fi SSIDs and passwords (at any depth, e.g.
``wf_pt`` -> ``ap_item[].pwsd``, and the binary ``ap_info_v2`` that holds them), Tuya identities and
keys (``uuid``, ``auth_key``, ``psk_key``, ``psk30_key``, ``gw_ai.key``, ``lckey``, ``gw_di.id``,
``token``, ``fac_pin``, ``tuya_seed``, ``ble_beaconkey``, the ``hs_psk``/``mq_psk`` endpoints), MQTT
user names and passwords and the web password of an OpenBeken config, and BL602 efuse keys.

- :func:`is_secret` says whether a field name (under a parent name) is secret.
- :func:`redact` masks every secret of a JSON-like document, recursively, including JSON held inside
  strings. Every masking output of obkimg (``info`` text/JSON/SVG, ``tuya-keys --redact``,
  ``obk-config show --redact``, ``obk-config new``/``diff``, summaries) goes through it.
- :func:`mask` is what a secret becomes: always :data:`MASK`, whatever its length, so a masked value
  tells neither the length nor any character. ``None`` and ``""`` stay as they are (absent / empty).
- :func:`scrub_text` masks ``name=value`` / ``"name": "value"`` pairs with a secret name in free text
  (error messages, tracebacks).
- :func:`find_secrets` lists the secret values of an unredacted document (for leak tests).

Field names compare case-insensitively. :class:`Secret` strings (also importable from
:mod:`obkimg.model`) are masked wherever they are, whatever their name.

This module is part of the core layer: it imports nothing from obkimg, so :mod:`obkimg.errors` (which
scrubs every message) and :mod:`obkimg.model` build on it without an import cycle.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

__all__ = [
    "Secret",
    "MASK",
    "MAX_DEPTH",
    "SECRET_NAMES",
    "SECRET_CHILDREN",
    "is_secret",
    "mask",
    "redact",
    "scrub_text",
    "find_secrets",
]

#: what every masked value becomes
MASK = "***"


class Secret(str):
    """A string holding user data that must not leak into logs: ``repr`` and ``masked`` hide it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "Secret('***')"

    @property
    def masked(self) -> str:
        """``"***"`` (``""`` stays ``""``): neither the length nor any character."""
        return MASK if self else ""

    def reveal(self) -> str:
        """The secret itself, as a plain ``str``."""
        return str(self)


#: names secret wherever they appear
SECRET_NAMES: frozenset[str] = frozenset(
    {
        # Wi-Fi credentials (Tuya gw_wsm / ssid / passwd / wf_pt, OpenBeken, BL602 DTB, summaries)
        "ssid",
        "ssid2",
        "wifi_ssid",
        "wifi_ssid2",
        "passwd",
        "password",
        "password2",
        "pwsd",
        "pwd",
        "pass",
        "wifi_pass",
        "wifi_pass2",
        "ap_passwd",
        "ap_info_v2",
        # Tuya identity and keys
        "uuid",
        "wx_uuid",
        "auth_key",
        "psk_key",
        "psk21_key",
        "psk30_key",
        "lckey",
        "local_key",
        "localkey",
        "sec_key",
        "seckey",
        "device_id",
        "token",
        "reg_key",
        "fac_pin",
        "hs_psk",
        "mq_psk",
        "ble_beaconkey",
        "tuya_seed",
        "p2p_pwd",
        "p2p_auth_info",
        "dminfo_sn",
        "device_key",
        # MQTT and web credentials (OpenBeken)
        "mqtt_pass",
        "mqtt_password",
        "mqtt_username",
        "mqtt_user",
        "webpassword",
        "web_password",
    }
)

#: generic names that are secret only under one parent: (parent, name)
SECRET_CHILDREN: frozenset[tuple[str, str]] = frozenset(
    {
        ("gw_ai", "key"),  # secKey
        ("gw_di", "id"),  # device id
        ("gw_bi", "pin"),
        ("mqtt", "user"),
        ("mqtt", "password"),
    }
)

#: names that look secret but are not (pairing AP name, flags, cloud endpoint IPs, sync markers)
NOT_SECRET: frozenset[str] = frozenset(
    {
        "ap_ssid",
        "is_psk30_cfg",
        "hs_psk_ip",
        "mq_psk_ip",
        "localkey.meta.syn",
        "ssid_count",
    }
)

#: parents whose keys name other fields rather than hold their values (tuya-keys ``encodings``)
NOT_SECRET_PARENTS: frozenset[str] = frozenset({"encodings"})

_PATTERN = re.compile(r"passw|pwd|pwsd|ssid|secret|token|psk_?key|auth_?key|local_?key|lckey|seed|uuid")


def is_secret(name: str | None, parent: str | None = None) -> bool:
    """Whether a field called ``name`` (inside ``parent``) holds a secret."""
    if not name:
        return False
    n = name.lower()
    if n in NOT_SECRET or (parent is not None and parent.lower() in NOT_SECRET_PARENTS):
        return False
    if n in SECRET_NAMES or (parent is not None and (parent.lower(), n) in SECRET_CHILDREN):
        return True
    if n.endswith(("_ip", "_url", "_cnt", "_count", "_len", "_stored")):
        return False
    return _PATTERN.search(n) is not None


def mask(value: Any) -> Any:
    """A secret as output: :data:`MASK`; ``None``, ``""`` and booleans (no content) stay as they are."""
    if value is None or value == "" or isinstance(value, bool):
        return value
    return MASK


def _is_secret_value(value: Any) -> bool:
    return isinstance(value, Secret)


#: nesting depth past which a container is masked whole instead of walked (a hostile dump may hold
#: a string of 100,000 '[' that json.loads accepts)
MAX_DEPTH = 64


def redact(value: Any, *, name: str | None = None, parent: str | None = None, _depth: int = 0) -> Any:
    """``value`` with every secret masked (by field name, by :class:`Secret` type, and
    inside JSON held in strings). Plain JSON types in, plain JSON types out; input not modified.
    Containers nested deeper than :data:`MAX_DEPTH` are masked whole."""
    if is_secret(name, parent) or _is_secret_value(value):
        return mask(value)
    if isinstance(value, (dict, list, tuple)) and _depth >= MAX_DEPTH:
        return MASK
    if isinstance(value, dict):
        return {k: redact(v, name=str(k), parent=name, _depth=_depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact(v, name=name, parent=parent, _depth=_depth + 1) for v in value]
    if isinstance(value, str):
        return _redact_json_text(value, name, _depth)
    return value


def _load_json(text: str) -> Any:
    """The JSON object/array held in ``text``, else None."""
    s = text.strip()
    if not s or s[0] not in "{[":
        return None
    import json  # here, not at start-up: `import obkimg` loads this module (errors and model use it)

    try:
        doc = json.loads(s)
    except (ValueError, RecursionError):  # not JSON, or nested too deep for the parser
        return None
    return doc if isinstance(doc, (dict, list)) else None


def _redact_json_text(text: str, name: str | None, depth: int) -> str:
    """A string holding a JSON object/array gets its secrets masked (re-encoded only if one was);
    other text gets its ``name=value`` secrets masked (:func:`scrub_text`)."""
    doc = _load_json(text)
    if doc is None:
        return scrub_text(text) if ("=" in text or ":" in text) else text
    masked = redact(doc, name=name, _depth=depth + 1)
    if masked == doc:
        return text
    if masked == MASK:
        return MASK
    import json

    return json.dumps(masked, ensure_ascii=False, separators=(",", ":"))


# name, then an optional closing quote, '=' or ':', then a quoted or bare value
_PAIR = re.compile(
    r"""(?P<name>[A-Za-z_][\w.\-]*)(?P<sep>["']?\s*[=:]\s*)"""
    r"""(?P<val>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s,;)}\]"']+)"""
)


def scrub_text(text: str, known: Any = ()) -> str:
    """Free text with secrets masked: the values of ``name=value``, ``name: 'value'`` and
    ``"name": "value"`` pairs whose name is secret, and every string of ``known`` (longest first)."""

    def repl(m: re.Match[str]) -> str:
        if not is_secret(m.group("name").rsplit(".", 1)[-1]):
            return m.group(0)
        val = m.group("val")
        q = val[0] if val[0] in "'\"" else ""
        return f"{m.group('name')}{m.group('sep')}{q}{MASK}{q}"

    out = _PAIR.sub(repl, text)
    for s in sorted({str(k) for k in known if k not in (None, "")}, key=len, reverse=True):
        out = out.replace(s, MASK)
    return out


def find_secrets(
    doc: Any, *, name: str | None = None, parent: str | None = None, path: str = "", _depth: int = 0
) -> Iterator[tuple[str, str]]:
    """``(path, value)`` of every secret in an *unredacted* document (scalars as strings; the
    secrets of JSON held in strings too). The paths name fields only, never values. Containers
    deeper than :data:`MAX_DEPTH` (which :func:`redact` masks whole) are not walked."""
    if _depth > MAX_DEPTH:
        return
    if is_secret(name, parent) or _is_secret_value(doc):
        if isinstance(doc, (dict, list)):
            yield from _leaves(doc, path, _depth)
        elif doc not in (None, "") and not isinstance(doc, bool):
            yield path, str(doc)
        return
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from find_secrets(
                v, name=str(k), parent=name, path=f"{path}.{k}" if path else str(k), _depth=_depth + 1
            )
    elif isinstance(doc, (list, tuple)):
        for i, v in enumerate(doc):
            yield from find_secrets(v, name=name, parent=parent, path=f"{path}[{i}]", _depth=_depth + 1)
    elif isinstance(doc, str):
        inner = _load_json(doc)
        if inner is not None:
            yield from find_secrets(inner, name=name, parent=parent, path=path + "<json>", _depth=_depth + 1)


def _leaves(doc: Any, path: str, depth: int) -> Iterator[tuple[str, str]]:
    if depth > MAX_DEPTH:
        return
    if isinstance(doc, dict):
        for k, v in doc.items():
            yield from _leaves(v, f"{path}.{k}", depth + 1)
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            yield from _leaves(v, f"{path}[{i}]", depth + 1)
    elif doc not in (None, "") and not isinstance(doc, bool):
        yield path, str(doc)
