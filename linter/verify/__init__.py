"""``miglint verify``: replay migrations on a throwaway PostgreSQL and check what the
static model claims (:mod:`linter.verify.server` owns the server; :mod:`linter.verify.replay`
runs the files). The database driver (psycopg 3, the ``verify`` extra) is imported only
here, never by ``miglint lint``."""
