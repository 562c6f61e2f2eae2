"""obkimg._record.dataclass behaves as dataclasses.dataclass, on generated class shapes.

Each example declares the same class body twice, once with the standard decorator and once with
obkimg's, and compares what a user can observe: construction (positional, keyword, defaults,
factories), repr, equality, hash, frozen errors, fields/replace/asdict, signature, match_args,
slots, pickling and copying, and the TypeErrors of wrong calls.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import itertools
import operator
import pickle
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from obkimg import _record

_counter = itertools.count()

FIELD = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(["required", "default", "factory"]),
        "init": st.booleans(),
        "repr": st.booleans(),
        "compare": st.booleans(),
        "hash": st.sampled_from([None, True, False]),
    }
)
OPTIONS = st.fixed_dictionaries(
    {"frozen": st.booleans(), "slots": st.booleans(), "eq": st.booleans(), "repr": st.booleans()}
)


def _source(specs: list[dict[str, object]]) -> str:
    lines = ["class C:", "    '''A generated record.'''"]
    for i, s in enumerate(specs):
        opts = [f"init={s['init']}", f"repr={s['repr']}", f"compare={s['compare']}", f"hash={s['hash']}"]
        if s["kind"] == "default":
            opts.append(f"default={100 + i}")
        elif s["kind"] == "factory":
            opts.append("default_factory=list")
        lines.append(f"    f{i}: int = dataclasses.field({', '.join(opts)})")
    return "\n".join(lines) + "\n"


def _declare(decorator, specs, options):
    """The class body of ``specs`` under ``decorator(**options)``, importable for pickle."""
    ns: dict[str, object] = {"dataclasses": dataclasses}
    exec(_source(specs), ns)
    cls = ns["C"]
    name = f"Generated{next(_counter)}"
    cls.__name__ = cls.__qualname__ = name
    cls.__module__ = __name__
    made = decorator(**options)(cls)
    setattr(sys.modules[__name__], name, made)
    return made


def _outcome(fn, *args):
    """("ok", fn(*args)) or ("raises", the exception's type)."""
    try:
        return ("ok", fn(*args))
    except Exception as e:  # noqa: BLE001 - the exception type is the observable
        return ("raises", type(e))


def _clone_equal(clone, obj):
    return clone(obj) == obj


def _args(specs, salt):
    """Positional values for every init field (0.. by position, offset by salt)."""
    return [salt + i for i, s in enumerate(specs) if s["init"]]


@settings(max_examples=300, deadline=None)
@given(specs=st.lists(FIELD, max_size=5), options=OPTIONS, salt=st.integers(0, 3))
def test_generated_classes_behave_as_the_standard_ones(specs, options, salt):
    std = _outcome(lambda: _declare(dataclasses.dataclass, specs, options))
    ours = _outcome(lambda: _declare(_record.dataclass, specs, options))
    assert std[0] == ours[0]
    if std[0] == "raises":
        assert std[1] is ours[1] is TypeError  # a required field after a defaulted one
        return
    S, R = std[1], ours[1]
    assert str(inspect.signature(S)) == str(inspect.signature(R))
    assert S.__match_args__ == R.__match_args__
    assert [(f.name, f.init, f.repr, f.compare, f.hash) for f in dataclasses.fields(S)] == [
        (f.name, f.init, f.repr, f.compare, f.hash) for f in dataclasses.fields(R)
    ]
    assert ("__slots__" in S.__dict__) == ("__slots__" in R.__dict__)
    assert (S.__hash__ is None) == (R.__hash__ is None)

    args = _args(specs, salt)
    names = [f"f{i}" for i, s in enumerate(specs) if s["init"]]
    for how in ("positional", "keyword"):
        a_std = S(*args) if how == "positional" else S(**dict(zip(names, args, strict=True)))
        a_our = R(*args) if how == "positional" else R(**dict(zip(names, args, strict=True)))
        r_std = _outcome(lambda o: repr(o).replace(S.__qualname__, "X"), a_std)
        r_our = _outcome(lambda o: repr(o).replace(R.__qualname__, "X"), a_our)
        assert r_std == r_our if options["repr"] else r_std[0] == r_our[0]
        assert _outcome(dataclasses.asdict, a_std) == _outcome(dataclasses.asdict, a_our)
        h_std, h_our = _outcome(hash, a_std), _outcome(hash, a_our)
        assert h_std == h_our if options["eq"] else h_std[0] == h_our[0]
        # equality with an equal instance, a changed one, and another class
        same_std, same_our = S(*args), R(*args)
        assert _outcome(operator.eq, a_std, same_std) == _outcome(operator.eq, a_our, same_our)
        assert _outcome(operator.eq, a_std, a_our) == _outcome(operator.eq, a_our, a_std)  # other class
        if names:
            changed = {names[0]: -1}
            c_std, c_our = dataclasses.replace(a_std, **changed), dataclasses.replace(a_our, **changed)
            assert _outcome(operator.eq, a_std, c_std) == _outcome(operator.eq, a_our, c_our)
            assert _outcome(dataclasses.asdict, c_std) == _outcome(dataclasses.asdict, c_our)
        # frozen: assigning or deleting a field (or a new attribute) raises the same way
        for attr in [*(f"f{i}" for i in range(len(specs))), "other"]:
            e_std = _outcome(setattr, a_std, attr, 7)
            e_our = _outcome(setattr, a_our, attr, 7)
            if attr == "other" and options["frozen"] and options["slots"]:
                # CPython 3.10/3.11: the standard frozen __setattr__ of a slotted class calls
                # super() with the class from before __slots__, a TypeError; ours says frozen
                assert e_std[0] == e_our[0] == "raises"
            else:
                assert e_std == e_our
        for attr in (f"f{i}" for i in range(len(specs))):
            assert _outcome(delattr, S(*args), attr) == _outcome(delattr, R(*args), attr)
        # copies and pickles come back equal (by the class's own equality)
        for clone in (copy.copy, copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))):
            assert _outcome(_clone_equal, clone, a_std) == _outcome(_clone_equal, clone, a_our)
    # wrong calls
    assert _outcome(lambda: S(*args, 0))[0] == _outcome(lambda: R(*args, 0))[0]
    assert _outcome(lambda: S(*args, nope=1))[0] == _outcome(lambda: R(*args, nope=1))[0]
    if args:
        assert _outcome(lambda: S(*args[:-1]))[0] == _outcome(lambda: R(*args[:-1]))[0]
        assert (
            _outcome(lambda: S(*args, **{names[0]: 1}))[0] == _outcome(lambda: R(*args, **{names[0]: 1}))[0]
        )


