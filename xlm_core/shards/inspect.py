"""Per-language table of a dataset version, for `xlm inspect` and the Prefect UI."""

from __future__ import annotations


def language_rows(manifest: dict) -> list[dict]:
    rows = []
    for lang, t in sorted(manifest["languages"].items()):
        rows.append({"language": lang, **t})
    return rows


def drop_rows(manifest: dict) -> list[dict]:
    """One row per stage counter: stage, counter, value (read, kept, dropped.<reason>, errors.<kind>)."""
    rows = []
    for stage, counts in manifest.get("counters", {}).items():
        for key, value in sorted(counts.items()):
            rows.append({"stage": stage, "counter": key, "value": value})
    return rows


def format_table(rows: list[dict]) -> str:
    """Plain-text table with aligned columns."""
    if not rows:
        return "(empty)"
    cols = list(rows[0])
    width = {c: max(len(c), *(len(_fmt(r[c])) for r in rows)) for c in cols}
    line = "  ".join(c.ljust(width[c]) for c in cols)
    out = [line, "  ".join("-" * width[c] for c in cols)]
    for r in rows:
        out.append("  ".join(_fmt(r[c]).rjust(width[c]) if isinstance(r[c], (int, float)) else _fmt(r[c]).ljust(width[c]) for c in cols))
    return "\n".join(out)


def _fmt(v) -> str:
    return f"{v:,}" if isinstance(v, int) else str(v)
