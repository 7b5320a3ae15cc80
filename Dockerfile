# miglint as a Docker container action and for `docker run`.
#
#   docker build -t miglint .
#   docker run --rm -v "$PWD:/src" -w /src miglint lint db/migrations
#
# No USER line: GitHub runs container actions as the default (root) user and mounts the
# workspace owned by the runner; "Docker actions must be run by the default Docker user
# (root). Do not use the USER instruction" (docs: "Dockerfile support for GitHub Actions").
# .ci/run installs the wheel into a fresh venv with the same commands and pins.

FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY linter ./linter
COPY rules ./rules
RUN pip install --no-cache-dir build==1.2.2.post1 \
 && python -m build --wheel --outdir /dist

FROM python:3.11-slim-bookworm
# git: --base and the history rules read the checkout; the workspace belongs to another
# user, so mark every directory safe for git.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git=1:2.39.* \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*'
COPY --from=build /dist/ /dist/
# with the `style` extra (sqlfluff): action users cannot add extras to the image.
# DL3013: this installs the wheel built above, not a name from an index; its dependencies
# are pinned to compatible ranges in pyproject.toml.
# hadolint ignore=DL3013
RUN for whl in /dist/*.whl; do pip install --no-cache-dir "${whl}[style]"; done \
 && rm -rf /dist
ENTRYPOINT ["miglint"]
CMD ["--help"]