def test_factories_give_each_instance_its_own_value():
    @_record.dataclass(frozen=True, slots=True)
    class R:
        """Test record."""

        items: list[int] = dataclasses.field(default_factory=list)

    a, b = R(), R()
    a.items.append(1)
    assert b.items == [] and a.items == [1]


def test_methods_the_class_defines_are_kept_and_post_init_runs():
    calls = []

    @_record.dataclass(frozen=True)
    class R:
        """Test record."""

        x: int

        def __repr__(self) -> str:
            return "mine"

        def __post_init__(self) -> None:
            calls.append(self.x)

    assert repr(R(5)) == "mine" and repr(R(x=6)) == "mine" and calls == [5, 6]


def test_recursive_repr_does_not_loop():
    @_record.dataclass
    class Node:
        """Test record."""

        children: list[object]

    n = Node([])
    n.children.append(n)
    assert repr(n) == "test_recursive_repr_does_not_loop.<locals>.Node(children=[...])"


@pytest.mark.parametrize("option", [{"order": True}, {"unsafe_hash": True}, {"kw_only": True}])
def test_options_it_does_not_implement_are_refused(option):
    with pytest.raises(TypeError, match="does not support"):

        @_record.dataclass(**option)
        class R:
            """Test record."""

            x: int


def test_initvar_and_kw_only_fields_are_refused():
    with pytest.raises(TypeError, match="InitVar"):

        @_record.dataclass
        class A:
            """Test record."""

            x: dataclasses.InitVar[int]

    with pytest.raises(TypeError, match="kw_only"):

        @_record.dataclass
        class B:
            """Test record."""

            x: int = dataclasses.field(kw_only=True)


