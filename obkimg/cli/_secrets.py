"""The one secrets flag pair of every command that can show secrets: ``--show-secrets/--redact``.

Commands whose job is to show secrets (``tuya-keys``, ``obk-config show``) show them unless
``--redact``; every other command masks them unless ``--show-secrets``. What is secret and how it is
masked is :mod:`obkimg.secrets`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

#: permissions of every output that holds secrets (configs, dumps with a config written in)
SECRET_MODE = 0o600


def secrets_option(*, shown_by_default: bool) -> Callable[[F], F]:
    """``--show-secrets/--redact`` (parameter ``show_secrets``) with this command's default."""
    if shown_by_default:
        text = (
            "--show-secrets (the default: showing them is this command's job) prints Wi-Fi SSIDs, "
            "passwords and keys; --redact masks each as ***."
        )
    else:
        text = (
            "--redact (the default) masks Wi-Fi SSIDs, passwords and keys as ***; --show-secrets prints them."
        )
    return click.option("--show-secrets/--redact", "show_secrets", default=shown_by_default, help=text)


def policed(doc: Any, show_secrets: bool) -> Any:
    """``doc`` as the command prints it: unchanged with ``--show-secrets``, else every secret masked."""
    if show_secrets:
        return doc
    from ..secrets import redact

    return redact(doc)


def mode_for(data: bytes) -> int | None:
    """:data:`SECRET_MODE` when ``data`` (a whole dump, as a conversion writes it) holds a Tuya
    storage or an OpenBeken config, else ``None`` (the default mode)."""
    from ..configs import find_configs

    found = find_configs(data)
    return SECRET_MODE if found.tuya is not None or found.obk is not None else None
