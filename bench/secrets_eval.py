#!/usr/bin/env python3
"""Precision and recall of the ``secrets`` rules on the labelled set in tests/fixtures/secrets.

The fixture files are migration and seed files of every convention miglint knows, with
fake secrets and near misses. They are **self-labelling templates**: a marker
``{{RULE:GENERATOR}}`` is replaced by a fake value and says which rule must report that
line; ``{{none:GENERATOR}}`` inserts a near miss that no rule may report; and
``{{RULE=literal text}}`` inserts the text as written and expects RULE on that line.
Everything else in the files is plain SQL, and any finding on it is a false positive.

The fake keys are generated here, from a fixed seed, when the set is materialised into a
temporary directory, so the repository holds no string that secret scanners (GitHub push
protection, detect-secrets, gitleaks) would take for a live credential.

Each top-level folder of the set is linted as a repository of its own, with its
``.miglint.yml`` if it has one, every ``secrets`` rule selected, by the real engine. A
finding counts as a true positive when a label has the same file, line and rule.

Usage: ``python bench/secrets_eval.py [--fixtures DIR] [--show]`` prints precision and
recall per rule and recall per generator; ``--show`` lists every false positive and
false negative. ``tests/test_secrets_eval.py`` runs :func:`evaluate` and keeps the figures
from dropping.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import random
import re
import string
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

FIXTURES = REPO / "tests" / "fixtures" / "secrets"
RULES = ("plaintext-password", "password-hash-in-seed-data", "secret-key-in-migration", "high-entropy-secret")
MARKER = re.compile(r"\{\{([a-z-]+)([:=])(.*?)\}\}", re.S)

ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
CRYPT64 = "./" + ALNUM
HEX = "0123456789abcdef"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt(rng: random.Random, payload: dict) -> str:
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(payload, separators=(",", ":")).encode())
    return f"{header}.{body}.{_b64url(rng.randbytes(32))}"


def _pick(rng: random.Random, chars: str, n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def _mixed(rng: random.Random, chars: str, n: int) -> str:
    """``n`` characters of ``chars`` with at least one digit, one capital and one small letter."""
    while True:
        s = _pick(rng, chars, n)
        if any(c.isdigit() for c in s) and any(c.isupper() for c in s) and any(c.islower() for c in s):
            return s


def _private_key(rng: random.Random) -> str:
    body = base64.b64encode(rng.randbytes(600)).decode()
    lines = "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN RSA PRIVATE KEY-----\n{lines}\n-----END RSA PRIVATE KEY-----"


#: generator name -> function(rng) -> fake value
GENERATORS = {
    # provider keys (secret-key-in-migration)
    "aws-access-key": lambda r: "AKIA" + _pick(r, string.ascii_uppercase + "234567", 16),
    "github-token": lambda r: "ghp_" + _mixed(r, ALNUM, 36),
    "gitlab-token": lambda r: "glpat-" + _mixed(r, ALNUM + "_-", 20),
    "slack-token": lambda r: f"xoxb-{r.randint(10**10, 10**11)}-{r.randint(10**12, 10**13)}-{_pick(r, ALNUM, 24)}",
    "stripe-live-key": lambda r: "sk_live_" + _mixed(r, ALNUM, 24),
    "google-api-key": lambda r: "AIza" + _mixed(r, ALNUM + "_-", 35),
    "sendgrid-key": lambda r: "SG." + _mixed(r, B64URL, 22) + "." + _mixed(r, B64URL, 43),
    "openai-key": lambda r: "sk-" + _mixed(r, ALNUM, 20) + "T3BlbkFJ" + _mixed(r, ALNUM, 20),
    "twilio-key": lambda r: "SK" + _pick(r, HEX, 32),
    "private-key": _private_key,
    "supabase-service-jwt": lambda r: _jwt(r, {"iss": "supabase", "ref": _pick(r, string.ascii_lowercase, 20), "role": "service_role", "iat": 1700000000, "exp": 2000000000}),
    "app-jwt": lambda r: _jwt(r, {"sub": str(r.randint(1, 10**6)), "role": "admin", "iat": 1700000000}),
    "postgres-url": lambda r: f"postgresql://app_user:{_mixed(r, ALNUM, 18)}@db.internal.example:5432/app",
    "libpq-string": lambda r: f"host=replica.internal port=5432 dbname=app user=etl password={_mixed(r, ALNUM, 16)}",
    # password hashes (password-hash-in-seed-data)
    "bcrypt": lambda r: "$2b$12$" + _pick(r, CRYPT64, 53),
    "argon2": lambda r: "$argon2id$v=19$m=65536,t=3,p=4$" + _pick(r, B64, 22) + "$" + _pick(r, B64, 43),
    "pbkdf2-django": lambda r: f"pbkdf2_sha256$600000${_pick(r, ALNUM, 22)}${base64.b64encode(r.randbytes(32)).decode()}",
    "sha512-crypt": lambda r: "$6$" + _pick(r, CRYPT64, 16) + "$" + _pick(r, CRYPT64, 86),
    "md5-role": lambda r: "md5" + _pick(r, HEX, 32),
    "scram-role": lambda r: f"SCRAM-SHA-256$4096:{base64.b64encode(r.randbytes(16)).decode()}${base64.b64encode(r.randbytes(32)).decode()}:{base64.b64encode(r.randbytes(32)).decode()}",
    "sha1-digest": lambda r: hashlib.sha1(r.randbytes(8)).hexdigest(),
    # random tokens (high-entropy-secret)
    "hex-token": lambda r: _pick(r, HEX, 40),
    "base64-token": lambda r: _mixed(r, B64URL, 32),
    "aws-secret-key": lambda r: _mixed(r, B64, 40),
    "base32-totp": lambda r: _pick(r, string.ascii_uppercase + "234567", 32),
    # near misses
    "uuid": lambda r: "%08x-%04x-4%03x-a%03x-%012x" % (r.getrandbits(32), r.getrandbits(16), r.getrandbits(12), r.getrandbits(12), r.getrandbits(48)),
    "git-sha": lambda r: hashlib.sha1(r.randbytes(20)).hexdigest(),
    "sha256-of-file": lambda r: hashlib.sha256(b"lorem ipsum dolor sit amet").hexdigest(),
    "base64-png": lambda r: "data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n\x1a\n" + r.randbytes(90)).decode(),
    "supabase-anon-jwt": lambda r: _jwt(r, {"iss": "supabase", "ref": _pick(r, string.ascii_lowercase, 20), "role": "anon", "iat": 1700000000, "exp": 2000000000}),
}


def materialise(fixtures: Path, target: Path, seed: int = 5) -> list[tuple[str, int, str, str]]:
    """Write the fixture set to ``target`` with every marker replaced; return the labels
    ``(path relative to target, line, rule, generator or "literal")``."""
    rng = random.Random(seed)
    labels = []
    for src in sorted(fixtures.rglob("*")):
        if src.is_dir():
            continue
        rel = src.relative_to(fixtures).as_posix()
        if rel == "README.md":
            continue
        text = src.read_text(encoding="utf-8")
        out, pos, line = [], 0, 1
        for m in MARKER.finditer(text):
            before = text[pos : m.start()]
            out.append(before)
            line += before.count("\n")
            rule, how, arg = m.groups()
            value = GENERATORS[arg](rng) if how == ":" else arg
            if rule != "none":
                if rule not in RULES:
                    raise ValueError(f"{rel}: unknown rule {rule!r} in a marker")
                labels.append((rel, line, rule, arg if how == ":" else "literal"))
            out.append(value)
            line += value.count("\n")
            pos = m.end()
        out.append(text[pos:])
        dest = target / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text("".join(out), encoding="utf-8")
    return labels


def lint_set(target: Path) -> list[tuple[str, int, str, object]]:
    """Lint each top-level folder of ``target`` as its own repository; ``(path relative to
    target, line, rule, finding)`` for every finding of the secrets family."""
    from linter import config as configmod, engine
    from linter.discovery import discover

    found_all = []
    for repo in sorted(p for p in target.iterdir() if p.is_dir()):
        cwd = os.getcwd()
        os.chdir(repo)
        try:
            cfg = configmod.load(None, cwd=repo).select(["secrets"], [])
            found = discover(["."], base_dir=str(repo), roots=cfg.roots, seeds=cfg.seeds, exclude=cfg.exclude)
            report = engine.lint(found.files, cfg, jobs=1)
        finally:
            os.chdir(cwd)
        for f in report.findings:
            found_all.append((f"{repo.name}/{f.path}", f.line, f.rule_id, f))
    return found_all


def evaluate(fixtures: Path = FIXTURES) -> dict:
    """Materialise, lint and score the set. Returns ``{"rules": {rule: {tp, fp, fn,
    precision, recall}}, "generators": {name: {found, total, recall}}, "overall": {...},
    "false_positives": [...], "false_negatives": [...], "files": n}``."""
    with tempfile.TemporaryDirectory(prefix="miglint-secrets-") as tmp:
        target = Path(tmp)
        labels = materialise(fixtures, target)
        findings = lint_set(target)
        files = sum(1 for p in target.rglob("*.sql"))
    want = defaultdict(list)
    for rel, line, rule, gen in labels:
        want[(rel, line, rule)].append(gen)
    got = {(rel, line, rule): f for rel, line, rule, f in findings}
    rules = {r: {"tp": 0, "fp": 0, "fn": 0} for r in RULES}
    gens: dict = defaultdict(lambda: {"found": 0, "total": 0})
    fps, fns = [], []
    for key, f in got.items():
        if key in want:
            rules[key[2]]["tp"] += 1
        else:
            rules[key[2]]["fp"] += 1
            fps.append((*key, f.message))
    for key, gen_list in want.items():
        for gen in gen_list:
            gens[gen]["total"] += 1
            if key in got:
                gens[gen]["found"] += 1
        if key not in got:
            rules[key[2]]["fn"] += 1
            fns.append((*key, ",".join(gen_list)))
    for r in rules.values():
        r["precision"] = r["tp"] / (r["tp"] + r["fp"]) if r["tp"] + r["fp"] else 1.0
        r["recall"] = r["tp"] / (r["tp"] + r["fn"]) if r["tp"] + r["fn"] else 1.0
    for g in gens.values():
        g["recall"] = g["found"] / g["total"]
    tp = sum(r["tp"] for r in rules.values())
    fp = sum(r["fp"] for r in rules.values())
    fn = sum(r["fn"] for r in rules.values())
    overall = {"tp": tp, "fp": fp, "fn": fn, "precision": tp / (tp + fp) if tp + fp else 1.0, "recall": tp / (tp + fn) if tp + fn else 1.0}
    return {"rules": rules, "generators": dict(gens), "overall": overall, "false_positives": sorted(fps), "false_negatives": sorted(fns), "files": files}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fixtures", type=Path, default=FIXTURES)
    ap.add_argument("--show", action="store_true", help="list false positives and false negatives")
    args = ap.parse_args(argv)
    res = evaluate(args.fixtures)
    print(f"labelled set: {args.fixtures.relative_to(REPO) if args.fixtures.is_relative_to(REPO) else args.fixtures} ({res['files']} SQL files)\n")
    print(f"{'rule':28} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>10} {'recall':>8}")
    for rule, r in res["rules"].items():
        print(f"{rule:28} {r['tp']:>4} {r['fp']:>4} {r['fn']:>4} {r['precision']:>10.3f} {r['recall']:>8.3f}")
    o = res["overall"]
    print(f"{'all':28} {o['tp']:>4} {o['fp']:>4} {o['fn']:>4} {o['precision']:>10.3f} {o['recall']:>8.3f}\n")
    print(f"{'kind (generator)':28} {'found':>6} {'recall':>8}")
    for name, g in sorted(res["generators"].items()):
        print(f"{name:28} {g['found']:>3}/{g['total']:<2} {g['recall']:>8.3f}")
    if args.show:
        for title, rows in (("false positives", res["false_positives"]), ("false negatives", res["false_negatives"])):
            print(f"\n{title}:")
            for row in rows:
                print("  " + " ".join(str(x) for x in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