def test_every_record_of_the_package_uses_it():
    """A module that took ``dataclass`` from the standard library again would pay ~1.3 ms per class."""
    import re
    from pathlib import Path

    import obkimg

    stdlib = re.compile(r"^from dataclasses import .*\bdataclass\b(?!es)|\bdataclasses\.dataclass\b", re.M)
    pkg = Path(obkimg.__file__).parent
    offenders = [p.name for p in pkg.rglob("*.py") if p.name != "_record.py" and stdlib.search(p.read_text())]
    assert offenders == []


def _pair(options: dict[str, bool], parent_options: dict[str, bool] | None = None):
    """(standard, ours): a parent record and a child record with fields of its own, declared with one
    decorator each; importable for pickle."""
    made = []
    for decorator in (dataclasses.dataclass, _record.dataclass):

        class Parent:
            """A parent record."""

            a: int
            b: int = 2

        class Child:
            """A child record."""

            c: int = 3
            b: int = 20  # redefined: keeps its place, takes the new default

        parent = _named(decorator(**(parent_options or options))(Parent))
        body = {k: v for k, v in Child.__dict__.items() if k not in ("__dict__", "__weakref__")}
        child = _named(decorator(**options)(type("Child", (parent,), body)))
        made.append((parent, child))
    return made


def _named(cls):
    name = f"Generated{next(_counter)}"
    cls.__name__ = cls.__qualname__ = name
    cls.__module__ = __name__
    setattr(sys.modules[__name__], name, cls)
    return cls


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("slots", [False, True])
def test_a_record_subclassing_a_record_behaves_as_the_standard_one(frozen, slots):
    (sp, sc), (rp, rc) = _pair({"frozen": frozen, "slots": slots})
    assert str(inspect.signature(sc)) == str(inspect.signature(rc))
    assert sc.__match_args__ == rc.__match_args__
    s, r = sc(1), rc(1)
    assert repr(s).replace(sc.__qualname__, "X") == repr(r).replace(rc.__qualname__, "X")
    assert (s == sc(1), s == sp(1, 20)) == (r == rc(1), r == rp(1, 20))
    assert _outcome(hash, s)[0] == _outcome(hash, r)[0]
    if frozen:
        assert hash(s) == hash(r)
    for attr in ("a", "c", "other"):
        e_s, e_r = _outcome(setattr, sc(1), attr, 5), _outcome(setattr, rc(1), attr, 5)
        assert e_s[0] == e_r[0]
    for clone in (copy.copy, copy.deepcopy, lambda o: pickle.loads(pickle.dumps(o))):
        assert clone(s) == s and clone(r) == r


@pytest.mark.parametrize("frozen", [False, True])
def test_the_params_say_what_the_class_was_declared_with(frozen):
    """``__dataclass_params__`` is what code outside (and the standard decorator of a subclass) reads
    to know whether a record is frozen."""
    (sp, _), (rp, _) = _pair({"frozen": frozen, "slots": True})
    for name in ("init", "repr", "eq", "frozen"):
        assert getattr(sp.__dataclass_params__, name) == getattr(rp.__dataclass_params__, name), name


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("parent_frozen", [False, True])
def test_a_standard_dataclass_may_subclass_a_record(frozen, parent_frozen):
    """A user's ``dataclasses.dataclass`` subclass of an obkimg model: defined (or refused) as it would
    be over a standard parent, and its instances made and frozen the same way."""
    outcomes = []
    for parent_decorator in (dataclasses.dataclass, _record.dataclass):

        @parent_decorator(frozen=parent_frozen, slots=True)
        class Parent:
            """A parent record."""

            a: int

        def declare(parent=Parent):
            @dataclasses.dataclass(frozen=frozen)
            class Sub(parent):
                """A user's subclass."""

                d: int = 4

            return Sub

        defined = _outcome(declare)
        if defined[0] == "ok":
            sub = defined[1]
            made = _outcome(lambda sub=sub: repr(sub(1)).split("(", 1)[1])
            assigned = _outcome(lambda sub=sub: setattr(sub(1), "a", 9))
            outcomes.append(("ok", made, assigned))
        else:
            outcomes.append(defined)
    assert outcomes[0] == outcomes[1]


