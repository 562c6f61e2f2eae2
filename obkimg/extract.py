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
from typing import Any

from ._record import dataclass
from .configs import CONFIG_KINDS, Configs, find_configs
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


def _secret_values(img: Image, configs: Configs) -> tuple[bytes, ...]:
    """The secret values the dump's decoders found (Tuya storage, OBK config, BL602 factory DTB...)."""
    from .secrets import find_secrets

    docs = [img.to_dict(show_secrets=True)]
    docs += [c.to_dict(show_secrets=True) for c in (configs.tuya, configs.obk) if c is not None]
    found = {v.encode("utf-8", "surrogateescape") for d in docs for _, v in find_secrets(d)}
    return tuple(sorted(v for v in found if len(v) >= _MIN_SECRET))


class _Files:
    """The files of an extraction: unique safe names, and the secret mark of every file whose bytes
    hold a secret value the decoders found."""

    def __init__(self, secret_values: tuple[bytes, ...]) -> None:
        self.secret_values = secret_values
        self.files: list[Artifact] = []
        self.names: set[str] = set()

    def add(self, a: Artifact) -> None:
        name = _safe(a.name)
        stem, dot, ext = name.rpartition(".")
        n = 2
        while name in self.names:
            name = f"{stem}_{n}{dot}{ext}" if dot else f"{a.name}_{n}"
            n += 1
        self.names.add(name)
        secret = a.secret or a.kind in SECRET_KINDS or any(v in a.data for v in self.secret_values)
        self.files.append(Artifact(name, a.data, a.kind, a.region, a.description, secret))


def _region_files(img: Image, data: bytes) -> list[Artifact]:
    """The raw bytes of every region that is not erased or empty."""
    # region offsets of a rotated dump are flash addresses: slice the flash-ordered bytes
    flash = img.in_flash_order(data)
    return [
        Artifact(
            f"region_{i:02d}_{r.offset:06x}_{r.name}.bin",
            flash[r.offset : r.end],
            "region",
            r.name,
            f"raw bytes {r.offset:#x}..{r.end:#x} ({r.kind}, {r.state})",
            secret=r.kind in CONFIG_KINDS,
        )
        for i, r in enumerate(img.regions())
        if not (r.state == "erased" or r.size == 0 or r.offset >= len(flash))
    ]


def _json_file(name: str, doc: Any, region: str, what: str) -> Artifact:
    data = json.dumps(jsonable(doc), indent=2).encode() + b"\n"
    return Artifact(name, data, "json", region, f"decoded {what} (contains secrets)", secret=True)


def _config_files(configs: Configs) -> list[Artifact]:
    """The decoded Tuya storage (JSON) and OpenBeken config (bare config file and JSON)."""
    out: list[Artifact] = []
    if configs.tuya is not None:
        doc = configs.tuya.to_dict(show_secrets=True)
        out.append(_json_file("tuya_storage.json", doc, "tuya-kv", "Tuya key-value storage"))
    if configs.obk is not None:
        cfg = configs.obk.config
        what = f"OpenBeken mainConfig_t v{cfg.version} (bare config file)"
        out.append(Artifact("obk_config.bin", cfg.build(), "config", "obk-config", what, secret=True))
        doc = configs.obk.to_dict(show_secrets=True)
        out.append(_json_file("obk_config.json", doc, "obk-config", "OpenBeken config"))
    return out


def extract(source: SourceLike, *, kind: str | None = None, regions: bool = True) -> Extraction:
    """Decode ``source`` and list the files an extraction produces (nothing is written).

    A file is marked secret (written 0600) when it is a config, or when its bytes hold any secret
    value the decoders found in the dump: stock firmwares keep plain-text Wi-Fi copies in sectors no
    format claims, and BL602 factory DTBs and firmware slices can hold credentials too.
    """
    src = load(source)
    img = open_image(src, kind=kind)
    configs = find_configs(src.data, img)
    files = _Files(_secret_values(img, configs))
    for a in (
        *(_region_files(img, src.data) if regions else []),
        *img.artifacts(),
        *_config_files(configs),
    ):
        files.add(a)
    return Extraction(img, tuple(files.files), src.name, hashlib.sha256(src.data).hexdigest())


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
