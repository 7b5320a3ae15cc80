# miglint as a Docker container action and for `docker run`.
#
#   docker build -t miglint .
#   docker run --rm -v "$PWD:/src" -w /src miglint lint db/migrations
#   docker run --rm -v "$PWD:/src" -w /src miglint verify --base origin/main db/migrations
#
# `miglint verify` (the action's `verify: true`) needs a PostgreSQL server: the image
# carries one major, PG_MAJOR, from Debian's packages (bookworm ships 15). Another major
# comes from the PostgreSQL project's repository (PGDG, apt.postgresql.org), enabled with
# the script and signing key Debian's postgresql-common ships:
#   docker build --build-arg PG_MAJOR=17 -t miglint:pg17 .
# miglint runs initdb/postgres as the `postgres` user the package creates (initdb refuses
# root); no cluster is created at install time (create_main_cluster = false).
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
ARG PG_MAJOR=15
# git: --base and the history rules read the checkout; the workspace belongs to another
# user, so mark every directory safe for git. PostgreSQL: see the top of this file.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git=1:2.39.* postgresql-common=248* \
 && sed -ri 's/#(create_main_cluster) .*$/\1 = false/' /etc/postgresql-common/createcluster.conf \
 && if [ "$PG_MAJOR" != 15 ]; then /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y; fi \
 && apt-get install -y --no-install-recommends "postgresql-${PG_MAJOR}=${PG_MAJOR}.*" \
 && rm -rf /var/lib/apt/lists/* \
 && git config --system --add safe.directory '*'
ENV MIGLINT_PG_BIN=/usr/lib/postgresql/${PG_MAJOR}/bin
COPY --from=build /dist/ /dist/
# with the `style` (sqlfluff) and `verify` (psycopg) extras: action users cannot add extras
# to the image.
# DL3013: this installs the wheel built above, not a name from an index; its dependencies
# are pinned to compatible ranges in pyproject.toml.
# hadolint ignore=DL3013
RUN for whl in /dist/*.whl; do pip install --no-cache-dir "${whl}[style,verify]"; done \
 && rm -rf /dist
ENTRYPOINT ["miglint"]
CMD ["--help"]
