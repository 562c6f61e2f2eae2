"""The records of ``obkimg check``: its rows, verdict, write plan and conversions, the device it checks
against, and the chip tables; shared by :mod:`obkimg.check` (the workflow) and
:mod:`obkimg._check_rules` (the per-format rules), which both build on this module.
"""

from __future__ import annotations

from dataclasses import field
from typing import Any, Literal

from ._record import dataclass
from .model import Image

__all__ = [
    "Status",
    "Finding",
    "WritePlan",
    "Conversion",
    "CheckReport",
    "Device",
    "CHIP_GROUPS",
    "CHIPS",
    "ROWS",
    "SAFE",
    "NOT_SAFE",
    "CANNOT_TELL",
    "UA_OFFSET",
    "GIVE_DUMP",
]

#: what a row of a check found
Status = Literal["pass", "fail", "unknown"]

SAFE, NOT_SAFE, CANNOT_TELL = "SAFE", "NOT SAFE", "CANNOT TELL"
#: the rows a SAFE verdict needs, all present and passed
ROWS = ("readable", "integrity", "family", "chip", "container", "key", "size")

#: chip names accepted as a target, with the group of chips that run the same builds
CHIP_GROUPS = {
    "BK7231T": "T",
    "BK7231S": "T",
    "BK7231U": "T",
    "BK7231N": "N",
    "BK7231M": "N",
    "BL2028N": "N",
    "BK7231Q": "BK7231Q",
    "BK7238": "BK7238",
    "BK7252": "BK7252",
    "BK7252N": "BK7252N",
    "BK7236": "BK7236",
    "BK7258": "BK7258",
    "BL602": "BL602",
}
#: chip names accepted by --chip, with their family
CHIPS = {name: ("BL602" if name == "BL602" else "BK7231") for name in CHIP_GROUPS}
_GROUP_NAMES = {"T": "T-class (BK7231T/S/U)", "N": "N-class (BK7231N/M, BL2028N)"}
#: chips whose bootloader region flashers do not write: only the UA (from 0x11000) goes on them
_UA_ONLY = {"BK7231T", "BK7231S", "BK7231U", "BK7231Q", "BK7252"}
#: chips that take a QIO written whole from 0
_QIO_AT_0 = {"BK7231N", "BK7231M", "BL2028N"}
UA_OFFSET = 0x11000
GIVE_DUMP = "--for DUMP (a backup of this device's flash)"


@dataclass(frozen=True, slots=True)
class Finding:
    """One row of a check report: its name, ``pass`` / ``fail`` / ``unknown``, and what settles an unknown."""

    name: str
    status: Status
    message: str
    #: for "unknown": what to provide to settle it
    needs: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON (``schemas/check.v2``)."""
        return {"name": self.name, "status": self.status, "message": self.message, "needs": self.needs}


@dataclass(frozen=True, slots=True)
class WritePlan:
    """How the file goes onto a device: ``uart`` (a serial flasher at ``offset``), ``ota`` or ``none``."""

    method: str
    offset: int | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        """The plan as JSON."""
        return {"method": self.method, "offset": self.offset, "text": self.text}


@dataclass(frozen=True, slots=True)
class Conversion:
    """An obkimg command that turns the file into its other flashable form."""

    to: str
    command: str
    why: str

    def to_dict(self) -> dict[str, str]:
        """The conversion as JSON."""
        return {"to": self.to, "command": self.command, "why": self.why}


@dataclass(slots=True)
class CheckReport:
    """Every row of a check, the verdict derived from them, and how the file is written."""

    firmware_kind: str | None
    firmware_chip: str | None
    target_kind: str | None
    target_chip: str | None
    findings: list[Finding] = field(default_factory=list)
    firmware_chip_candidates: list[str] = field(default_factory=list)
    target_chip_candidates: list[str] = field(default_factory=list)
    write: WritePlan | None = None
    conversions: list[Conversion] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        """SAFE only when every row of ROWS is present and passed."""
        if any(f.status == "fail" for f in self.findings):
            return NOT_SAFE
        passed = {f.name for f in self.findings if f.status == "pass"}
        return SAFE if all(r in passed for r in ROWS) else CANNOT_TELL

    @property
    def ok(self) -> bool:
        """True only for a SAFE verdict."""
        return self.verdict == SAFE

    @property
    def reasons(self) -> list[str]:
        """Why the verdict is not SAFE: the failed rows, else the undecided ones."""
        if self.verdict == NOT_SAFE:
            return [f"{f.name}: {f.message}" for f in self.findings if f.status == "fail"]
        if self.verdict == CANNOT_TELL:
            return [f"{f.name}: {f.message}" for f in self.findings if f.status == "unknown"]
        return []

    @property
    def needs(self) -> list[str]:
        """What to provide to turn CANNOT TELL into an answer (deduplicated, in row order)."""
        out: list[str] = []
        for f in self.findings:
            if f.status == "unknown" and f.needs and f.needs not in out:
                out.append(f.needs)
        return out

    @property
    def advice(self) -> str:
        """The needs in one phrase: 'give --for DUMP to know the device's code key and the app partition
        size; --chip CHIP'."""
        prefix = "--for DUMP to know "
        dump = [n[len(prefix) :] for n in self.needs if n.startswith(prefix)]
        rest = [n for n in self.needs if not n.startswith(prefix)]
        parts = ([prefix + " and ".join(dump)] if dump else []) + rest
        return "give " + "; ".join(parts) if parts else ""

    def add(self, name: str, status: Status, message: str, needs: str | None = None) -> None:
        """Append a row (``needs`` says what to provide when ``status`` is ``unknown``)."""
        self.findings.append(Finding(name, status, message, needs))

    def row(self, name: str) -> Finding | None:
        """The row named ``name``, or None when it was not run."""
        return next((f for f in self.findings if f.name == name), None)

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON (``schemas/check.v2``)."""
        return {
            "schema": "obkimg.check/2",
            "verdict": self.verdict,
            "ok": self.ok,
            "firmware": {
                "kind": self.firmware_kind,
                "chip": self.firmware_chip,
                "chip_candidates": list(self.firmware_chip_candidates),
            },
            "target": {
                "kind": self.target_kind,
                "chip": self.target_chip,
                "chip_candidates": list(self.target_chip_candidates),
            },
            "findings": [f.to_dict() for f in self.findings],
            "reasons": self.reasons,
            "needs": self.needs,
            "write": self.write.to_dict() if self.write else None,
            "conversions": [c.to_dict() for c in self.conversions],
        }


@dataclass(slots=True)
class Device:
    """The device a firmware is checked against, read once (see :func:`read_device`)."""

    img: Image | None = None
    data: bytes | None = None
    chip: str | None = None
    cands: list[str] = field(default_factory=list)
    family: str | None = None
    table: Any = None  # ota.TableSource of a BL602 target, when one can be read
    #: the chip given (--chip) contradicts the chip the target file proves: "given X, the file says Y"
    disagree: str | None = None

    @property
    def kind(self) -> str | None:
        """The target's format id, ``bl602-partitions`` for a bare table, or None."""
        return self.img.kind if self.img is not None else ("bl602-partitions" if self.table else None)
