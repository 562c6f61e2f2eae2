"""Loading the ESPHome form in tests: PyYAML's safe loader plus ESPHome's ``!secret`` tag."""

from __future__ import annotations

from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    pass


_Loader.add_constructor("!secret", lambda loader, node: f"!secret {loader.construct_scalar(node)}")


def load_esphome(text: str | bytes) -> Any:
    """The YAML document; a ``!secret NAME`` value reads as the string ``"!secret NAME"``."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass
