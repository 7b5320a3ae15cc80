"""The secrets family end to end: no secret reaches any output, stable fingerprints,
baselines, lazy detect-secrets, and the pure helpers of linter/sensitive."""

from __future__ import annotations

import importlib.util
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from linter.cli import main
from linter.formats import NAMES
from linter.sensitive import keys, names, values

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench" / "secrets_eval.py"


def _generators():
    spec = importlib.util.spec_from_file_location("secrets_eval", BENCH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.GENERATORS


def _secret_tree(root: Path, seed: int = 11) -> list[str]:
    """A small repository full of secrets; returns the secret parts that must never be shown."""
    gen, rng = _generators(), random.Random(seed)
    s = {name: gen[name](rng) for name in ("aws-access-key", "github-token", "stripe-live-key", "private-key",
                                           "supabase-service-jwt", "bcrypt", "argon2", "md5-role", "hex-token",
                                           "base64-token", "slack-token", "google-api-key")}
    pw = {"insert": "Ins3rt!Pw0rd-a", "role": "R0le-Pass-b!", "comment": "Welcome2024!c", "copy": "C0py-Row-pw-d",
          "url": "Url-Pw-9e8f7", "json": "Js0n-Pa55-f", "syntax": "Synt4x-Err-pw"}
    files = {
        "db/migrations/V1__users.sql": (
            f"INSERT INTO users (email, password, password_hash) VALUES ('a@acme.test', '{pw['insert']}', '{s['bcrypt']}');\n"
            f"CREATE ROLE app LOGIN PASSWORD '{pw['role']}';\n"
            f"CREATE ROLE legacy LOGIN PASSWORD '{s['md5-role']}';\n"
            f"-- admin password: {pw['comment']}\n"
            f"INSERT INTO integrations (provider, api_key, webhook_secret) VALUES ('github', '{s['github-token']}', '{s['base64-token']}');\n"
            f"INSERT INTO settings (key, value) VALUES ('stripe_key', '{s['stripe-live-key']}'), ('slack', '{s['slack-token']}');\n"
            f"INSERT INTO keys (pem) VALUES ('{s['private-key']}');\n"
            f"SELECT net.http_post(url := 'https://x.supabase.co/f', headers := jsonb_build_object('Authorization', 'Bearer {s['supabase-service-jwt']}'));\n"
            f"INSERT INTO targets (dsn, config) VALUES ('postgresql://etl:{pw['url']}@warehouse.internal/dw', '{{\"db\": {{\"password\": \"{pw['json']}\"}}}}');\n"
            f"ALTER DATABASE app SET app.jwt_secret TO '{s['hex-token']}';\n"
            f"-- the maps key {s['google-api-key']}\n"
        ),
        "db/seeds/production.sql": (
            "COPY public.accounts (id, login, password, pw_hash) FROM stdin;\n"
            f"1\troot\t{pw['copy']}\t{s['argon2']}\n"
            "\\.\n"
        ),
        # a file that does not parse, with secrets on the line the parser complains about
        "db/migrations/V2__broken.sql": f"SELECT '{s['aws-access-key']}' 'x{pw['syntax']}';\nINSERT INTO users (password) VALUES ('{pw['syntax']}'\n",
    }
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text, encoding="utf-8")
    cores = [v.split("\n", 1)[1].rsplit("\n", 1)[0] if v.startswith("-----BEGIN") else v for v in s.values()]
    return cores + list(pw.values())


