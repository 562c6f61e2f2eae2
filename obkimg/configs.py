"""Find the user's configuration in a dump: the Tuya key-value storage and the OpenBeken config.

Used by ``obkimg info`` (summaries, secrets masked unless asked), ``extract`` and ``scan``. Each finder
is optional: a dump without Tuya storage simply has ``tuya = None``, and a damaged one reports its
problem instead of failing the whole command.
"""

from __future__ import annotations

import itertools
from dataclasses import field, replace
from typing import TYPE_CHECKING, Any

from ._record import dataclass
from .errors import NotFoundError, ObkImgError, Problem
from .model import Image, Region, RegionState

if TYPE_CHECKING:
    from .formats.config.obk_config import ObkConfigResult
    from .tuya import TuyaKeys

__all__ = ["Configs", "find_configs", "refine_regions", "CONFIG_KINDS", "wants_configs"]

#: region kinds that may hold a configuration
CONFIG_KINDS = frozenset({"tuya-kv", "config", "obk-config", "easyflash"})
#: whole-flash kinds where configs are searched even without a marked region
_DUMP_KINDS = frozenset({"bk7231-dump", "bl602-dump", "tuya-kv", "obk-config"})


@dataclass(slots=True)
class Configs:
    """The Tuya storage and OpenBeken config found in one input (``None`` when absent), with the
    problems met while looking."""

    tuya: TuyaKeys | None = None
    obk: ObkConfigResult | None = None
    problems: list[Problem] = field(default_factory=list)

    def summary(self, *, show_secrets: bool = False) -> dict[str, Any]:
        """The ``configs`` object of ``info --json``: one summary per config, secrets masked unless asked."""
        return {
            "tuya": self.tuya.summary(show_secrets=show_secrets) if self.tuya is not None else None,
            "obk_config": self.obk.summary(show_secrets=show_secrets) if self.obk is not None else None,
        }


def refine_regions(regions: list[Region], configs: Configs) -> list[Region]:
    """Regions with the state of config areas decided by their decoders: the OBK config region is
    valid/invalid by its CRC, the Tuya storage region valid when it decoded without errors."""
    out = []
    for r in regions:
        state: RegionState | None = None
        if r.kind in ("obk-config", "config") and configs.obk is not None:
            loc = configs.obk.location.get("offset")
            if loc is None or r.offset <= loc < r.end:
                state = "valid" if configs.obk.crc_valid else "invalid"
        elif r.kind == "tuya-kv" and configs.tuya is not None:
            errors = [p for p in configs.tuya.problems if p.severity == "error"]
            state = "invalid" if errors else "valid"
        out.append(replace(r, state=state) if state and r.state == "unknown" else r)
    return out


def wants_configs(img: Image) -> bool:
    """Whether ``img`` can hold configs: a dump, or an image with a config-kind region."""
    return img.kind in _DUMP_KINDS or any(r.kind in CONFIG_KINDS for r in img.regions())


#: what :func:`obkimg.obk_locate.find_config` needs to find anything: an EasyFlash key name,
#: or the "CFG" ident at a 4 KiB sector start or at a platform's raw location off that grid (W800).
#: Checked here so that a dump without any of them never imports the OpenBeken (and BL602) modules.
OBK_KEYS = (b"ObkCfg", b"mY0bcFg")
OBK_IDENT = b"CFG"
OBK_OFF_GRID = frozenset({0x1F0303})


def may_hold_obk_config(data: bytes) -> bool:
    """False only when no OpenBeken config can be in ``data`` (cheap: C-speed byte searches)."""
    if any(k in data for k in OBK_KEYS):
        return True
    # the ident only counts at a sector start or an off-grid location: look there, not everywhere
    # (a 2 MiB search for a 3-byte needle took 4-6 ms; 512 slice compares take ~0.1 ms)
    n = len(OBK_IDENT)
    starts = itertools.chain(range(0, len(data), 0x1000), sorted(OBK_OFF_GRID))
    return any(data[pos : pos + n] == OBK_IDENT for pos in starts)


def find_configs(data: bytes, img: Image | None = None) -> Configs:
    """Look for Tuya storage and an OpenBeken config in ``data`` (the bytes ``img`` was parsed from)."""
    found = Configs()
    chip = img.chip if img is not None else None
    if img is not None and not wants_configs(img):
        return found
    from . import tuya

    try:
        # a Tuya KV file's model has read the storage already: read (and assemble) it once
        own = getattr(img, "keys", None)
        found.tuya = own if isinstance(own, tuya.TuyaKeys) else tuya.extract_keys(data, chip=chip)
    except NotFoundError:
        pass
    except ObkImgError as e:
        found.problems.append(Problem("warning", f"Tuya storage: {e}", e.offset, "tuya-kv"))
    if may_hold_obk_config(data):
        from .obk_locate import find_config

        try:
            found.obk = find_config(data, chip=chip)
        except NotFoundError:
            pass
        except ObkImgError as e:
            found.problems.append(Problem("warning", f"OpenBeken config: {e}", e.offset, "obk-config"))
    return found
