#!/usr/bin/env bash
# The optional mypyc-compiled build (pyproject.toml, [tool.hatch.build.targets.wheel.hooks.mypyc]):
# build its wheel from a clean copy of this checkout (hatch-mypyc compiles in place, so the
# checkout itself never holds .so files that its editable install would load), install it
# into .venv-compiled, check that the hot modules load compiled, then run the test suite
# against it and compare its corpus output with the pure build's (byte for byte).
# Needs a C compiler and the Python headers; compiling takes ~2 CPU minutes.
#   .ci/compiled.sh              build, test, compare
#   .ci/compiled.sh --no-tests   build and compare only
# Then: python bench/compiled.py --compiled-python .venv-compiled/bin/python [--callgrind]
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== compiled wheel (HATCH_BUILD_HOOK_ENABLE_MYPYC=1)"
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - 2>/dev/null | tar -xf - -C "$work/src"
python3 -m venv "$work/build"
"$work/build/bin/pip" install -q --no-cache-dir build==1.2.2.post1
start=$SECONDS
HATCH_BUILD_HOOK_ENABLE_MYPYC=1 "$work/build/bin/python" -m build --wheel --outdir "$work/dist" "$work/src" >"$work/build.log" 2>&1 \
  || { tail -40 "$work/build.log"; exit 1; }
echo "built $(basename "$work"/dist/*.whl) in $((SECONDS - start)) s"

rm -rf .venv-compiled
python3 -m venv .venv-compiled
for whl in "$work"/dist/*.whl; do .venv-compiled/bin/pip install -q --no-cache-dir "${whl}[test,verify]"; done
# PYTHONSAFEPATH: never import this checkout's pure `linter` from the working directory
# (children inherit it: the tests' `python -m linter` runs use the compiled build too)
export PYTHONSAFEPATH=1
compiled=$(.venv-compiled/bin/python - <<'EOF'
import importlib.util
mods = ["linter.engine", "linter.source", "linter.pg.session", "linter.pg.locks", "linter.migset.summary"]
print(sum(importlib.util.find_spec(m).origin.endswith((".so", ".pyd")) for m in mods))
EOF
)
[ "$compiled" = 5 ] || { echo "the compiled build loads pure modules ($compiled of 5 compiled)"; exit 1; }
# the rule docs come from the rule modules' docstrings: the compiled build renders them unchanged
.venv-compiled/bin/python -c "import sys, linter.docs as d; sys.exit(d.render() != open('docs/rules.md', encoding='utf-8').read())" \
  || { echo "docs/rules.md rendered by the compiled build differs"; exit 1; }

echo "== corpus: compiled vs pure, --no-cache, JSON"
if [ -d ../shared/corpus ]; then
  set +e
  .venv-compiled/bin/miglint lint --no-cache ../shared/corpus --format json --output "$work/compiled.json"
  c1=$?
  if [ -x .venv/bin/python ]; then pure=.venv/bin/python; else pure=python3; fi
  PYTHONSAFEPATH= PYTHONPATH=$repo "$pure" -m linter lint --no-cache ../shared/corpus --format json --output "$work/pure.json"
  c2=$?
  set -e
  [ "$c1" -le 1 ] && [ "$c2" -le 1 ] || { echo "exit codes: compiled $c1, pure $c2"; exit 1; }
  cmp "$work/compiled.json" "$work/pure.json" && echo "identical output"
fi

if [ "${1:-}" != "--no-tests" ]; then
  echo "== test suite against the compiled build"
  # tests/ is a package, so pytest puts this checkout on sys.path: appended (not prepended)
  # the installed compiled `linter` comes first
  .venv-compiled/bin/python -c "import sys; sys.path.append('$repo'); import linter.engine as e; assert e.__file__.endswith('.so'), e.__file__"
  .venv-compiled/bin/python -m pytest -q -x -p no:cacheprovider --import-mode=append
fi
