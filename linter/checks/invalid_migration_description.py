"""The migration's description breaks the team's description rules.

## Why is this bad?
The description is what reviewers, `flyway info` and `schema_migrations` tables show; a
consistent one says what a migration does before anyone opens it. Standard 001 ("Migration
naming conventions") asks for descriptions that are:

1. lowercase with underscores (`add_user_email_index`, not `AddUserEmailIndex`);
2. started by an action verb: `add_`, `create_`, `alter_`, `drop_`, `fix_`, `migrate_`,
   `partition_`, `index_`, `constraint_`, `security_`;
3. at most 50 characters;
4. not written as SQL: `CREATE_TABLE_users`, `create-indexes` read like statements, not
   like a change (an SQL command followed by an object type: `create_table`,
   `drop_index`, `insert_into`, `delete_from`, `truncate`...).

Each rule is an option; all but the case rule are off unless a preset turns them on. This
rule is opt-in (the `flyway-dated` preset enables it). Parts matching `exempt` patterns
are removed first, so `EMERGENCY_fix_x_INC12345` can keep its marker and ticket.

## Example
```text
db/migration/V2025.10.31.001__CREATE_TABLE_users.sql
```

## Use instead
```text
db/migration/V2025.10.31.001__create_user_profile_table.sql
```

## Options
- `case` (str, default `lower-snake`): `lower-snake` (`[a-z0-9_]` only) or `any`.
- `verbs` (list, default `[]`): words a description must start with; empty: any.
- `max-length` (int, default `0`): longest description in characters; `0`: no limit.
- `forbid-sql` (bool, default `true`): report descriptions that start like an SQL
  statement (`create_table_...`, `alter_table_...`, `insert_into_...`).
- `exempt` (list, default `[]`): regular expressions whose matches are removed from the
  description before checking (e.g. `^EMERGENCY_`, `_?INC\\d+`).

## References
- Standard 001, "Migration naming conventions" and "Emergency migration procedure"
- Flyway, naming: https://documentation.red-gate.com/fd/migrations-184127470.html
"""

from __future__ import annotations

import re

from linter.model import Convention, Direction

ID = "invalid-migration-description"
FAMILY = "naming"
SCOPE = "file"
DEFAULT_LEVEL = "disable"
OPTIONS = {"case": str, "verbs": list, "max-length": int, "forbid-sql": bool, "exempt": list}
DEFAULTS = {"case": "lower-snake", "verbs": [], "max-length": 0, "forbid-sql": True, "exempt": []}
ALIASES = ()

_SNAKE = re.compile(r"^[a-z0-9_]+$")
_COMMANDS = {"create", "alter", "drop", "truncate", "insert", "delete", "update", "select", "grant", "revoke"}
_OBJECTS = {
    "table", "tables", "index", "indexes", "indices", "view", "views", "type", "types", "schema", "function",
    "functions", "trigger", "triggers", "sequence", "column", "columns", "constraint", "constraints", "extension",
    "policy", "policies", "role", "into", "from", "materialized", "unique", "or",
}


def check(ctx, options):
    f = ctx.file
    if f.direction not in (Direction.UP, Direction.REPEATABLE) or not f.description or f.convention is Convention.SYNAPSE:
        return
    desc = f.description
    for pattern in options["exempt"]:
        try:
            desc = re.sub(str(pattern), "", desc)
        except re.error:
            continue
    desc = desc.strip("_")
    problems = []
    if options["case"] == "lower-snake" and not _SNAKE.match(desc):
        problems.append("is not lowercase with underscores")
    words = [w for w in re.split(r"[_\-\s.]+", desc) if w]
    verbs = [str(v).rstrip("_").lower() for v in options["verbs"]]
    if verbs and (not words or words[0].lower() not in verbs):
        problems.append(f"does not start with an action verb ({', '.join(v + '_' for v in verbs)})")
    limit = options["max-length"]
    if limit and len(f.description) > limit:
        problems.append(f"is {len(f.description)} characters long (at most {limit})")
    if options["forbid-sql"] and len(words) >= 1:
        low = [w.lower() for w in words]
        if low[0] in ("truncate", "select") or (len(low) >= 2 and low[0] in _COMMANDS and low[1] in _OBJECTS):
            problems.append(f"reads like an SQL statement ({' '.join(w.upper() for w in words[:2])})")
    if problems:
        yield ctx.violation(None, f'description "{f.description}" ' + "; ".join(problems),
                            help="Describe the change in lowercase words joined by underscores, starting with what it does: "
                                 "add_user_email_index, create_payment_reconciliation_table.")

#: Options the docstring's Example and Use instead are checked with (tests/test_cases.py).
EXAMPLE_OPTIONS = {"verbs": ["add", "create", "alter", "drop", "fix"], "max-length": 50}
