"""The scale-out: many collectors push their local stores into one DuckLake lake, one analyst audits it.

- engine.py: lake URLs (`ducklake:postgres:...`, `ducklake:path.ducklake`, `ducklake:sqlite:...`),
  the redaction of their passwords, the extensions installed offline from their PyPI packages, ATTACH.
"""
