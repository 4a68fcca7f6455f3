"""The scale-out: many collectors push their local stores into one DuckLake lake, one analyst audits it.

- engine.py: lake URLs (`ducklake:postgres:...`, `ducklake:path.ducklake`, `ducklake:sqlite:...`),
  the redaction of their passwords, the extensions installed offline from their PyPI packages, ATTACH.
- schema.py: the papers tables and views inside a lake (no keys: DuckLake has none).
- push.py: `papers push`, each row exactly once with several concurrent pushers (guards, retries, batches).
- store.py: a Store on a lake, so `--db ducklake:...` works for the commands that read and audit.
- maintain.py: `papers lake maintain` (flush inlined rows, merge files, expire snapshots, clean up).
- cluster.py: a private PostgreSQL cluster for the tests and bench/push.py.
"""
