"""``miglint locks --format json``: the lock report for scripts and bots.

Compatibility promise, as for :mod:`linter.formats.json`: fields are only ever added;
meanings never change (a change of meaning gets a new field or a new ``version``). One JSON
object, UTF-8, pretty-printed, ending in a newline::

    {
      "version": 1,
      "tool": {"name": "miglint", "version": "0.1.0"},
      "pg_version": 16,
      "files": [
        {
          "path": "db/migrations/V2__add_index.sql",
          "convention": "flyway", "direction": "up",
          "transaction": {"wrapped": true, "why": "Flyway runs each script in a transaction"},
          "error": null,
          "statements": [
            {
              "line": 3, "column": 1, "end_line": 3, "end_column": 40,
              "kind": "CREATE INDEX", "text": "CREATE INDEX users_email_idx ON users (email)",
              "nested": null, "nested_in": null, "section": "up",
              "in_transaction": true, "transaction": "Flyway runs each script in a transaction",
              "verdict": "blocks writes", "notes": [],
              "locks": [{"relation": "users", "mode": "SHARE", "what": "CREATE INDEX",
                         "rewrite": false, "scan": true, "blocks": "writes", "new_table": false}]
            }
          ]
        }
      ],
      "summary": {"files": 1, "statements": 1, "verdicts": {"blocks writes": 1}},
      "notes": []
    }

Fields: ``version`` (int, the layout version: 1); ``pg_version`` (the PostgreSQL major
version the lock facts are for); per file ``transaction.wrapped`` (``null`` when the file
could not be analysed) and ``error`` (why not: unreadable, does not parse); per statement
the span (1-based, half-open, columns in characters), ``kind`` (readable statement form),
``text`` (its first line, shortened), ``nested`` (``null`` for top-level statements, else
``"DO block at line 4"`` or ``"function f() at line 9, runs when called"``) and
``nested_in`` (``"do"``, ``"function"`` or ``null``), ``section`` (``up``, ``down`` …),
``in_transaction`` (``true``/``false``; ``null`` inside a function body, where the caller
decides) with ``transaction`` saying why, ``verdict`` (one of ``fails in a transaction``,
``rewrites table``, ``blocks reads and writes``, ``blocks writes``, ``locks rows``, ``new
table``, ``safe``), ``notes``, and per lock ``relation`` (as written), ``mode`` (as the
PostgreSQL docs name it), ``what``, ``rewrite``, ``scan``, ``blocks`` (``reads and
writes``, ``writes`` or ``no reads or writes``) and ``new_table`` (created earlier in the
file, so empty). ``summary.verdicts`` counts statements per verdict, worst first.
With ``miglint locks --verify``: ``server`` (the version the files were replayed on) and per
statement ``observed`` (the locks the server granted, ``"SHARE on public.t"``; ``null``
when not observed) and ``observed_note`` (a failure, a rewrite, or why not observed).
"""

from __future__ import annotations

from typing import Any

import orjson

from linter.lockreport import FileLocks, LockReport

#: Layout version of this format (the ``version`` field).
VERSION = 1


def _file(f: FileLocks, server: str = "") -> dict[str, Any]:
    return {
        "path": f.path,
        "convention": f.convention,
        "direction": f.direction,
        "transaction": {"wrapped": f.wrapped, "why": f.why},
        "error": f.error,
        "statements": [
            {
                "line": s.line,
                "column": s.column,
                "end_line": s.end_line,
                "end_column": s.end_column,
                "kind": s.kind,
                "text": s.text,
                "nested": s.nested,
                "nested_in": s.nested_in,
                "section": s.section,
                "in_transaction": s.in_transaction,
                "transaction": s.transaction,
                "verdict": s.verdict,
                "notes": list(s.notes),
                "locks": [
                    {"relation": lk.relation, "mode": lk.mode, "what": lk.what, "rewrite": lk.rewrite, "scan": lk.scan,
                     "blocks": lk.blocks, "new_table": lk.new_table}
                    for lk in s.locks
                ],
                **({"observed": None if s.observed is None else list(s.observed), "observed_note": s.observed_note}
                   if server else {}),
            }
            for s in f.statements
        ],
    }


def report_dict(report: LockReport) -> dict[str, Any]:
    """The report as the JSON document described in the module docstring."""
    return {
        "version": VERSION,
        "tool": {"name": "miglint", "version": report.tool_version},
        "pg_version": report.pg_version,
        "files": [_file(f, report.server) for f in report.files],
        **({"server": report.server} if report.server else {}),
        "summary": {"files": len(report.files), "statements": report.statements, "verdicts": dict(report.counts)},
        "notes": list(report.notes),
    }


def render(report: LockReport, *, color: bool = False) -> str:
    """The report as JSON text (``color`` is ignored)."""
    return orjson.dumps(report_dict(report), option=orjson.OPT_INDENT_2).decode("utf-8") + "\n"