def _assert_no_secret(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{where}: a secret is shown"
        # nor any 9-character piece of it (previews show at most the first 4 characters)
        for i in range(0, len(secret) - 8):
            piece = secret[i : i + 9]
            assert piece not in text, f"{where}: part of a secret is shown ({i})"


def _cli(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, NO_COLOR="")
    return subprocess.run([sys.executable, "-m", "linter", *args], cwd=cwd, capture_output=True, text=True, env=env, check=False)


def test_no_secret_reaches_any_output_format(tmp_path):
    secrets = _secret_tree(tmp_path)
    seen_rules = set()
    for fmt in NAMES:
        r = _cli(["lint", "db", "--format", fmt, "--fail-on", "never", "--color", "always"], tmp_path)
        assert r.returncode == 0, r.stderr
        _assert_no_secret(r.stdout + r.stderr, secrets, fmt)
        if fmt == "json":
            data = json.loads(r.stdout)
            seen_rules = {f["rule"] for f in data["findings"]}
            assert all(f["redacted"] for f in data["findings"] if f["family"] == "secrets")
            broken = [f for f in data["findings"] if f["path"].endswith("V2__broken.sql") and f["rule"] == "syntax-error"]
            assert broken and broken[0]["redacted"]  # another rule's finding on a secret's line is redacted too
    assert {"plaintext-password", "password-hash-in-seed-data", "secret-key-in-migration", "high-entropy-secret"} <= seen_rules
    r = _cli(["baseline", "db", "--output", "bl.json"], tmp_path)
    assert r.returncode == 0, r.stderr
    _assert_no_secret((tmp_path / "bl.json").read_text(encoding="utf-8") + r.stdout + r.stderr, secrets, "baseline")


def _json_findings(tmp_path, *extra):
    out = tmp_path / "out.json"
    assert main(["lint", "db", "--select", "secrets", "--format", "json", "--output", str(out), "--fail-on", "never", *extra]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_fingerprints_survive_moved_lines_and_do_not_depend_on_the_secret(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "db/seeds/production.sql"
    f.parent.mkdir(parents=True)
    row = "INSERT INTO users (email, password) VALUES ('ops@acme.test', '{}');\n"
    f.write_text(row.format("Pr0d-Ops-pw-1"), encoding="utf-8")
    first = _json_findings(tmp_path)["findings"][0]["fingerprint"]
    f.write_text("-- moved down\n\n" + row.format("An0ther-pw-2"), encoding="utf-8")
    second = _json_findings(tmp_path)["findings"][0]
    assert second["line"] == 3 and second["fingerprint"] == first


def test_baseline_accepts_existing_findings_and_reports_new_ones(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    f = tmp_path / "db/migrations/V1__x.sql"
    f.parent.mkdir(parents=True)
    f.write_text("CREATE ROLE app LOGIN PASSWORD 'App-Pass-77';\n", encoding="utf-8")
    assert main(["lint", "db", "--select", "secrets"]) == 1
    assert main(["baseline", "db", "--select", "secrets"]) == 0
    data = json.loads((tmp_path / ".miglint-baseline.json").read_text(encoding="utf-8"))
    assert data["version"] == 1 and [e["rule"] for e in data["findings"]] == ["plaintext-password"]
    assert main(["lint", "db", "--select", "secrets", "--baseline", ".miglint-baseline.json"]) == 0
    assert "accepted by the baseline" in capsys.readouterr().out
    (tmp_path / ".miglint.yml").write_text("baseline: .miglint-baseline.json\n", encoding="utf-8")
    assert main(["lint", "db", "--select", "secrets"]) == 0
    assert main(["lint", "db", "--select", "secrets", "--no-baseline"]) == 1
    f.write_text("-- a new line above\nCREATE ROLE app LOGIN PASSWORD 'App-Pass-77';\nCREATE ROLE etl LOGIN PASSWORD 'Etl-Pass-88';\n", encoding="utf-8")
    out = tmp_path / "o.json"
    assert main(["lint", "db", "--select", "secrets", "--format", "json", "--output", str(out)]) == 1
    new = json.loads(out.read_text(encoding="utf-8"))["findings"]
    assert [(x["line"], x["rule"]) for x in new] == [(3, "plaintext-password")]


def test_bad_baseline_is_exit_2(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "db").mkdir()
    (tmp_path / "db/V1__x.sql").write_text("SELECT 1;\n", encoding="utf-8")
    assert main(["lint", "db", "--baseline", "missing.json"]) == 2
    (tmp_path / "bad.json").write_text('{"version": 7}', encoding="utf-8")
    assert main(["lint", "db", "--baseline", "bad.json"]) == 2
    assert "not a miglint baseline" in capsys.readouterr().err


def test_detect_secrets_is_imported_only_for_candidates_and_without_requests(tmp_path):
    clean = tmp_path / "V1__clean.sql"
    clean.write_text("CREATE TABLE users (id bigint, password text, api_key text);\nINSERT INTO t (x) VALUES ('hello');\n", encoding="utf-8")
    key = tmp_path / "V2__key.sql"
    key.write_text("SELECT 'ghp_4Tq9ZxV2mLk8RsW1nBc7YpD3hJf6Ge0aKu5i';\n", encoding="utf-8")
    code = (
        "import sys, linter.cli\n"
        "linter.cli.main(['lint', sys.argv[1], '--fail-on', 'never'])\n"
        "print('DS', 'detect_secrets' in sys.modules, 'requests' in sys.modules)\n"
    )
    for path, imported in ((clean, False), (key, True)):
        r = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=tmp_path, check=True)
        assert f"DS {imported} False" in r.stdout, r.stdout + r.stderr


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize("name, kind", [
    ("password", "password"), ("encrypted_password", "password"), ("hashedPassword", "password"), ("pwd", "password"),
    ("smtp_pass", "password"), ("api_key", "secret"), ("client_secret", "secret"), ("access_token", "secret"),
    ("app.jwt_secret", "secret"), ("service_role_key", "secret"), ("private_key", "secret"),
    ("password_changed_at", None), ("password_reset_required", None), ("token_type", None), ("api_key_id", None),
    ("secret_name", None), ("token_hash", None), ("public_key", None), ("idempotency_key", None), ("key", None),
    ("password_salt", None), ("is_password_set", None), ("email", None),
])
def test_name_classification(name, kind):
    assert names.classify(name) == kind


@pytest.mark.parametrize("value", ["changeme", "password", "secret", "xxx", "xxxxxxxx", "${DB_PASSWORD}", ":'admin_password'",
                                   "<password>", "{{ password }}", "%(password)s", "********", "", "TBD", "your-api-key-here",
                                   "AKIAIOSFODNN7EXAMPLE", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx", "password1", "REPLACE_ME"])
def test_placeholders(value):
    assert values.is_placeholder(value)


@pytest.mark.parametrize("value", ["S3cure!Passw0rd", "password123", "hunter22", "Tr0ub4dor&3"])
def test_real_passwords_are_not_placeholders(value):
    assert not values.is_placeholder(value)


def test_preview_shows_at_most_four_characters():
    assert values.preview("AKIAQWERTYUIOPASDFGH", reveal_prefix=True) == "AKIA… (20 chars)"
    assert values.preview("Short-pw-1", reveal_prefix=True) == "10 chars"  # too short to show any of it
    assert values.preview("S3cure!Passw0rd-long", reveal_prefix=False) == "20 chars"


def test_jwt_is_decoded_without_verifying():
    gen = _generators()
    token = gen["supabase-service-jwt"](random.Random(1))
    header, payload = values.decode_jwt(token)
    assert header["alg"] == "HS256" and values.jwt_label(header, payload) == "Supabase service_role JWT"
    assert values.decode_jwt("eyJhbGciOiJIUzI1NiJ9.truncated.x") is None


def test_hash_formats():
    assert values.hash_format("$2a$10$hash1") is None  # standard 004's example is not a bcrypt hash
    assert values.hash_format("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8") is None  # a git SHA, outside password columns
    assert values.hash_format("5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8", password_column=True) == "unsalted SHA-1 digest"


def test_every_full_text_format_is_also_a_candidate():
    gen, rng = _generators(), random.Random(3)
    for name in ("aws-access-key", "github-token", "gitlab-token", "slack-token", "stripe-live-key", "google-api-key",
                 "sendgrid-key", "openai-key", "twilio-key"):
        value = gen[name](rng)
        assert keys.CANDIDATE.search(value), name
        assert keys.classify(value) is not None, name


def test_lazy_regex_needs_and_finditer_match_re():
    from linter.sensitive._lazy import lazy
    import re

    rx = lazy(r"k_live_\w+|(?<=x)k_live", 0, "kv_")
    plain = re.compile(rx.pattern)
    for text in ("", "no key here", "sk_live_abc rk_live_def", "xk_live_ x", "k_live_a\nk_live_b"):
        for pos in (0, 1, 3):
            got = [(m.start(), m.end()) for m in rx.finditer(text, pos)]
            assert got == [(m.start(), m.end()) for m in plain.finditer(text, pos)], (text, pos)
            found, expected = rx.search(text, pos), plain.search(text, pos)
            assert (found and found.span()) == (expected and expected.span()), (text, pos)
    assert [m.group() for m in rx.finditer("a k_live_x1 xk_live")] == ["k_live_x1", "k_live"]
    assert rx.search("k_lie_ without a v") is None


def test_needs_of_the_whole_text_patterns_are_in_every_sample():
    """The characters a whole-text regex ``needs`` are in each fake secret of its format:
    a wrong ``needs`` would silently skip real keys."""
    gen, rng = _generators(), random.Random(5)
    samples = [gen[n](rng) for n in ("aws-access-key", "github-token", "gitlab-token", "slack-token", "stripe-live-key",
                                      "google-api-key", "openai-key", "bcrypt", "argon2", "pbkdf2-django", "sha512-crypt",
                                      "supabase-service-jwt", "app-jwt")]
    samples += ["rk_live_" + "a1" * 12, "https://hooks.slack.com/services/T0/B0/x1", "AccountKey=" + "A" * 88, "$1$salt$" + "a" * 22]
    patterns = [*keys.FULL_TEXT, *values.HASH_SCAN, values._JWT]
    for p in patterns:
        for s in samples:
            m = p.compiled.search(s)
            if m is not None:
                assert all(ch in m.group() for ch in p.needs), (p.pattern, s[:12])
    assert all(any(p.compiled.search(s) for p in patterns) for s in samples)


def test_files_without_a_string_constant_still_report_comments_and_keys(tmp_path, monkeypatch):
    gen = _generators()
    key = gen["github-token"](random.Random(2))
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "V1__a.sql").write_text(f"-- admin password: Welc0me-2024\n-- token {key}\nCREATE TABLE t (id int);\n")
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out.json"
    main(["lint", "migrations", "--format", "json", "--output", str(out)])
    rules = sorted(f["rule"] for f in json.loads(out.read_text())["findings"] if f["family"] == "secrets")
    assert rules == ["plaintext-password", "secret-key-in-migration"]
