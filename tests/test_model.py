"""model.fast_init and model.cached_property: same behaviour as what they replace."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import InitVar, dataclass, field

import pytest

from linter.model import Finding, Fix, Position, Severity, Span, Violation, cached_property, fast_init
from linter.pg.locks import LockEffect, LockMode


def test_fast_init_keeps_signature_defaults_and_factories():
    span = Span(Position(1, 2), Position(3, 4))
    v = Violation(span, "m")
    assert (v.help, v.fix, v.context, v.redacted, v.once, v.fold, v.build) == (None, None, "", False, None, None, None)
    assert v.properties == {} and v.properties is not Violation(span, "m").properties  # a new dict each time
    assert Violation(span, "m", properties=None).properties is None  # an explicit None is kept, as before
    assert Violation(span=span, message="m", fold="x").fold == "x"
    assert dataclasses.replace(v, message="other") == Violation(span, "other")
    with pytest.raises(TypeError):
        Violation(span)  # message is required
    with pytest.raises(dataclasses.FrozenInstanceError):
        v.message = "changed"


def test_fast_init_objects_compare_hash_order_and_pickle_as_before():
    assert Position(1, 2) < Position(1, 3) and hash(Position(1, 2)) == hash(Position(1, 2))
    span = Span.at(2, 1, 2, 5)
    fix = Fix(span, 10, 14, "text", "Replace")
    f = Finding("r", "locking", Severity.ERROR, "a.sql", span, "m", None, "https://x", "0" * 16, fix)
    assert pickle.loads(pickle.dumps(f)) == f
    effect = LockEffect("users", LockMode.ACCESS_EXCLUSIVE, "ALTER TABLE", node={"relname": "users"})
    assert pickle.loads(pickle.dumps(effect)) == effect and effect.rewrite is False and effect.scan is False
    assert LockEffect("users", LockMode.ACCESS_EXCLUSIVE, "ALTER TABLE", node=None) == effect  # node: compare=False


def test_fast_init_refuses_what_it_cannot_copy():
    @dataclass(frozen=True, slots=True)
    class WithPostInit:
        x: int
        y: InitVar[int] = 0

        def __post_init__(self, y):
            pass

    @dataclass(frozen=True, slots=True)
    class NotInInit:
        x: int
        z: int = field(default=0, init=False)

    @dataclass(frozen=True)
    class NoSlots:
        x: int

    @dataclass(slots=True)
    class NotFrozen:
        x: int

    for cls in (WithPostInit, NotInInit, NoSlots, NotFrozen):
        with pytest.raises(TypeError):
            fast_init(cls)


def test_cached_property_computes_once_per_instance():
    calls = []

    class Thing:
        @cached_property
        def value(self):
            """The value."""
            calls.append(self)
            return len(calls)

    a, b = Thing(), Thing()
    assert (a.value, a.value, b.value) == (1, 1, 2)
    assert a.__dict__["value"] == 1 and Thing.value.__doc__ == "The value."
