"""``dataclass`` for obkimg's records, without the cost of defining one.

The standard :func:`dataclasses.dataclass` writes the source of ``__init__``, ``__repr__``, ``__eq__``,
``__hash__``, ``__setattr__`` and ``__delattr__`` for every class and compiles each with ``exec()``.
That costs 1.1-1.6 ms per frozen slotted class on CPython 3.10-3.13 (measured: the compiles are 60%
of it), and ``obkimg info`` of one BK7231 dump defines 44 such classes: about 50 ms, three times the
interpreter's own start-up, before any work is done.

:func:`dataclass` here keeps the standard library for everything that describes the class: it calls
``dataclasses.dataclass`` with the method generation switched off, so fields, defaults,
``field(...)`` options, ``__slots__``, ``__match_args__`` and inheritance are the standard ones, and
``dataclasses.fields``, ``replace``, ``asdict`` and ``is_dataclass`` work unchanged. It then attaches
methods written once, here, that read the class's fields (about 0.15 ms per class instead of 1.3):

- ``__init__`` takes the init fields positionally or by keyword, fills defaults and factories,
  runs ``__post_init__``; its ``__signature__`` is the one the standard method would have;
- ``__repr__``, ``__eq__`` and ``__hash__`` behave as the standard ones (the same text, the same
  hash, the same comparison: of tuples before CPython 3.13, field by field from 3.13), and ``frozen`` raises
  :class:`dataclasses.FrozenInstanceError` with the standard message;
- frozen slotted classes pickle and copy as the standard ones do.

Options: ``frozen``, ``slots``, ``repr``, ``eq`` and ``init``. Anything else the standard decorator
accepts (``order``, ``unsafe_hash``, ``kw_only``, ``InitVar`` fields) raises ``TypeError`` when the
class is defined, so no class silently gets different behaviour. Methods a class defines itself
are kept, as the standard decorator keeps them. ``__dataclass_params__`` holds the options given
here (``init``, ``repr``, ``eq``, ``frozen``), so a record may subclass a record, and a standard
dataclass a record, with the standard frozenness rules; a class without a docstring gets the
standard one.

To type checkers this *is* ``dataclasses.dataclass`` (see the ``TYPE_CHECKING`` branch).
``tests/core/test_record.py`` compares it with the standard decorator on generated classes.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import sys
from collections.abc import Callable
from operator import attrgetter
from reprlib import recursive_repr
from typing import TYPE_CHECKING, Any

__all__ = ["dataclass"]

_REQUIRED, _DEFAULT, _FACTORY = 0, 1, 2


class _Factory:
    """Stands for a ``default_factory`` in an ``__init__`` signature (shown as ``<factory>``)."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY_MARK = _Factory()


def _plan(flds: tuple[dataclasses.Field[Any], ...]) -> tuple[tuple[str, int, Any, bool], ...]:
    """(name, kind, default or factory, init) for every field, in definition order."""
    plan = []
    seen_default = None
    for f in flds:
        if f.default_factory is not dataclasses.MISSING:
            kind, value = _FACTORY, f.default_factory
        elif f.default is not dataclasses.MISSING:
            kind, value = _DEFAULT, f.default
        else:
            kind, value = _REQUIRED, None
        if f.init:
            if kind == _REQUIRED and seen_default is not None:
                raise TypeError(f"non-default argument {f.name!r} follows default argument")
            if kind != _REQUIRED:
                seen_default = f.name
        plan.append((f.name, kind, value, f.init))
    return tuple(plan)


def _make_init(
    cls: type, flds: tuple[dataclasses.Field[Any], ...], frozen: bool, slots: bool
) -> Callable[..., None]:
    plan = _plan(flds)
    names = tuple(name for name, _, _, init in plan if init)
    accepted = frozenset(names)
    qualname = f"{cls.__qualname__}.__init__()"
    setter = object.__setattr__ if frozen else setattr
    post_init = hasattr(cls, "__post_init__")

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        given = kwargs
        if args:
            if len(args) > len(names):
                raise TypeError(
                    f"{qualname} takes {len(names) + 1} positional arguments but {len(args) + 1} were given"
                )
            given = dict(zip(names, args, strict=False))  # len(args) <= len(names), checked above
            for key in kwargs.keys() & given.keys():
                raise TypeError(f"{qualname} got multiple values for argument {key!r}")
            given.update(kwargs)
        if not accepted.issuperset(given):
            unexpected = sorted(given.keys() - accepted)[0]
            raise TypeError(f"{qualname} got an unexpected keyword argument {unexpected!r}")
        for name, kind, default, init in plan:
            if init and name in given:
                setter(self, name, given[name])
            elif kind == _DEFAULT:
                if init or slots:  # else the class attribute holds it, as with the standard __init__
                    setter(self, name, default)
            elif kind == _FACTORY:
                setter(self, name, default())
            elif init:
                missing = [n for n, k, _, i in plan if i and k == _REQUIRED and n not in given]
                raise TypeError(f"{qualname} missing required argument(s): {', '.join(map(repr, missing))}")
            # init=False without a default: left unset, as the standard __init__ does
        if post_init:
            self.__post_init__()

    params = [inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)]
    for (name, kind, default, init), f in zip(plan, flds, strict=True):
        if init:
            dflt = {_REQUIRED: inspect.Parameter.empty, _DEFAULT: default, _FACTORY: _FACTORY_MARK}[kind]
            kind_of_param = inspect.Parameter.POSITIONAL_OR_KEYWORD
            params.append(inspect.Parameter(name, kind_of_param, default=dflt, annotation=f.type))
    __init__.__signature__ = inspect.Signature(params, return_annotation=None)  # type: ignore[attr-defined]
    return __init__


