"""``obkimg extract``: every region and container of an input as a file, plus ``manifest.json``.

:func:`extract` only computes the files (name, bytes, provenance); :func:`write_extraction` writes them
into a folder through the atomic writer, manifest last, so an interrupted run never leaves a manifest
describing files that are not there.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .configs import CONFIG_KINDS, find_configs
from .detect import open_image
from .errors import OutputError
from .model import Artifact, Image, jsonable
from .source import SourceLike, load

__all__ = ["Extraction", "extract", "write_extraction", "SECRET_KINDS"]

#: artefact kinds that may hold Wi-Fi credentials (written with mode 0600, like the slices of config
#: regions, the Tuya storage JSON and the OBK config): BL602 factory DTBs, whose /wifi/sta and /wifi/ap
#: nodes hold an SSID and password
SECRET_KINDS = frozenset({"dtb"})


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._+-]+", "_", name).strip("._") or "region"


@dataclass(frozen=True, slots=True)
class Extraction:
    """What :func:`extract` found: the parsed image and the files to write, with the source's name
    and sha256."""

    image: Image
    files: tuple[Artifact, ...]
    source_name: str
    source_sha256: str

    def manifest(self) -> dict[str, Any]:
        """The ``manifest.json`` document (schemas/extract.v1): source, kind, chip and every file."""
        return {
            "schema": "obkimg.extract/1",
            "source": {
                "name": os.path.basename(self.source_name),
                "size": self.image.size,
                "sha256": self.source_sha256,
            },
            "kind": self.image.kind,
            "chip": self.image.chip,
            "chip_candidates": self.image.chip_candidates,
            "files": [
                {
                    "name": a.name,
                    "size": len(a.data),
                    "sha256": hashlib.sha256(a.data).hexdigest(),
                    "kind": a.kind,
                    "region": a.region,
                    "description": a.description,
                }
                for a in self.files
            ],
        }


#: decoded secrets shorter than this are not searched in raw bytes (a 2-letter SSID is everywhere)
_MIN_SECRET = 4


def _secret_values(img: Image, configs: Any) -> tuple[bytes, ...]:
    """The secret values the dump's decoders found (Tuya storage, OBK config, BL602 factory DTB...)."""
    from .secrets import find_secrets

    docs = [img.to_dict(show_secrets=True)]
    docs += [c.to_dict(show_secrets=True) for c in (configs.tuya, configs.obk) if c is not None]
    found = {v.encode("utf-8", "surrogateescape") for d in docs for _, v in find_secrets(d)}
    return tuple(sorted(v for v in found if len(v) >= _MIN_SECRET))


def extract(source: SourceLike, *, kind: str | None = None, regions: bool = True) -> Extraction:
    """Decode ``source`` and list the files an extraction produces (nothing is written).

    A file is marked secret (written 0600) when it is a config, or when its bytes hold any secret
    value the decoders found in the dump: stock firmwares keep plain-text Wi-Fi copies in sectors no
    format claims, and BL602 factory DTBs and firmware slices can hold credentials too.
    """
    src = load(source)
    img = open_image(src, kind=kind)
    configs = find_configs(src.data, img)
    secret_values = _secret_values(img, configs)
    files: list[Artifact] = []
    names: set[str] = set()

    def add(a: Artifact) -> None:
        name = _safe(a.name)
        stem, dot, ext = name.rpartition(".")
        n = 2
        while name in names:
            name = f"{stem}_{n}{dot}{ext}" if dot else f"{a.name}_{n}"
            n += 1
        names.add(name)
        secret = a.secret or a.kind in SECRET_KINDS or any(v in a.data for v in secret_values)
        files.append(Artifact(name, a.data, a.kind, a.region, a.description, secret))

    if regions:
        # region offsets of a rotated dump are flash addresses: slice the flash-ordered bytes
        flash = img.flash() if getattr(img, "rotation", 0) else src.data  # type: ignore[attr-defined]
        for i, r in enumerate(img.regions()):
            if r.state == "erased" or r.size == 0 or r.offset >= len(flash):
                continue
            add(
                Artifact(
                    f"region_{i:02d}_{r.offset:06x}_{r.name}.bin",
                    flash[r.offset : r.end],
                    "region",
                    r.name,
                    f"raw bytes {r.offset:#x}..{r.end:#x} ({r.kind}, {r.state})",
                    secret=r.kind in CONFIG_KINDS,
                )
            )
    for a in img.artifacts():
        add(a)
    if configs.tuya is not None:
        doc = configs.tuya.to_dict(show_secrets=True)
        add(
            Artifact(
                "tuya_storage.json",
                json.dumps(jsonable(doc), indent=2).encode() + b"\n",
                "json",
                "tuya-kv",
                "decoded Tuya key-value storage (contains secrets)",
                secret=True,
            )
        )
    if configs.obk is not None:
        add(
            Artifact(
                "obk_config.bin",
                configs.obk.config.build(),
                "config",
                "obk-config",
                f"OpenBeken mainConfig_t v{configs.obk.config.version} (bare config file)",
                secret=True,
            )
        )
        doc = configs.obk.to_dict(show_secrets=True)
        add(
            Artifact(
                "obk_config.json",
                json.dumps(jsonable(doc), indent=2).encode() + b"\n",
                "json",
                "obk-config",
                "decoded OpenBeken config (contains secrets)",
                secret=True,
            )
        )
    return Extraction(img, tuple(files), src.name, hashlib.sha256(src.data).hexdigest())


def write_extraction(
    result: Extraction,
    folder: str | os.PathLike[str],
    *,
    force: bool = False,
    inputs: Iterable[str | os.PathLike[str]] = (),
) -> list[str]:
    """Write every file and then ``manifest.json`` into ``folder`` (created if missing).

    ``folder`` is resolved first (``nothere/../adir`` is ``adir``), and every destination is checked
    before the first file is written: a non-empty existing folder needs ``force``, and no file may
    replace one of ``inputs``. Returns the written paths.
    """
    from .fileio import check_output, write_atomic

    given = os.fspath(folder)
    folder = os.path.realpath(given)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise OutputError(f"{given} exists and is not a folder", fmt="output")
    if os.path.isdir(folder) and os.listdir(folder) and not force:
        raise OutputError(f"folder {given} is not empty; force=True writes into it", fmt="output")
    names = [a.name for a in result.files] + ["manifest.json"]
    inputs = list(inputs)
    if os.path.isdir(folder):
        for name in names:
            check_output(os.path.join(folder, name), force=force, inputs=inputs)
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError as e:
        raise OutputError(f"cannot create the folder {given}: {e.strerror or e}", fmt="output") from e
    written = []
    for a in result.files:
        path = os.path.join(folder, a.name)
        write_atomic(path, a.data, force=force, inputs=inputs, mode=0o600 if a.secret else None)
        written.append(path)
    manifest = os.path.join(folder, "manifest.json")
    write_atomic(manifest, json.dumps(result.manifest(), indent=2) + "\n", force=force, inputs=inputs)
    written.append(manifest)
    return written
