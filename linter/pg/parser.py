"""libpg_query's entry points, and the decoding of their JSON, at the start-up cost a run needs.

miglint calls three functions of ``pglast.parser`` (pglast's Cython extension around
libpg_query): ``parse_sql_json``, ``parse_plpgsql_json`` and ``scan`` (plus ``ParseError``).
Importing it the usual way costs about a third of a one-file run, for modules miglint never
uses: ``pglast/__init__.py`` imports ``pglast.enums`` (ten modules of enum classes), and the
extension's own initialisation runs ``from . import ast, enums`` (``parser.pyx`` includes
``ast.pyx``, whose module level imports both; pglast v7/v8). Nothing at the extension's
module level *uses* them: only ``parse_sql``, which builds ``pglast.ast`` node objects,
does. So before the first import, :data:`pg` puts a stand-in module for each in
``sys.modules`` (:class:`_OnDemand`): it imports the real module the first time one of its
attributes is read (by pglast's ``parse_sql``, or by code that imports ``pglast.enums``
itself, such as a test), and from then on behaves as it. When ``pglast`` was already
imported, nothing is replaced.

:func:`loads` decodes the JSON those functions return: with the standard library's ``json``
until a run has decoded :data:`FAST_JSON_AFTER` characters, then with ``orjson``, which
decodes about 1.6 times as fast but costs ~10 ms to import (a lint of one file or of a
pull request's files never needs it; the engine switches at once for a run with worker
processes, :func:`prefer_fast_json`). Both give the same Python values for this JSON.
"""

from __future__ import annotations

import importlib
import json
import sys
import types


class _OnDemand(types.ModuleType):
    """A stand-in for a pglast module: the first attribute read imports the real module
    (replacing the stand-in in ``sys.modules``) and copies its namespace here, so that
    references taken to the stand-in keep working."""

    def __getattr__(self, attr: str):
        name = self.__name__
        if sys.modules.get(name) is self:
            del sys.modules[name]
        real = importlib.import_module(name)
        self.__dict__.update({k: v for k, v in real.__dict__.items() if k not in ("__name__", "__spec__")})
        return getattr(real, attr)


def _import_parser() -> types.ModuleType:
    if "pglast" not in sys.modules:
        for name in ("pglast.ast", "pglast.enums"):
            sys.modules.setdefault(name, _OnDemand(name))
    from pglast import parser

    return parser


#: ``pglast.parser``, imported without ``pglast.ast`` and ``pglast.enums`` (module docstring).
pg = _import_parser()

#: Characters of JSON decoded with ``json`` before :func:`loads` switches to ``orjson``
#: (about 1 MB: ~3 ms more than orjson would take, less than its import).
FAST_JSON_AFTER = 1_000_000
_decoded = 0
_fast = None


def prefer_fast_json() -> None:
    """Decode with ``orjson`` from now on (a large run: the engine calls this before
    forking workers, so that they share the imported module)."""
    global _fast
    if _fast is None:
        import orjson

        _fast = orjson.loads


def loads(text: str | bytes):
    """The Python value of the JSON ``text`` (from ``parse_sql_json`` / ``parse_plpgsql_json``);
    raises ``ValueError`` for invalid JSON."""
    global _decoded
    if _fast is not None:
        return _fast(text)
    _decoded += len(text)
    if _decoded > FAST_JSON_AFTER:
        prefer_fast_json()
    return json.loads(text)
