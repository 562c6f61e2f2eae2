"""Every public name has a docstring: modules, classes, functions, methods and properties without a leading
underscore, in every public module of the package.

Counted on the imported objects with :func:`inspect.getdoc`, so a method that overrides a documented
base-class method (``regions()`` of every :class:`obkimg.model.Image`) has its base's docstring, as the
API reference shows it. Names imported from another module are counted where they are defined.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from typing import Any

import obkimg


def _modules() -> list[str]:
    names = ["obkimg"]
    for info in pkgutil.walk_packages(obkimg.__path__, "obkimg."):
        if not any(part.startswith("_") for part in info.name.split(".")[1:]):
            names.append(info.name)
    return names


def _member_doc(cls: type, name: str, raw: Any) -> str | None:
    if isinstance(raw, property):
        if raw.__doc__:
            return raw.__doc__
        for base in cls.__mro__[1:]:
            inherited = base.__dict__.get(name)
            if inherited is not None and inspect.getdoc(inherited):
                return inspect.getdoc(inherited)
        return None
    return inspect.getdoc(getattr(cls, name))


def _is_method(raw: Any) -> bool:
    return isinstance(raw, (property, classmethod, staticmethod)) or inspect.isfunction(raw)


def missing_docstrings() -> tuple[list[str], int]:
    """The public names without a docstring, and how many public names there are."""
    missing: list[str] = []
    total = 0
    for name in _modules():
        module = importlib.import_module(name)
        total += 1
        if not inspect.getdoc(module):
            missing.append(name)
        for attr, obj in vars(module).items():
            if attr.startswith("_") or getattr(obj, "__module__", None) != name:
                continue
            if not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue
            total += 1
            doc = inspect.getdoc(obj) or ""
            if not doc or doc.startswith(f"{attr}("):  # dataclasses make up "Name(field, ...)"
                missing.append(f"{name}.{attr}")
            if not inspect.isclass(obj):
                continue
            for member, raw in vars(obj).items():
                if member.startswith("_") or not _is_method(raw):
                    continue
                total += 1
                if not _member_doc(obj, member, raw):
                    missing.append(f"{name}.{attr}.{member}")
    return missing, total


def test_every_public_name_has_a_docstring() -> None:
    missing, total = missing_docstrings()
    assert total > 300
    assert not missing, f"{len(missing)} of {total} public names have no docstring: {missing[:40]}"


if __name__ == "__main__":  # pragma: no cover - a developer's report
    names, count = missing_docstrings()
    print(f"{len(names)} of {count} public names have no docstring")  # noqa: T201
    for n in names:
        print(" ", n)  # noqa: T201
