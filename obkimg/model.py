"""Models shared by every format: regions of a dump, secrets, and the ``Image`` base of typed models.

Every typed model that :func:`obkimg.open` can return derives from :class:`Image` and provides
``kind`` (its format id), ``chip``, ``regions()``, ``problems()`` and ``details()``. From these,
:meth:`Image.to_dict` builds the document ``obkimg info --json`` prints
(``schemas/info.v1.schema.json``).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from ._record import dataclass
from .errors import LimitError, Problem
from .secrets import Secret, mask, redact

__all__ = [
    "Secret",
    "Region",
    "RegionState",
    "Artifact",
    "Image",
    "BytesImage",
    "mask_secret",
    "jsonable",
    "nesting_depth",
    "MAX_DEPTH",
    "STATES",
]

#: deepest nesting of lists/dicts taken from input data (Tuya JSON values, TOML): real documents nest
#: a few levels; anything deeper is refused or kept as text, so no walk can exhaust the stack
MAX_DEPTH = 64

#: what a region's checks found: ``valid`` (its checksums/magics verified), ``bad-crc`` (a checksum
#: failed), ``invalid`` (a structure is broken), ``erased`` (all 0xFF), ``unknown`` (nothing checked)
RegionState = Literal["valid", "bad-crc", "invalid", "erased", "unknown"]

#: region states, in the order the flash map legend shows them
STATES: tuple[RegionState, ...] = get_args(RegionState)


def mask_secret(value: str | None) -> str | None:
    """A secret as output: ``"***"`` whatever its length (:func:`obkimg.secrets.mask`); ``None`` and
    ``""`` stay as they are."""
    masked: str | None = mask(value)
    return masked


def nesting_depth(value: Any, limit: int = MAX_DEPTH) -> int:
    """How deep lists/tuples/dicts nest in ``value`` (a scalar is 0), counted without recursion; the
    count stops at ``limit + 1``, so a hostile value costs at most its own size."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, (list, tuple)):
            children = item
        else:
            continue
        depth += 1
        deepest = max(deepest, depth)
        if deepest > limit:
            return deepest
        stack.extend((c, depth) for c in children)
    return deepest


def jsonable(value: Any, *, show_secrets: bool = True) -> Any:
    """Convert models, bytes, tuples and secrets to plain JSON types (bytes → lowercase hex).

    With ``show_secrets=False`` the result goes through :func:`obkimg.secrets.redact`: every
    :class:`Secret` and every field the secrets policy names is masked. Raises :class:`LimitError` for
    data nested deeper than :data:`MAX_DEPTH` levels of input-derived lists/dicts (models add a few levels
    of their own on top; the bound leaves room for them).
    """
    plain = _plain(value, show_secrets, 0)
    return plain if show_secrets else redact(plain)


def _plain(value: Any, show_secrets: bool, depth: int) -> Any:
    if depth > 2 * MAX_DEPTH:
        raise LimitError(f"data nested more than {MAX_DEPTH} levels deep", fmt="json")
    if isinstance(value, Secret):
        return str(value) if show_secrets else value.masked
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    d = depth + 1
    if isinstance(value, dict):
        return {str(k): _plain(v, show_secrets, d) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v, show_secrets, d) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        try:
            doc = to_dict(show_secrets=show_secrets)
        except TypeError:
            doc = to_dict()
        return _plain(doc, show_secrets, d)
    raise TypeError(f"cannot convert {type(value).__name__} to JSON")


