"""model.Record and model.cached_property: same behaviour as what they replace."""

from __future__ import annotations

import dataclasses
import pickle

import pytest

from linter.model import Finding, Fix, Position, Severity, Span, Violation, cached_property
from linter.pg.locks import LockEffect, LockMode


def test_records_keep_signature_defaults_and_factories():
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


def test_records_compare_hash_order_and_pickle_as_before():
    assert Position(1, 2) < Position(1, 3) and hash(Position(1, 2)) == hash(Position(1, 2))
    span = Span.at(2, 1, 2, 5)
    fix = Fix(span, 10, 14, "text", "Replace")
    f = Finding("r", "locking", Severity.ERROR, "a.sql", span, "m", None, "https://x", "0" * 16, fix)
    assert pickle.loads(pickle.dumps(f)) == f
    effect = LockEffect("users", LockMode.ACCESS_EXCLUSIVE, "ALTER TABLE", node={"relname": "users"})
    assert pickle.loads(pickle.dumps(effect)) == effect and effect.rewrite is False and effect.scan is False
    assert LockEffect("users", LockMode.ACCESS_EXCLUSIVE, "ALTER TABLE", node=None) == effect  # node: compare=False


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


def _record_classes():
    """Every :class:`linter.model.Record` subclass of the modules a lint imports."""
    import importlib

    from linter.model import Record

    for mod in ("linter.engine", "linter.config", "linter.discovery", "linter.pg.session", "linter.pg.dynamic",
                "linter.pg.idempotency", "linter.pg.columns", "linter.pg.tokens", "linter.pg.transactions",
                "linter.migset.rollback", "linter.migset.history", "linter.migset.manifest", "linter.migset.pairs"):
        importlib.import_module(mod)
    todo, out = [Record], []
    while todo:
        for sub in todo.pop().__subclasses__():
            out.append(sub)
            todo.append(sub)
    return out


def test_records_declare_the_fields_their_init_takes():
    """Each Record's class annotations name exactly its __init__ parameters, in order, and
    a slotted one has a slot per field (the annotations are its documentation)."""
    classes = _record_classes()
    assert len(classes) >= 38
    for cls in classes:
        assert tuple(cls.__dict__.get("__annotations__", {})) == cls._fields, cls
        if "__slots__" in cls.__dict__:
            assert tuple(cls.__slots__) == cls._fields, cls


def test_records_work_with_the_dataclasses_functions():
    classes = {c.__name__: c for c in _record_classes()}
    span = Span.at(1, 2, 1, 5)
    v = Violation(span, "m", properties={"k": 1}, build=len)
    assert dataclasses.is_dataclass(v) and dataclasses.is_dataclass(Violation)
    assert [f.name for f in dataclasses.fields(v)] == list(Violation._fields)
    assert {f.name for f in dataclasses.fields(Violation) if not f.compare} == {"properties", "once", "fold", "build"}
    assert dataclasses.fields(Span)[0].default is dataclasses.MISSING and dataclasses.fields(Violation)[2].default is None
    assert dataclasses.asdict(span) == {"start": {"line": 1, "column": 2}, "end": {"line": 1, "column": 5}}
    r = dataclasses.replace(v, message="other")
    assert (r.message, r.properties, r.build, r.span) == ("other", {"k": 1}, len, span)
    from linter.config import Config

    cfg = Config(roots=["db"])
    assert dataclasses.replace(cfg, pg_version=13).roots == ["db"] and dataclasses.replace(cfg, pg_version=13).pg_version == 13
    assert Config().seeds == ["**/seeds/**/*.sql", "**/seed/**/*.sql"] and Config().seeds is not Config().seeds
    assert "Held" in classes and "Rule" in classes


def test_records_compare_hash_and_show_as_the_dataclasses_they_replace():
    from linter.model import Report, replace
    from linter.pg.session import Session, Setting, Step

    span = Span.at(2, 1)
    assert repr(Position(1, 2)) == "Position(line=1, column=2)"
    assert repr(Violation(span, "m", build=len)) == (
        "Violation(span=Span(start=Position(line=2, column=1), end=Position(line=2, column=2)), message='m', help=None, "
        "fix=None, context='', redacted=False, properties={}, once=None, fold=None)")  # build: repr=False
    assert Violation(span, "m", properties={"a": 1}, once=1) == Violation(span, "m")  # not compared
    assert hash(Violation(span, "m", properties={"a": 1})) == hash(Violation(span, "m"))
    assert Violation(span, "m") != Violation(span, "n") and Violation(span, "m") != (span, "m")
    assert sorted([Position(2, 1), Position(1, 9), Position(1, 2)]) == [Position(1, 2), Position(1, 9), Position(2, 1)]
    assert Position(1, 2) <= Position(1, 2) and Position(2, 1) > Position(1, 9) and Position(2, 1) >= Position(2, 1)
    with pytest.raises(TypeError):
        Position(1, 2) < (1, 3)
    s = Setting("lock_timeout", "1s", None)
    assert (s.local, s.off) == (False, False) and hash(s) == hash(Setting("lock_timeout", "1s", None))
    with pytest.raises(dataclasses.FrozenInstanceError):
        del s.value
    # plain (not frozen) ones: mutable, compared by value, unhashable
    report = Report([], [], [])
    report.notes.append("x")
    assert report == Report([], [], [], notes=["x"]) and Report([], [], []).notes == []
    with pytest.raises(TypeError):
        hash(report)
    sess = Session()
    sess.steps.append(1)
    assert Session().steps == [] and sess != Session()
    step = Step(None, 0, 0, None, {}, [], 0, [], [], [], [], 0, [], None)
    step.tx = 3
    assert step.tx == 3 and not hasattr(step, "__dict__")
    assert replace(s, off=True).off is True and replace(report, tool_version="1").notes == ["x"]
    with pytest.raises(TypeError):
        replace(s, nope=1)


def test_frozen_records_pickle_and_copy():
    import copy

    from linter.model import Convention, Direction, MigrationFile
    from linter.pg.session import Held, Setting

    mf = MigrationFile("db/1_a.up.sql", "/x/db/1_a.up.sql", "db", Convention.GOLANG_MIGRATE, Direction.UP, "1", (1,),
                       "a", "1_a", options=(("k", True),))
    held = Held(LockEffect("t", LockMode.SHARE, "CREATE INDEX"), "stmt", False)
    for obj in (mf, held, Setting("x", "1", None, True), Span.at(1, 1)):
        assert pickle.loads(pickle.dumps(obj)) == obj
        assert copy.copy(obj) == obj and copy.deepcopy(obj) == obj


def test_each_record_init_stores_each_argument_in_its_own_field():
    """Every Record's __init__ (the frozen slotted ones store through ``self._setters`` by
    index) puts argument i in field i: distinct values in, the same values out."""
    for cls in _record_classes():
        values = [object() for _ in cls._fields]
        obj = cls(*values)
        got = [getattr(obj, f) for f in cls._fields]
        assert [a is b for a, b in zip(got, values)] == [True] * len(values), cls
        if cls._setters:
            assert len(cls._setters) == len(cls._fields) == len(cls.__slots__), cls
