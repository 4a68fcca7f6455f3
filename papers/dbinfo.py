"""What `papers db info` reports about a store."""

from __future__ import annotations

from datetime import datetime, timezone

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
        "runs": [{"kind": kind, "count": n, "last": str(last), "ended": moment(last)} for kind, n, last in runs],
        "response_status": statuses,
        "samples": [{"sample": s, "participants": n, "excluded": x, "duplicates": d} for s, n, x, d in samples],
        "audits": [{"audit": a, "created_at": str(at), "models": list(models), "instrument": f"{ident} {version}",
                    "instrument_sha256": sha, "created": moment(at)} for a, at, models, ident, version, sha in audits],
    }


def moment(at) -> str:
    """A stored time as a reader wants it: to the second, in UTC, saying so ("2026-12-07 15:27:25 UTC");
    a time stored without a zone is UTC (papers writes UTC)."""
    if not isinstance(at, datetime):
        return str(at)
    at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
    return at.strftime("%Y-%m-%d %H:%M:%S UTC")


def sample_line(s: dict) -> str:
    """"example: 400 participants, 51 excluded records (3 of them repeat a participant ID)"."""
    repeats = f" ({s['duplicates']:,} of them repeat a participant ID)" if s["duplicates"] else ""
    return f"  {s['sample']}: {s['participants']:,} participants, {s['excluded']:,} excluded records{repeats}"


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
        lines += [sample_line(s) for s in info["samples"]]
    if info["audits"]:
        lines += ["", "Audits (newest first)"]
        lines += [f"  {a['audit']:<20} {a['created']}  {len(a['models'])} models  {a['instrument']} "
                  f"({a['instrument_sha256'][:12]})" for a in info["audits"]]
    lines += ["", "Loads and runs"]
    lines += [f"  {r['kind']:<18} {r['count']:>5}  last {r['ended']}" for r in info["runs"]] or ["  (none)"]
    return "\n".join(lines)