@dataclass(frozen=True, slots=True)
class Region:
    """One region of a flash dump or image, at a physical offset in the file."""

    name: str
    offset: int
    size: int
    #: what the region holds: bootloader, app, rbl, partition-table, boot-header, firmware, ota,
    #: rf, config, tuya-kv, easyflash, dtb, data, erased, unknown, ...
    kind: str
    #: one of :data:`STATES`
    state: RegionState = "unknown"
    problems: tuple[Problem, ...] = ()
    #: the parsed child (header fields, container summary...) as a JSON-able dict, where one is found
    detail: dict[str, Any] | None = None

    @property
    def end(self) -> int:
        """The offset just past the region."""
        return self.offset + self.size

    @property
    def valid(self) -> bool | None:
        """True when valid, False when damaged (bad CRC, invalid), None when nothing was checked."""
        if self.state == "valid":
            return True
        if self.state in ("bad-crc", "invalid"):
            return False
        return None

    def to_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The region as JSON (``schemas/info.v1``, ``regions[]``); details masked unless ``show_secrets``."""
        return {
            "name": self.name,
            "offset": self.offset,
            "size": self.size,
            "kind": self.kind,
            "state": self.state,
            "valid": self.valid,
            "problems": [p.to_dict() for p in self.problems],
            "detail": jsonable(self.detail, show_secrets=show_secrets) if self.detail is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Artifact:
    """A file ``obkimg extract`` writes for a model: a decoded container, a decrypted app, a JSON..."""

    #: file name relative to the output folder (no directories)
    name: str
    data: bytes
    #: what it is: app-plain, app-encrypted, bootloader, rbl-payload, firmware, dtb, json, config, ...
    kind: str
    #: name of the region it comes from, if any
    region: str | None = None
    description: str = ""
    #: holds secrets (Wi-Fi credentials, keys): written with mode 0600
    secret: bool = False


class Image:
    """Base of every typed model returned by :func:`obkimg.open`.

    Subclasses are frozen dataclasses; they set ``kind`` (format id) and implement ``regions``,
    ``details`` and, where they have findings, ``problems``. ``chip`` is a chip name such as
    ``BK7231N``, ``BK7231T``, ``BL602``, named only when the evidence proves it, else ``None``;
    ``chip_candidates`` lists the chips still possible (see :mod:`obkimg.chipid`).
    """

    __slots__ = ()

    kind: str = "unknown"

    @property
    def chip(self) -> str | None:
        """The chip the evidence proves, or None (see ``chip_candidates`` where the model has them)."""
        return None

    @property
    def chip_candidates(self) -> list[str]:
        """The chips the evidence leaves: ``[chip]`` when one is named, several when the evidence cannot
        tell them apart (``chip`` is then None), empty when nothing is known."""
        return [self.chip] if self.chip else []

    @property
    def size(self) -> int:
        """The input's size in bytes."""
        return 0

    @property
    def rotation(self) -> int:
        """The flash address that file offset 0 holds (a dump read with wrap-around); 0 when the file
        starts at flash address 0, as almost every file does."""
        return 0

    def in_flash_order(self, data: bytes) -> bytes:
        """``data`` (the bytes this model was read from) in flash-address order, the order region
        offsets count in: ``data`` itself unless the file is rotated (:attr:`rotation`)."""
        r = self.rotation
        return data[-r:] + data[:-r] if r else data

    def app_identity(self) -> dict[str, str] | None:
        """What the application says it is (``firmware``, ``version``, ``text``, ``chip_family``), for
        the models that decode one (BK7231 images); None otherwise."""
        return None

    @property
    def firmware_version(self) -> str | None:
        """The firmware version the file reports (its app's identity, or a version / OTA header field of
        :meth:`details`), else None."""
        # the one place that still reads details(): the version field has a different name in each format
        # (an OTA header's sw_version, an RBL version...); a model may override this with its typed field
        details = self.details()
        ident = self.app_identity()
        if ident and ident.get("text"):
            return str(ident["text"])
        app = details.get("app")
        ident_doc = app.get("identity") if isinstance(app, dict) else None
        if isinstance(ident_doc, dict) and ident_doc.get("text"):
            return str(ident_doc["text"])
        for key in ("version", "firmware_version", "app_version", "sw_version"):
            v = details.get(key)
            if isinstance(v, str) and v:
                return v
        header = details.get("header")
        if isinstance(header, dict) and isinstance(header.get("sw_version"), str):
            return str(header["sw_version"])
        return None

    def regions(self) -> list[Region]:
        """The regions of the file, in offset order."""
        return []

    def problems(self) -> list[Problem]:
        """What parsing found wrong (structure, not the full checksum pass of :meth:`verify`)."""
        return []

    def details(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """Format-specific fields (JSON-able). Secrets are masked unless ``show_secrets``."""
        return {}

    def artifacts(self) -> list[Artifact]:
        """Decoded contents worth a file of their own (decrypted app, payloads...) for ``obkimg extract``.

        Raw region slices are written by the extract workflow itself; this adds what needs decoding.
        """
        return []

    def describe(self, *, show_secrets: bool = False) -> list[str]:
        """Extra human-readable lines for ``obkimg info`` (after the region table)."""
        return []

    def verify(self) -> list[Problem]:
        """Every error found by the full set of checks (``obkimg verify``). Empty means all good.

        The default collects error-severity problems of the model and of its regions, plus one
        problem per region whose state is bad-crc/invalid. Models override it to add costlier checks.
        """
        found = [p for p in self.problems() if p.severity == "error"]
        for r in self.regions():
            found += [p for p in r.problems if p.severity == "error"]
            if r.state in ("bad-crc", "invalid") and not any(p.severity == "error" for p in r.problems):
                found.append(Problem("error", f"region {r.name} is {r.state}", r.offset, self.kind))
        return found

    @property
    def ok(self) -> bool:
        """No error-severity problem anywhere in the cheap checks that ``info`` runs."""
        if any(p.severity == "error" for p in self.problems()):
            return False
        return not any(r.state in ("bad-crc", "invalid") for r in self.regions())

    def to_dict(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The ``obkimg info --json`` document (``schemas/info.v1``); secrets masked unless
        ``show_secrets``."""
        return {
            "schema": "obkimg.info/1",
            "kind": self.kind,
            "chip": self.chip,
            "chip_candidates": self.chip_candidates,
            "size": self.size,
            "ok": self.ok,
            "regions": [r.to_dict(show_secrets=show_secrets) for r in self.regions()],
            "details": jsonable(self.details(show_secrets=show_secrets), show_secrets=show_secrets),
            "problems": [p.to_dict() for p in self.problems()],
        }


class BytesImage(Image):
    """An :class:`Image` that keeps the bytes it was parsed from in a ``data`` field (its ``size``)."""

    __slots__ = ()

    @property
    def size(self) -> int:
        """The input's size in bytes."""
        return len(self.data)  # type: ignore[attr-defined]
