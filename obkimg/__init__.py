"""obkimg: parse, build, convert and check BK7231 and BL602 firmware images and flash dumps.

Public API (imports nothing heavy at start-up)::

    import obkimg
    img = obkimg.open("dump.bin")        # typed model; img.kind, img.chip, img.regions(), img.to_dict()
    obkimg.detect(data)                  # ranked Detection candidates
    obkimg.ObkImgError                   # base of every error the library raises
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "open",
    "detect",
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
    "Problem",
    "TuyaKeys",
    "TuyaWifi",
    "TuyaDevice",
    "TuyaStorage",
    "StorageLocation",
]

_ERRORS = {n for n in __all__ if n.endswith("Error")} | {"Problem"}
#: the typed results of :mod:`obkimg.tuya` (imported on first use: the Tuya reader loads construct)
_TUYA = {"TuyaKeys", "TuyaWifi", "TuyaDevice", "TuyaStorage", "StorageLocation"}

if TYPE_CHECKING:
    from .errors import (  # noqa: F401
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
        TruncatedError,
        UnknownChipError,
    )
    from .model import Image
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
    if name in _ERRORS:
        from . import errors

        return getattr(errors, name)
    if name in _TUYA:
        from . import tuya

        return getattr(tuya, name)
    raise AttributeError(f"module 'obkimg' has no attribute {name!r}")
