"""Chip identification: one evidence model for every Beken BK72xx image, dump and storage.

Each piece of evidence says which chips it is consistent with; the chip is the intersection of
those sets. A chip is *named* only when exactly one remains. Otherwise the candidates are reported
with the evidence for them, and a family-level label ("Beken BK7231N family", "Beken BK72xx,
T-class layout") says what is known. Contradicting evidence (empty intersection) names no chip and
says so.

The pieces and the facts behind them (sources in brackets):

- **bootloader fingerprint**: CRC-32 of the first 256/257 physical bytes, table of known builds
  (tuya-cloudcutter/bk7231tools ``serial/base/enums.py``);
- **bootloader version string** ``BK7231N_1.0.1``, ``BK7231n_1.0.13`` (N family), ``BK7231S_1.0.5``
  (Tuya's T bootloader; "BK7231S" names the T/U silicon, so alone it says BK7231T or BK7231U),
  ``BK7231U_``, ``BK7231Q_``, ``BK7238_``, ``BK7252_``, ``BK7252N_``;
- **N-family marker** ``"BK7231\\0\\0"`` at logical 0x100 (BK7231N, BK7231M and BL2028N
  bootloaders; RT-Thread/Beken bootloader sources place it for SOC_BK7231N). Its *absence* proves
  nothing (a decrypted BL2028N bootloader was seen without it);
- **FAL layout**: download at 0x12A000 is the Tuya N layout; 0x132000+0xCC000 BK7231Q;
  app 0x108700 with download 0x132000+0xA6000 the "T-class" Tuya layout, which the Beken SDK
  bootloaders of BK7231U/BK7238/BK7252(N) share (the T SDK is built as SOC_BK7231U, libretiny
  notes); 0x132000+0xAE000 the Beken SDK layout of zero-key N-family parts and the U-class chips;
- **code-key class**: the Tuya key is used on Tuya BK7231T and BK7231N; the UASCENT key on Uascent
  BL2028N; the all-zero key on BK7231M, some BL2028N, non-Tuya BK7231N and the plaintext builds of
  BK7231Q/U, BK7238, BK7252(N) (Elektroda "How to flash BK7231M/BL2028N non-Tuya devices with 000000
  keys"; OpenBeken's ``OpenBK7231M_QIO`` is the N build with the zero key);
- **app identity**: the OpenBeken build string names its platform (``OpenBK7238_1.18.300``); the
  ``OpenBK7231N`` build is also what OpenBeken ships for BK7231M (zero key) and BL2028N (UASCENT
  key), so it names the N family, and the key narrows it. ``OpenBK7231T`` is built on Tuya's T SDK
  (SOC_BK7231U), so it names BK7231T or BK7231U. The Tuya SDK banner ``AT bk7231n`` names the SDK
  platform the same way;
- **OpenBeken QIO layout of beken_freertos_sdk** (plaintext, bootloader trailer at 0xFE9A): the
  BK7231U, BK7238, BK7252 and BK7252N releases and the SDK's N-family builds;
- **RBL names**: a trailer/header name or version that names a chip (``bk7231n``...);
- **Tuya storage**: ``em_sys_env`` and the module name (CB* and T34 modules carry the N family, WB*
  BK7231T, T1 BK7238, T3 BK7236, T5 BK7258; Tuya T-series naming, BK7231GUIFlashTool offsets).

The model is pure: no I/O, no parsing; format modules collect the facts and call :func:`identify`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import field
from typing import Any

from ._record import dataclass
from .errors import UnknownChipError

__all__ = [
    "BEKEN_CHIPS",
    "KNOWN_CHIPS",
    "known_chip",
    "N_FAMILY",
    "U_CLASS",
    "Evidence",
    "ChipId",
    "identify",
    "family_label",
    "subfamily",
    "from_fingerprint",
    "from_marker",
    "from_version",
    "from_fal",
    "from_key_class",
    "from_app_identity",
    "from_freertos_layout",
    "from_rbl_name",
    "from_tuya",
    "from_name",
    "for_code",
]

#: every chip this model can name (BK7236/BK7258 only from the Tuya storage)
BEKEN_CHIPS: tuple[str, ...] = (
    "BK7231T",
    "BK7231N",
    "BK7231M",
    "BL2028N",
    "BK7231Q",
    "BK7231U",
    "BK7238",
    "BK7252",
    "BK7252N",
    "BK7236",
    "BK7258",
)
#: every chip name obkimg accepts from a user (``--chip``): the Beken chips, BK7231S (sold as a
#: BK7231T/U), and BL602
KNOWN_CHIPS: tuple[str, ...] = (*BEKEN_CHIPS, "BK7231S", "BL602")


def known_chip(name: object, *, fmt: str) -> str:
    """``name`` upper-cased when it is one of :data:`KNOWN_CHIPS`; :class:`UnknownChipError` (naming the
    known chips, ``fmt`` the format asking) otherwise."""
    up = name.upper() if isinstance(name, str) else ""
    if up not in KNOWN_CHIPS:
        hint = f"known chips: {', '.join(KNOWN_CHIPS)}"
        raise UnknownChipError(f"unknown chip {name!r}", fmt=fmt, path="chip", hint=hint)
    return up


#: chips whose code images look like the ones obkimg parses (ARM968, CRC-framed, 2 MiB layouts)
CODE_CHIPS: frozenset[str] = frozenset(BEKEN_CHIPS) - {"BK7236", "BK7258"}
N_FAMILY: frozenset[str] = frozenset({"BK7231N", "BK7231M", "BL2028N"})
#: the beken_freertos_sdk chips OpenBeken builds as plaintext QIOs with the bootloader trailer at 0xFE9A
U_CLASS: frozenset[str] = frozenset({"BK7231U", "BK7238", "BK7252", "BK7252N"})
#: chips with the T-class FAL (app 0x108700, download 0x132000+0xA6000)
T_CLASS: frozenset[str] = frozenset({"BK7231T"}) | U_CLASS
#: the T/S/U silicon: one family in libretiny's families.json (beken-7231t: BK7231T, BK7231S, BK7231U);
#: Tuya's T SDK (hence OpenBeken's OpenBK7231T build) is built as SOC_BK7231U and its bootloader greets
#: "BK7231S_1.0.5" (libretiny docs/platform/beken-72xx), and OpenBeken lists "BK7231S/BK7231U" as one
#: platform. A build string or bootloader version naming T or S therefore names T or U; the Tuya code
#: key (or a Tuya-keyed bootloader fingerprint) is what says BK7231T.
T_SILICON: frozenset[str] = frozenset({"BK7231T", "BK7231U"})
KEY_CHIPS: dict[str, frozenset[str]] = {
    "tuya": frozenset({"BK7231T", "BK7231N"}),
    "uascent": frozenset({"BL2028N"}),
    "zero": frozenset({"BK7231N", "BK7231M", "BL2028N", "BK7231Q"}) | U_CLASS,
}
#: platform names in build strings, version strings, RBL names and Tuya em_sys_env -> chips
_PLATFORMS: dict[str, frozenset[str]] = {
    "BK7231N": N_FAMILY,
    "BK7231M": frozenset({"BK7231M"}),
    "BL2028N": frozenset({"BL2028N"}),
    "BK7231T": T_SILICON,
    "BK7231S": T_SILICON,
    "BK7231S_2M": T_SILICON,
    "BK7231U": frozenset({"BK7231U"}),
    "BK7231Q": frozenset({"BK7231Q"}),
    "BK7238": frozenset({"BK7238"}),
    "T1": frozenset({"BK7238"}),
    "BK7252": frozenset({"BK7252"}),
    "BK7252N": frozenset({"BK7252N"}),
    "BK7252U": frozenset({"BK7252"}),
    "BK7236": frozenset({"BK7236"}),
    "BK7258": frozenset({"BK7258"}),
}
#: Tuya module-name prefixes -> chips (longest first: T34 before T3)
_MODULES: tuple[tuple[str, frozenset[str]], ...] = (
    ("T34", N_FAMILY),
    ("CB", N_FAMILY),
    ("WB", frozenset({"BK7231T"})),
    ("T1", frozenset({"BK7238"})),
    ("T3", frozenset({"BK7236"})),
    ("T5", frozenset({"BK7258"})),
)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One fact about a file and the chips it is consistent with (``None``: it narrows nothing)."""

    #: fingerprint | version | marker | fal | key | app | layout | rbl | tuya | name | strings
    source: str
    text: str
    chips: frozenset[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The evidence as JSON-ready data: ``source``, ``text`` and ``chips`` (sorted list, or ``None``)."""
        return {
            "source": self.source,
            "text": self.text,
            "chips": sorted(self.chips) if self.chips is not None else None,
        }

    def describe(self) -> str:
        """One line for people: the text, followed by the consistent chips in brackets when it narrows any."""
        if self.chips is None:
            return self.text
        return f"{self.text} [{_short(self.chips)}]"


def _short(chips: Iterable[str]) -> str:
    ordered = [c for c in BEKEN_CHIPS if c in set(chips)]
    return "/".join(ordered) if ordered else "none"


@dataclass(frozen=True, slots=True)
class ChipId:
    """The chip (one name or None), the chips still possible and the evidence."""

    chip: str | None
    candidates: tuple[str, ...]
    evidence: tuple[Evidence, ...] = field(default=())
    #: the evidence contradicts itself (no chip fits all of it)
    conflict: bool = False

    @property
    def label(self) -> str:
        """The chip, or what is known at family level."""
        if self.chip:
            return self.chip
        return family_label(self.candidates, self.evidence, conflict=self.conflict)

    @property
    def reason(self) -> str:
        """Why this answer: the evidence joined by ``"; "``, then the conflict, or the remaining candidates
        and what would settle them; ``"no chip evidence"`` when there is none."""
        parts = [e.describe() for e in self.evidence]
        if self.conflict:
            parts.append("the evidence contradicts itself: no chip named")
            parts.append(f"would settle it: {self.settle}")
        elif not self.chip and self.candidates:
            parts.append(f"cannot tell which: {', '.join(self.candidates)}")
            parts.append(f"would settle it: {self.settle}")
        return "; ".join(parts) if parts else "no chip evidence"

    @property
    def settle(self) -> str:
        """What would name the chip when several remain."""
        if self.conflict:
            return (
                "a file whose bootloader, code key and app agree (e.g. a full dump of the device), "
                "or the marking on the chip"
            )
        if len(self.candidates) < 2:
            return ""
        keys = {e.source for e in self.evidence}
        if set(self.candidates) <= N_FAMILY:
            if "key" not in keys:
                return (
                    "the code key (a dump or QIO of the device: Tuya key = BK7231N, UASCENT key = BL2028N), "
                    "else the marking on the chip"
                )
            return (
                "the marking on the chip (the zero code key is used by BK7231M, BL2028N and non-Tuya BK7231N)"
            )
        if set(self.candidates) <= T_SILICON and "key" not in keys:
            return (
                "the code key (a dump or QIO of the device: Tuya key = BK7231T), else the marking on the chip"
            )
        return "the app's build string or a bootloader version naming the chip, or the marking on the chip"

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON-ready data: ``chip``, ``chip_candidates``, ``label``, ``conflict`` and
        ``evidence`` (each item :meth:`Evidence.to_dict`)."""
        return {
            "chip": self.chip,
            "chip_candidates": list(self.candidates),
            "label": self.label,
            "conflict": self.conflict,
            "evidence": [e.to_dict() for e in self.evidence],
        }


def identify(evidence: Iterable[Evidence | None], universe: Iterable[str] = CODE_CHIPS) -> ChipId:
    """Intersect the chip sets of ``evidence``; name the chip only when one remains."""
    ev = tuple(e for e in evidence if e is not None)
    cands = set(universe)
    # the Tuya storage may name chips outside the code-image universe (BK7236, BK7258)
    for e in ev:
        if e.source == "tuya" and e.chips:
            cands |= e.chips & set(BEKEN_CHIPS)
    narrowing = [e.chips for e in ev if e.chips is not None]
    for chips in narrowing:
        cands &= chips
    if not narrowing:
        return ChipId(None, (), ev)
    ordered = tuple(c for c in BEKEN_CHIPS if c in cands)
    if not ordered:
        # contradicting evidence: no chip named; the candidates are the chips some piece supports
        some = set().union(*narrowing)
        return ChipId(None, tuple(c for c in BEKEN_CHIPS if c in some), ev, conflict=True)
    return ChipId(ordered[0] if len(ordered) == 1 else None, ordered, ev)


def family_label(
    candidates: Iterable[str], evidence: Iterable[Evidence] = (), *, conflict: bool = False
) -> str:
    """A family-level answer for a set of candidate chips."""
    cands = frozenset(candidates)
    if conflict:
        return "Beken BK72xx (contradicting evidence)"
    if not cands:
        return "Beken BK72xx (chip unknown)"
    listed = _short(cands)
    if cands <= N_FAMILY:
        return f"Beken BK7231N family ({listed})"
    if any(e.source == "fal" and "T-class" in e.text for e in evidence):
        return f"Beken BK72xx, T-class layout ({listed})"
    return f"Beken BK72xx ({listed})"


def subfamily(chips: Iterable[str]) -> str | None:
    """ "N" when every chip is of the N family, "T" when all are BK7231T, else None."""
    s = frozenset(chips)
    if s and s <= N_FAMILY:
        return "N"
    if s == {"BK7231T"}:
        return "T"
    return None


# ------------------------------------------------------------------------------------ evidence
def from_fingerprint(crc: int, name: str, chip: str) -> Evidence:
    """A known bootloader build, recognised by the CRC-32 ``crc`` of its first bytes: exactly ``chip``."""
    return Evidence("fingerprint", f"bootloader fingerprint {crc:#010x} = {name}", frozenset({chip}))


def from_marker(present: bool) -> Evidence | None:
    """The N-family marker ``"BK7231\\0\\0"`` at logical 0x100: the N family when ``present``, else ``None``
    (its absence proves nothing)."""
    if not present:
        return None
    return Evidence("marker", 'N-family marker "BK7231\\0\\0" at logical 0x100', N_FAMILY)


def from_version(version: str | None) -> Evidence | None:
    """A bootloader version string such as ``BK7231N_1.0.1`` or ``BK7231S_1.0.5``."""
    if not version:
        return None
    chips = _PLATFORMS.get(version.split("_", 1)[0].upper())
    return Evidence("version", f"bootloader version {version}", chips)


def from_fal(download: tuple[int, int] | None, app_length: int | None) -> Evidence | None:
    """The FAL download partition (``(offset, size)``, bytes) and the app partition length: the chips of a
    known layout, evidence that narrows nothing for an unknown one, ``None`` without a download partition."""
    if download is None:
        return None
    off, size = download
    where = f"FAL download partition {off:#x}+{size:#x}"
    if off == 0x12A000:
        return Evidence("fal", f"{where} (Tuya N layout)", N_FAMILY)
    if off == 0x132000 and size == 0xCC000:
        return Evidence("fal", f"{where} (BK7231Q layout)", frozenset({"BK7231Q"}))
    if off == 0x132000 and size == 0xA6000 and app_length == 0x108700:
        return Evidence("fal", f"{where}, app 0x108700 (T-class layout)", T_CLASS)
    if off == 0x132000 and size == 0xAE000:
        return Evidence(
            "fal", f"{where} (Beken SDK layout: zero-key N family or U-class)", N_FAMILY | U_CLASS
        )
    return Evidence("fal", where)


def from_key_class(key_class: str | None) -> Evidence | None:
    """The code-key class (``"tuya"``, ``"uascent"``, ``"zero"``): the chips that use that key (another class
    narrows nothing); ``None`` for no key, ``"unknown"`` or ``"plain"``."""
    if not key_class or key_class in ("unknown", "plain"):
        return None
    return Evidence("key", f"{key_class} code key", KEY_CHIPS.get(key_class))


_OBK_PLATFORM = re.compile(r"Open(BK72\d\d[A-Z]?|BL2028N)", re.I)


def from_app_identity(ident: dict[str, str] | None) -> Evidence | None:
    """The app's OpenBeken build string or Tuya SDK banner (see
    ``obkimg.formats.bk7231.layout.app_identity``)."""
    if not ident:
        return None
    platform = ident.get("platform", "")
    m = _OBK_PLATFORM.fullmatch(platform)
    name = (m.group(1) if m else platform).upper()
    return Evidence("app", f"app build string {ident.get('text', platform)!r}", _PLATFORMS.get(name))


def from_freertos_layout() -> Evidence:
    """A plaintext image with the beken_freertos_sdk QIO layout (bootloader trailer at 0xFE9A): the U-class
    chips and the N family."""
    return Evidence(
        "layout",
        "plaintext image with the beken_freertos_sdk QIO layout (bootloader trailer at 0xFE9A)",
        U_CLASS | N_FAMILY,
    )


def from_rbl_name(name: str | None, version: str | None = None) -> Evidence | None:
    """An RBL header/trailer whose name or version names a chip (``bk7231n``...); "app" says nothing."""
    for text in (name, version):
        if not text:
            continue
        m = re.search(r"(bk72\d\d[a-z]?|bl2028n)", text, re.I)
        if m is not None:
            chips = _PLATFORMS.get(m.group(1).upper())
            if chips is not None:
                return Evidence("rbl", f"RBL name {text!r}", chips)
    return None


def from_tuya(env: str | None, module: str | None) -> Evidence | None:
    """The chip the Tuya storage names: ``em_sys_env`` first, else the module name."""
    if env:
        chips = _PLATFORMS.get(env.strip().upper())
        if chips == T_SILICON:
            chips = frozenset({"BK7231T"})  # Tuya's storage: a Tuya (T-marked) module
        if chips is not None:
            return Evidence("tuya", f"Tuya storage em_sys_env {env.strip()!r}", chips)
    if module:
        up = module.strip().upper()
        for prefix, chips in _MODULES:
            if up.startswith(prefix):
                return Evidence("tuya", f"Tuya storage module {module.strip()!r}", chips)
    return None


def from_name(chip: str) -> Evidence:
    """A chip name given by the caller (``--chip``): that chip exactly (``BK7231S``: the T/U silicon)."""
    up = chip.upper()
    chips = frozenset({up}) if up in BEKEN_CHIPS else _PLATFORMS.get(up, frozenset({up}))
    return Evidence("name", f"chip given as {chip!r}", chips)


def for_code(
    *,
    fingerprint: Any = None,
    marker: bool = False,
    version: str | None = None,
    fal_download: tuple[int, int] | None = None,
    fal_app_length: int | None = None,
    key_class: str | None = None,
    app_ident: dict[str, str] | None = None,
    freertos_layout: bool = False,
    extra: Iterable[Evidence | None] = (),
) -> ChipId:
    """The chip of a BK72xx code image from the facts its parser found (``fingerprint``: an object with
    ``crc``, ``name`` and ``chip``, e.g. ``obkimg.formats.bk7231.layout.Fingerprint``)."""
    ev: list[Evidence | None] = []
    if fingerprint is not None:
        ev.append(from_fingerprint(fingerprint.crc, fingerprint.name, fingerprint.chip))
    ev += [
        from_marker(marker),
        from_version(version),
        from_fal(fal_download, fal_app_length),
        from_key_class(key_class),
        from_app_identity(app_ident),
    ]
    if freertos_layout:
        ev.append(from_freertos_layout())
    ev += list(extra)
    return identify(ev)