def _getter(names: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """A function giving the named attributes as a tuple (attrgetter gives a bare value for one name)."""
    if not names:
        return lambda obj: ()
    get = attrgetter(*names)
    if len(names) == 1:
        return lambda obj: (get(obj),)
    return get


def _make_repr(flds: tuple[dataclasses.Field[Any], ...]) -> Callable[[Any], str]:
    names = tuple(f.name for f in flds if f.repr)

    @recursive_repr()
    def __repr__(self: Any) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{self.__class__.__qualname__}({inner})"

    return __repr__


def _make_eq(flds: tuple[dataclasses.Field[Any], ...]) -> Callable[[Any, Any], Any]:
    names = tuple(f.name for f in flds if f.compare)
    if sys.version_info >= (3, 13):
        return _make_eq_by_field(names)
    get = _getter(names)

    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is self.__class__:
            return get(self) == get(other)
        return NotImplemented

    return __eq__


def _make_eq_by_field(names: tuple[str, ...]) -> Callable[[Any, Any], Any]:
    """The standard ``__eq__`` of CPython 3.13+: identity first, then ``self.a == other.a and ...``
    (a field after the first unequal one is not read; the result is that of the last comparison)."""

    def __eq__(self: Any, other: Any) -> Any:
        if self is other:
            return True
        if other.__class__ is not self.__class__:
            return NotImplemented
        result: Any = True
        for name in names:
            result = getattr(self, name) == getattr(other, name)
            if not result:
                break
        return result

    return __eq__


def _make_hash(flds: tuple[dataclasses.Field[Any], ...]) -> Callable[[Any], int]:
    get = _getter(tuple(f.name for f in flds if (f.compare if f.hash is None else f.hash)))

    def __hash__(self: Any) -> int:
        return hash(get(self))

    return __hash__


def _frozen_methods(cls: Any, names: frozenset[str]) -> dict[str, Callable[..., Any]]:
    def __setattr__(self: Any, name: str, value: Any) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: Any, name: str) -> None:
        if type(self) is cls or name in names:
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return {"__setattr__": __setattr__, "__delattr__": __delattr__}


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, f.name) for f in dataclasses.fields(self)]


def _setstate(self: Any, state: list[Any]) -> None:
    for f, value in zip(dataclasses.fields(self), state, strict=True):
        object.__setattr__(self, f.name, value)


def _process(cls: type, *, init: bool, with_repr: bool, eq: bool, frozen: bool, slots: bool) -> type:
    own = dict(cls.__dict__)
    class_hash = own.get("__hash__", dataclasses.MISSING)
    explicit_hash = not (class_hash is dataclasses.MISSING or (class_hash is None and "__eq__" in own))
    if any("InitVar" in str(a) for a in own.get("__annotations__", {}).values()):
        raise TypeError(f"{cls.__qualname__}: InitVar fields need dataclasses.dataclass")
    # Over a dataclass base the standard decorator is told ``frozen`` too, so it checks the bases'
    # frozenness as it would (its __setattr__/__delattr__ are replaced below); elsewhere that costs
    # two compiles for nothing.
    checked = frozen and any(hasattr(b, "__dataclass_fields__") for b in cls.__mro__[1:])
    cls = dataclasses.dataclass(init=False, repr=False, eq=False, frozen=checked, slots=slots)(cls)
    _declare_params(cls, init=init, repr=with_repr, eq=eq, frozen=frozen)
    flds = dataclasses.fields(cls)
    if any(f.kw_only is True for f in flds):
        raise TypeError(f"{cls.__qualname__}: kw_only fields need dataclasses.dataclass")
    methods: dict[str, Any] = {}
    if init:
        methods["__init__"] = _make_init(cls, flds, frozen, slots)
    if with_repr:
        methods["__repr__"] = _make_repr(flds)
    if eq:
        methods["__eq__"] = _make_eq(flds)
    if frozen:
        for name in ("__setattr__", "__delattr__"):
            if name in own:  # as the standard decorator: the class's own would lose the frozenness
                raise TypeError(f"Cannot overwrite attribute {name} in class {cls.__name__}")
        methods.update(_frozen_methods(cls, frozenset(f.name for f in flds)))
        if slots:
            methods["__getstate__"], methods["__setstate__"] = _getstate, _setstate
    for name, fn in methods.items():
        if name not in own:
            if name not in ("__getstate__", "__setstate__"):
                fn.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, fn)
    if eq and not explicit_hash:
        cls.__hash__ = _make_hash(flds) if frozen else None  # type: ignore[assignment]
    if not own.get("__doc__"):  # the standard one, from the signature of the __init__ set above
        try:
            cls.__doc__ = cls.__name__ + str(inspect.signature(cls)).replace(" -> None", "")
        except (TypeError, ValueError):
            cls.__doc__ = cls.__name__
    return cls


def _declare_params(cls: type, **options: bool) -> None:
    """``__dataclass_params__`` saying what the class was declared with (not what the standard
    decorator was asked to generate): code outside, and the standard decorator of a subclass, read
    it to know whether a record is frozen."""
    params = copy.copy(cls.__dataclass_params__)  # type: ignore[attr-defined]
    for name, value in options.items():
        setattr(params, name, value)
    cls.__dataclass_params__ = params  # type: ignore[attr-defined]


if TYPE_CHECKING:
    from dataclasses import dataclass as dataclass
else:

    def dataclass(cls=None, /, *, init=True, repr=True, eq=True, frozen=False, slots=False, **unsupported):
        """``dataclasses.dataclass`` with methods written once instead of compiled per class."""
        if unsupported:
            raise TypeError(f"obkimg._record.dataclass does not support {sorted(unsupported)}")

        def wrap(c):
            return _process(c, init=init, with_repr=repr, eq=eq, frozen=frozen, slots=slots)

        return wrap if cls is None else wrap(cls)