@pytest.mark.parametrize("frozen", [False, True])
def test_a_record_subclassing_a_record_of_another_frozenness_is_refused(frozen):
    for decorator in (dataclasses.dataclass, _record.dataclass):

        @decorator(frozen=frozen)
        class Parent:
            """A parent record."""

            a: int

        with pytest.raises(TypeError, match="cannot inherit"):

            @decorator(frozen=not frozen)
            class Child(Parent):
                """A child record."""

                b: int = 0


def test_a_record_without_a_docstring_gets_the_standard_one():
    for decorator in (dataclasses.dataclass, _record.dataclass):

        @decorator(frozen=True, slots=True)
        class R:
            x: int
            y: str = "a"

        assert R.__doc__ == "R(x: 'int', y: 'str' = 'a')"


@pytest.mark.parametrize("method", ["__setattr__", "__delattr__"])
def test_a_frozen_record_may_not_define_its_own_setattr(method):
    """The standard decorator refuses it (its frozen methods would be lost); so does this one."""
    for decorator in (dataclasses.dataclass, _record.dataclass):
        body = {"__annotations__": {"x": "int"}, method: lambda self, *a: None}
        with pytest.raises(TypeError, match=f"Cannot overwrite attribute {method}"):
            decorator(frozen=True)(type("R", (), body))


_OWN_EQ_HASH = {
    "eq only": {"__eq__": lambda self, other: True},
    "hash only": {"__hash__": lambda self: 7},
    "both": {"__eq__": lambda self, other: True, "__hash__": lambda self: 7},
    "hash None": {"__hash__": None},
}


@pytest.mark.parametrize("own", sorted(_OWN_EQ_HASH))
@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("eq", [False, True])
def test_a_class_s_own_eq_and_hash_are_treated_as_the_standard_decorator_does(own, frozen, eq):
    seen = []
    for decorator in (dataclasses.dataclass, _record.dataclass):
        body = {"__annotations__": {"x": "int"}, **_OWN_EQ_HASH[own]}
        cls = decorator(frozen=frozen, eq=eq)(type("R", (), body))
        seen.append((cls.__hash__ is None, _outcome(hash, cls(1)), cls(1) == cls(2)))
    assert seen[0] == seen[1]


def test_a_field_set_after_init_survives_pickle_and_copy_and_replace_refuses_it():
    """As ``RblHeader._raw_crc`` or ``TuyaKeys._pins``: an init=False field a method fills in later."""
    seen = []
    for decorator in (dataclasses.dataclass, _record.dataclass):

        @decorator(frozen=True, slots=True)
        class R:
            """A record with a cache."""

            x: int
            cache: int | None = dataclasses.field(default=None, init=False, repr=False, compare=False)

        _named(R)
        r = R(1)
        object.__setattr__(r, "cache", 5)
        clones = [copy.copy(r), copy.deepcopy(r), pickle.loads(pickle.dumps(r))]
        seen.append(
            (
                [c.cache for c in clones],
                dataclasses.replace(r, x=2).cache,
                _outcome(lambda r=r: dataclasses.replace(r, cache=1)),
            )
        )
    assert seen[0] == seen[1]
    assert seen[0][:2] == ([5, 5, 5], None) and seen[0][2][0] == "raises"  # ValueError; TypeError on 3.13
