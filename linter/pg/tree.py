"""Walking pglast's JSON parse tree (dicts and lists, as ``parse_sql_json`` gives it)."""

from __future__ import annotations

from typing import Iterator


def nodes(tree, key: str, *, into: bool = False) -> Iterator[dict]:
    """Every value under ``key`` (a node type, e.g. ``"RangeVar"``, ``"ColumnRef"``) in a
    parse-tree fragment, depth first, the last child of a container first (a stack). The
    inside of a found node is not searched unless ``into`` is true (a ``FuncCall`` may hold
    another in its arguments; a ``RangeVar`` or ``ColumnRef`` holds none)."""
    stack = [tree]
    pop, push = stack.pop, stack.extend
    while stack:
        n = pop()
        if type(n) is dict:
            found = n.get(key)
            if found is not None:
                yield found
                if not into:
                    continue
            push([v for v in n.values() if type(v) is dict or type(v) is list])
        elif type(n) is list:
            push(n)
