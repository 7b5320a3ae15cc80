"""SQL style problems reported by sqlfluff (layout, capitalisation, aliasing …); opt-in.

## Why is this bad?
Consistent SQL is easier to review, and a migration is reviewed once and read for years.
This rule runs [sqlfluff](https://docs.sqlfluff.com/) with the `postgres` dialect over each
file and reports each of its violations as a finding whose message starts with sqlfluff's
code (`LT01`, `CP02` …). The repository's own `.sqlfluff` (or `setup.cfg`, `tox.ini`,
`pyproject.toml` `[tool.sqlfluff]`) is honoured, found from the migration's directory
upwards as sqlfluff itself does. Where sqlfluff's fix for a violation is a single edit,
the finding carries it as a fix.

sqlfluff is imported only when this rule is enabled: the default preset does not pay for
it. It is slow next to the rest of miglint (measured here: about 0.6 s per file on the
corpus's dbmate files, against about 0.1 ms for parsing), so it suits pull requests, which
lint only the changed files, better than whole-repository runs.
Install it with `pip install "miglint[style]"`. The rule is off by default; turn it on with
`--select style` or `rules: {sqlfluff-style: warning}`.

## Example
```sql
select a,b from Users
```

## Use instead
```sql
SELECT
    a,
    b
FROM users
```

## Options
- `dialect` (string, default `postgres`): sqlfluff dialect.
- `rules` (list of sqlfluff codes, default `[]` = sqlfluff's configuration): only these.
- `exclude-rules` (list of sqlfluff codes, default `[]`): never these.
- `parse-errors` (bool, default `false`): also report sqlfluff's own parse errors (`PRS`);
  off because miglint's `syntax-error` uses PostgreSQL's real grammar.

## References
- sqlfluff rules reference: https://docs.sqlfluff.com/en/stable/reference/rules.html
- sqlfluff configuration: https://docs.sqlfluff.com/en/stable/configuration/index.html
"""

import os
import re

ID = "sqlfluff-style"
FAMILY = "style"
SCOPE = "file"
DEFAULT_LEVEL = "disable"
OPTIONS = {"dialect": str, "rules": list, "exclude-rules": list, "parse-errors": bool}
DEFAULTS = {"dialect": "postgres", "rules": [], "exclude-rules": [], "parse-errors": False}
ALIASES = ("sqlfluff",)

_LINTERS: dict = {}


def _linter(directory: str, options: dict):
    key = (directory, options["dialect"], tuple(options["rules"]), tuple(options["exclude-rules"]))
    lin = _LINTERS.get(key)
    if lin is None:
        try:
            from sqlfluff.core import FluffConfig, Linter
        except ImportError:
            _LINTERS[key] = False
            return False
        overrides = {"dialect": options["dialect"]}
        if options["rules"]:
            overrides["rules"] = ",".join(options["rules"])
        if options["exclude-rules"]:
            overrides["exclude_rules"] = ",".join(options["exclude-rules"])
        cfg = FluffConfig.from_path(directory, overrides=overrides)
        lin = _LINTERS[key] = Linter(config=cfg)
    return lin


def check(ctx, options):
    if ctx.source is None:
        return
    lin = _linter(os.path.dirname(ctx.file.abspath) or ".", options)
    if lin is False:
        yield ctx.violation(
            None,
            "the sqlfluff rule is enabled but sqlfluff is not installed",
            help='Install it: pip install "miglint[style]".',
            context="sqlfluff-missing",
        )
        return
    text = ctx.source.text
    result = lin.lint_string(text, fname=ctx.file.abspath)
    for v in result.get_violations():
        d = v.to_dict()
        code = d.get("code", "")
        if code == "PRS" and not options["parse-errors"]:
            continue
        start = d.get("start_file_pos", 0)
        end = d.get("end_file_pos", start + 1)
        fix = None
        fixes = d.get("fixes") or []
        if len(fixes) == 1:
            e = fixes[0]
            kind = e.get("type")
            a, b = e.get("start_file_pos"), e.get("end_file_pos")
            if kind in ("replace", "delete") and a is not None and b is not None:
                fix = ctx.fix(a, b, e.get("edit", "") if kind == "replace" else "", f"sqlfluff {code}: apply its fix")
            elif kind in ("create_before", "create_after") and a is not None:
                fix = ctx.fix(a, a, e.get("edit", ""), f"sqlfluff {code}: apply its fix")
        if fix is not None and code == "LT05" and not _fits(text, fix, d.get("description", "")):
            fix = None  # its single edit leaves a line too long: applied, the finding stays
        name = d.get("name") or ""
        yield ctx.violation(
            ctx.span(start, max(end, start + 1)),
            f"{code}: {d.get('description', '')}",
            help=f"sqlfluff rule {code}{f' ({name})' if name else ''}; `sqlfluff fix` can apply fixes for the whole file.",
            fix=fix,
            context=f"{code}:{text[start:end]}",
            sqlfluff_code=code,
        )


_LIMIT = re.compile(r"\((\d+) > (\d+)\)")


def _fits(text: str, fix, description: str) -> bool:
    """Whether an LT05 (line too long: "Line is too long (87 > 80).") fix makes progress on
    the line it breaks: the part before the break within the limit, and every line it leaves
    shorter than the line was. sqlfluff's single edit sometimes moves the whole overlong
    text onto the next line (its finding then stays: a fix must remove the finding it is
    offered for); a break that leaves a shorter rest, which sqlfluff's next pass breaks
    again, is progress. ``True`` when the lengths cannot be read."""
    m = _LIMIT.search(description)
    if m is None:
        return True
    was, limit = int(m.group(1)), int(m.group(2))
    new = text[: fix.start] + fix.replacement + text[fix.end :]
    start = new.rfind("\n", 0, fix.start) + 1
    end = new.find("\n", fix.start + len(fix.replacement))
    lines = [line.rstrip("\r") for line in new[start : end if end >= 0 else len(new)].split("\n")]
    return len(lines[0]) <= limit and all(len(line) < was for line in lines)
