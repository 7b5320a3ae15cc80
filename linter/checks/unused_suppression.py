"""An ignore comment suppresses nothing.

## Why is this bad?
A suppression that no longer matches a finding is dead weight that hides the next real
problem on that statement. It usually means the statement was fixed, or the comment is on
the wrong line (it applies to the *next* statement, or to its own when written after the
code). Rules that are disabled for the file are not judged: the comment may be waiting for
them. Other linters' comments (squawk's, Atlas's `atlas:nolint`, diesel-guard's
`safety-assured` blocks) are not judged either: they are for that tool.

## Example
```sql
-- miglint: ignore syntax-error
CREATE TABLE users (id bigint);
```

## Use instead
```sql
CREATE TABLE users (id bigint);
```

## Options
None.

## References
- ruff's `unused-noqa` (RUF100): https://docs.astral.sh/ruff/rules/unused-noqa/
- squawk, "Ignoring rules": https://squawkhq.com/docs/ignoring-rules
"""

ID = "unused-suppression"
FAMILY = "syntax"
SCOPE = "file"
DEFAULT_LEVEL = "warning"
OPTIONS: dict = {}
DEFAULTS: dict = {}
ALIASES = ()


def check(ctx, options):
    enabled = set(ctx.config.settings_for(ctx.file.path))
    for s in ctx.suppressions:
        if s.squawk or s.foreign:  # another tool's comment: its codes are that tool's
            continue
        if not s.names:
            if s.whole_file and not s.used:
                yield ctx.violation(ctx.span(s.start, s.end), "`ignore-file` suppresses nothing in this file", help="Remove the comment.", context="ignore-file:*")
            continue
        for name, offset, rid in s.names:
            if rid is None or rid in s.used or rid not in enabled:
                continue
            where = "in this file" if s.whole_file else "on the statement it applies to"
            yield ctx.violation(
                ctx.span(offset, offset + len(name)),
                f"`{name}` is ignored but reports nothing {where}",
                help="Remove it from the comment (an ignore applies to the next statement, or to its own when written after the code).",
                context=f"unused:{rid}",
            )
