"""obkimg: parse, build, convert and check BK7231 and BL602 firmware images and flash dumps.

Public API (imports nothing heavy at start-up)::

    import obkimg
    img = obkimg.open("dump.bin")        # typed model; img.kind, img.chip, img.regions(), img.to_dict()
    obkimg.detect(data)                  # ranked Detection candidates
    obkimg.list_formats()                # FormatInfo of every supported format
    obkimg.ObkImgError                   # base of every error the library raises
    obkimg.Image, obkimg.Region, obkimg.Detection, obkimg.Problem   # the types, for annotations
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    # functions
    "open",
    "detect",
    "list_formats",
    # the typed model every format returns, and what detection answers
    "Image",
    "Region",
    "RegionState",
    "Detection",
    "Format",
    "FormatInfo",
    # non-fatal findings
    "Problem",
    "Severity",
    # errors
    "ObkImgError",
    "FormatError",
    "MagicError",
    "ChecksumError",
    "TruncatedError",
    "DetectionError",
    "DecryptError",
    "NotFoundError",
    "BuildError",
    "MismatchError",
    "LimitError",
    "OutputError",
    "UnknownChipError",
    # the typed results of the Tuya reader (obkimg.tuya)
    "TuyaKeys",
    "TuyaWifi",
    "TuyaDevice",
    "TuyaStorage",
    "StorageLocation",
]

#: public names resolved on first use, by the module that defines them (PEP 562 ``__getattr__``)
_LAZY = {
    **{n: "errors" for n in __all__ if n.endswith("Error")},
    "Problem": "errors",
    "Severity": "errors",
    "Image": "model",
    "Region": "model",
    "RegionState": "model",
    "Detection": "formats",
    "Format": "formats",
    "FormatInfo": "formats",
    "list_formats": "detect",
    **{n: "tuya" for n in ("TuyaKeys", "TuyaWifi", "TuyaDevice", "TuyaStorage", "StorageLocation")},
}

if TYPE_CHECKING:
    from .detect import list_formats
    from .errors import (
        BuildError,
        ChecksumError,
        DecryptError,
        DetectionError,
        FormatError,
        LimitError,
        MagicError,
        MismatchError,
        NotFoundError,
        ObkImgError,
        OutputError,
        Problem,
        Severity,
        TruncatedError,
        UnknownChipError,
    )
    from .formats import Detection, Format, FormatInfo
    from .model import Image, Region, RegionState
    from .source import SourceLike
    from .tuya import StorageLocation, TuyaDevice, TuyaKeys, TuyaStorage, TuyaWifi  # noqa: F401


# Imported eagerly (it is light: no construct, cryptography or lzma) so that the submodule
# ``obkimg.detect`` is loaded now and the package attribute ``detect`` stays the function below:
# a later ``import obkimg.detect`` does not rebind an already-loaded submodule.
from .detect import detect  # noqa: E402
from .detect import open_image as _open_image  # noqa: E402


def open(source: SourceLike, *, kind: str | None = None) -> Image:  # noqa: A001
    """Detect what ``source`` is (path, bytes or binary file; .gz and Intel HEX too) and parse it."""
    return _open_image(source, kind=kind)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'obkimg' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(f".{module}", __name__), name)
