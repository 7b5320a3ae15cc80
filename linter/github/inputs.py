"""The options of one ``miglint github`` run: a flag, else the action input
(``INPUT_<NAME>``, :meth:`linter.github.context.ActionContext.input`), else the default.
Bad values raise :class:`linter.github.context.ContextError` naming the input."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from linter.github import context as ctxmod
from linter.github.command import INLINE_LEVELS, MAX_COMMENTS, MODES


@dataclass
class Options:
    paths: list[str]
    config: str | None
    preset: str | None
    pg_version: int | None
    fail_on: str | None
    select: list[str]
    ignore: list[str]
    base: str | None
    comment_mode: str
    sarif_file: str | None
    check_run: bool
    max_comments: int
    inline_level: str
    all_files: bool
    diff_source: str
    save_bundle: str | None
    bundle: str | None
    bot_login: str | None = None
    #: ``miglint verify`` too (:mod:`linter.github.verifying`)
    verify: bool = False
    database_url: str | None = None
    database_is_throwaway: bool = False


def _split_list(value: str) -> list[str]:
    return [part for chunk in value.replace(",", " ").split() for part in [chunk.strip()] if part]


def _bool(value: str, name: str) -> bool:
    v = value.strip().lower()
    if v in ("", "false", "0", "no", "off"):
        return False
    if v in ("true", "1", "yes", "on"):
        return True
    raise ctxmod.ContextError(f"input {name}: expected true or false, got {value!r}")


def _choice(value: str, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ctxmod.ContextError(f"input {name}: expected one of {', '.join(allowed)}, got {value!r}")
    return value


def options(args: argparse.Namespace, ctx: ctxmod.ActionContext) -> Options:
    """Flags, else action inputs, else defaults."""

    def pick(flag, name: str) -> str:
        return flag if flag not in (None, [], "") else ctx.input(name)

    pg = args.pg_version
    if pg is None and ctx.input("pg-version"):
        try:
            pg = int(ctx.input("pg-version"))
        except ValueError:
            raise ctxmod.ContextError(f"input pg-version: not a number: {ctx.input('pg-version')!r}") from None
    fail_on = pick(args.fail_on, "fail-on") or None
    if fail_on and fail_on not in ("error", "warning", "note", "never"):
        raise ctxmod.ContextError(f"input fail-on: expected error, warning, note or never, got {fail_on!r}")
    mode = pick(args.comment_mode, "comment-mode") or "review"
    if mode not in MODES:
        raise ctxmod.ContextError(f"input comment-mode: expected one of {', '.join(MODES)}, got {mode!r}")
    max_comments = args.max_comments
    if max_comments is None:
        raw = ctx.input("max-comments")
        try:
            max_comments = int(raw) if raw else MAX_COMMENTS
        except ValueError:
            raise ctxmod.ContextError(f"input max-comments: not a number: {raw!r}") from None
    if max_comments < 0:
        raise ctxmod.ContextError("max-comments must be 0 or more")
    return Options(
        paths=list(args.paths) or _split_list(ctx.input("paths")),
        config=pick(args.config, "config") or None,
        preset=pick(args.preset, "preset") or None,
        pg_version=pg,
        fail_on=fail_on,
        select=list(args.select or []) or _split_list(ctx.input("select")),
        ignore=list(args.ignore or []) or _split_list(ctx.input("ignore")),
        base=pick(args.base, "base-ref") or ctx.input("base") or None,
        comment_mode=mode,
        sarif_file=pick(args.sarif_file, "sarif-file") or None,
        check_run=_bool(pick(args.check_run, "check-run"), "check-run"),
        max_comments=max_comments,
        inline_level=_choice(pick(args.inline_level, "inline-level") or "warning", "inline-level", INLINE_LEVELS),
        all_files=_bool(pick(args.all_files, "all-files"), "all-files"),
        diff_source=_choice(pick(args.diff_source, "diff-source") or "auto", "diff-source", ("auto", "api", "git")),
        save_bundle=pick(args.save_bundle, "save-bundle") or None,
        bundle=pick(args.bundle, "bundle") or None,
        bot_login=pick(getattr(args, "bot_login", None), "bot-login") or None,
        verify=_bool(pick(getattr(args, "verify", None), "verify"), "verify"),
        database_url=pick(getattr(args, "database_url", None), "database-url") or None,
        database_is_throwaway=_bool(pick(getattr(args, "database_is_throwaway", None), "database-is-throwaway"), "database-is-throwaway"),
    )
