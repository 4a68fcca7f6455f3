"""What `papers db info` reports about a store."""

from __future__ import annotations

from papers.store import Store, query, table_counts


def store_info(store: Store) -> dict:
    instruments = store.sql(
        "select sha256, instrument_id, version, loaded_at from instruments order by loaded_at"
    ).fetchall()
    runs = store.sql(query("dbinfo/runs")).fetchall()
    statuses = dict(store.sql("select status, count(*) from llm_responses group by status order by status").fetchall())
    samples = store.sql(query("dbinfo/samples")).fetchall()
    audits = store.sql(query("dbinfo/audits")).fetchall()
    return {
        "path": str(store.path),
        "schema_version": store.schema_version(),
        "tables": table_counts(store),
        "instruments": [
            {"sha256": sha, "id": ident, "version": version, "loaded_at": str(at)}
            for sha, ident, version, at in instruments
        ],
        "runs": [{"kind": kind, "count": n, "last": str(last)} for kind, n, last in runs],
        "response_status": statuses,
        "samples": [{"sample": s, "participants": n, "excluded": x} for s, n, x in samples],
        "audits": [{"audit": a, "created_at": str(at), "models": list(models), "instrument": f"{ident} {version}",
                    "instrument_sha256": sha} for a, at, models, ident, version, sha in audits],
    }


def format_info(info: dict) -> str:
    lines = [f"Store {info['path']} (schema version {info['schema_version']})", "", "Tables"]
    width = max(len(t) for t in info["tables"])
    lines += [f"  {t:<{width}}  {n:>12,}" for t, n in info["tables"].items()]
    lines += ["", "Instruments"]
    lines += [f"  {i['id']} {i['version']}  sha256 {i['sha256']}" for i in info["instruments"]] or ["  (none)"]
    if info["response_status"]:
        lines += ["", "Model responses by status"]
        lines += [f"  {s:<12} {n:>10,}" for s, n in info["response_status"].items()]
    if info["samples"]:
        lines += ["", "Human samples"]
        lines += [f"  {s['sample']}: {s['participants']:,} participants, {s['excluded']:,} records excluded"
                  for s in info["samples"]]
    if info["audits"]:
        lines += ["", "Audits (newest first)"]
        lines += [f"  {a['audit']:<20} {a['created_at'][:16]}  {len(a['models'])} models  {a['instrument']} "
                  f"({a['instrument_sha256'][:12]})" for a in info["audits"]]
    lines += ["", "Loads and runs"]
    lines += [f"  {r['kind']:<18} {r['count']:>5}  last {r['last']}" for r in info["runs"]] or ["  (none)"]
    return "\n".join(lines)
