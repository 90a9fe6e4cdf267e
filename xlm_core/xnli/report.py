"""XNLI report: accuracies recomputed from the saved prediction files, next to published numbers.

Writes `xnli_results.json`, `xnli_report.md` and `xnli_accuracy.png` into the run folder. A run
whose predictions collapsed to one class (or that sits at chance on the language it was trained
on) is flagged and shown as a diagnostic, never as a result; a run not fine-tuned on MultiNLI says
that its numbers do not follow the paper's protocol.
"""

from __future__ import annotations

import logging
from collections import Counter

from xlm_core import io as xio
from xlm_core.xnli.data import LABELS
from xlm_core.xnli.evaluate import read_predictions
from xlm_core.xnli.published import (
    PUBLISHED_AVERAGE,
    PUBLISHED_PER_LANGUAGE,
    PUBLISHED_SOURCE,
    PUBLISHED_TRANSLATE_TRAIN_ALL,
)

log = logging.getLogger(__name__)

COLLAPSE_MAJORITY_SHARE = 0.9
"""A run whose most frequent predicted class covers this share of all test predictions collapsed."""
CHANCE = 1 / 3
CHANCE_MARGIN = 0.01
"""Train-language test accuracy within this distance of 1/3 means nothing was learned."""

_COMPARE = ("XLM-R base", "XLM-R large")
_KIND_NAMES = {
    "multinli": "MultiNLI",
    "xnli-mt": "XNLI-MT (translate-train)",
    "sick": "SICK",
    "xnli-dev": "English XNLI dev",
    "xnli": "XNLI file",
}


def language_scores(pred_dir: str, languages: tuple[str, ...] | list[str]) -> dict[str, dict]:
    """Per language: pairs, correct, accuracy, confusion matrix (rows gold, columns predicted, in
    LABELS order) and the share of the most predicted class."""
    index = {name: i for i, name in enumerate(LABELS)}
    scores = {}
    for lang in languages:
        rows = read_predictions(xio.join(pred_dir, f"{lang}.tsv"))
        confusion = [[0] * len(LABELS) for _ in LABELS]
        for _, gold, pred in rows:
            confusion[index[gold]][index[pred]] += 1
        correct = sum(confusion[i][i] for i in range(len(LABELS)))
        predicted = Counter(pred for _, _, pred in rows)
        scores[lang] = {
            "pairs": len(rows),
            "correct": correct,
            "accuracy": correct / len(rows) if rows else 0.0,
            "confusion": confusion,
            "majority_share": max(predicted.values()) / len(rows) if rows else 0.0,
        }
    return scores


def collapse_reason(scores: dict[str, dict], train_language: str) -> str | None:
    """Why this run is not a result, or None."""
    pooled: Counter[int] = Counter()
    for s in scores.values():
        for j in range(len(LABELS)):
            pooled[j] += sum(row[j] for row in s["confusion"])
    total = sum(pooled.values())
    label, count = max(pooled.items(), key=lambda kv: kv[1])
    if total and count / total >= COLLAPSE_MAJORITY_SHARE:
        return (
            f"collapsed to one class: {count / total:.1%} of all {total} test predictions are "
            f"'{LABELS[label]}' (threshold {COLLAPSE_MAJORITY_SHARE:.0%})"
        )
    if train_language in scores and abs(scores[train_language]["accuracy"] - CHANCE) < CHANCE_MARGIN:
        return (
            f"at chance: {train_language} test accuracy {scores[train_language]['accuracy']:.1%} is within "
            f"{CHANCE_MARGIN:.0%} of 33.3% on the language the model was fine-tuned on"
        )
    return None


def protocol_note(training: dict | None) -> str | None:
    """Plain statement when the fine-tuning data is not the paper's (English MultiNLI)."""
    if training is None:
        return "Fine-tuning data unknown (no training.json): not comparable to the published numbers."
    data = training["data"]
    if data["paper_protocol"]:
        if "xnli-mt" in data["kinds"]:
            return (
                "Translate-train-all (MultiNLI + XNLI-MT): the published columns are zero-shot numbers; "
                f"XLM-R large translate-train-all averages {PUBLISHED_TRANSLATE_TRAIN_ALL['XLM-R large']}."
            )
        return None
    used = " + ".join(f"{_KIND_NAMES.get(s['kind'], s['kind'])} ({s['pairs']:,} pairs)" for s in data["sources"])
    return (
        f"Fine-tuned on {used}, not on MultiNLI ({data['pairs_used']:,} pairs used). "
        "These numbers do not follow the paper's protocol and are not comparable to the published ones, "
        "which are shown for orientation only."
    )


RESULTS_JSON = "xnli_results.json"


def results_path(out_dir: str) -> str:
    """Where a run folder's results JSON is (what `build_report` writes, what the pipeline reads)."""
    return xio.join(out_dir, RESULTS_JSON)


def build_report(out_dir: str, languages: tuple[str, ...] | list[str]) -> dict:
    """Read `<out>/training.json` and `<out>/predictions/test/*.tsv`, write the JSON, Markdown and
    chart; returns their paths, the average and the status."""
    training_path = xio.join(out_dir, "training.json")
    training = xio.read_json(training_path) if xio.exists(training_path) else None
    train_language = training["config"]["train_language"] if training else "en"
    scores = language_scores(xio.join(out_dir, "predictions", "test"), languages)
    flag = collapse_reason(scores, train_language)
    accuracy = {lang: s["accuracy"] for lang, s in scores.items()}
    results = {
        "status": "collapsed" if flag else "ok",
        "flag": flag,
        "model": training["model"] if training else None,
        "protocol_note": protocol_note(training),
        "train_language": train_language,
        "training": training["data"] if training else None,
        "best_epoch": training["best_epoch"] if training else None,
        "epochs": training["config"]["epochs"] if training else None,
        "labels": list(LABELS),
        "languages": list(languages),
        "accuracy": accuracy,
        "average": sum(accuracy.values()) / len(accuracy),
        "per_language": scores,
        "predictions": "predictions/test/<lang>.tsv (pair_id, gold_label, predicted_label)",
        "published": {"average": PUBLISHED_AVERAGE, "per_language": PUBLISHED_PER_LANGUAGE, "source": PUBLISHED_SOURCE},
    }
    paths = {
        "json": results_path(out_dir),
        "markdown": xio.join(out_dir, "xnli_report.md"),
        "chart": xio.join(out_dir, "xnli_accuracy.png"),
    }
    chart = render_chart(results)
    if chart is None:
        paths["chart"] = None
    else:
        xio.write_bytes(paths["chart"], chart)
    results["chart"] = "xnli_accuracy.png" if chart else None
    xio.write_json(paths["json"], results)
    xio.write_bytes(paths["markdown"], render_markdown(results).encode())
    return {**paths, "average": results["average"], "status": results["status"], "flag": flag}


def table_rows(results: dict) -> list[dict]:
    """One row per language plus the average, for a table artifact."""
    flagged = results["status"] != "ok"
    ours = "ours (diagnostic, not a result)" if flagged else "ours"
    rows = []
    for lang in results["languages"]:
        row = {"language": lang, ours: round(100 * results["accuracy"][lang], 1)}
        if not flagged:
            row.update({f"{name} (paper)": PUBLISHED_PER_LANGUAGE[name].get(lang) for name in _COMPARE})
        rows.append(row)
    avg = {"language": "avg", ours: round(100 * results["average"], 1)}
    if not flagged:
        avg.update({f"{name} (paper)": PUBLISHED_AVERAGE[name] for name in _COMPARE})
    rows.append(avg)
    return rows


def markdown_table(results: dict) -> str:
    rows = table_rows(results)
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    for row in rows:
        cells = [row["language"]] + [_fmt(row.get(c)) for c in columns[1:]]
        if row["language"] == "avg":
            cells = [f"**{c}**" for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _fmt(value) -> str:
    return "–" if value is None else f"{value:.1f}"


def render_markdown(results: dict) -> str:
    flagged = results["status"] != "ok"
    out = ["# XNLI evaluation" + (" — RUN FLAGGED, NOT A RESULT" if flagged else ""), ""]
    if flagged:
        out += [f"> **Not a result: {results['flag']}.** The numbers below are diagnostics only.", ""]
    if results["protocol_note"]:
        lead = "Note." if results["training"] and results["training"]["paper_protocol"] else "Not the paper's protocol."
        out += [f"> **{lead}** {results['protocol_note']}", ""]
    if results["model"]:
        out.append(f"Model: `{results['model']}`  ")
    if results["training"]:
        t = results["training"]
        sel = "English dev" if t["selection"] == "en" else "average over all dev languages"
        out.append(
            f"Fine-tuned on {', '.join(_KIND_NAMES.get(k, k) for k in t['kinds'])} ({t['pairs_used']:,} pairs); "
            f"model selection on {sel}, best epoch {results['best_epoch']} of {results['epochs']}.  "
        )
    n = sum(s["pairs"] for s in results["per_language"].values())
    setting = "translate-train-all" if "xnli-mt" in ((results["training"] or {}).get("kinds") or []) else "zero-shot"
    out += [f"Test accuracy (%) on {len(results['languages'])} languages, {n:,} pairs, {setting}.", ""]
    out += [markdown_table(results), ""]
    if not flagged:
        others = " · ".join(f"{name} {avg}" for name, avg in PUBLISHED_AVERAGE.items())
        out += [f"Published averages: {others}. Source: {PUBLISHED_SOURCE}.", ""]
    out += ["## Confusion matrices", ""]
    out += ["Rows: gold label; columns: predicted (e = entailment, n = neutral, c = contradiction).", ""]
    short = [name[0] for name in LABELS]
    cells = [f"{g}→{p}" for g in short for p in short]
    out += ["| language | " + " | ".join(cells) + " | majority share |", "|" + "---|" * (len(cells) + 2)]
    for lang in results["languages"]:
        s = results["per_language"][lang]
        counts = [str(c) for row in s["confusion"] for c in row]
        out.append(f"| {lang} | " + " | ".join(counts) + f" | {s['majority_share']:.2f} |")
    out += ["", f"Predictions: `{results['predictions']}`.", ""]
    if results.get("chart"):
        out += [f"![XNLI accuracy per language]({results['chart']})", ""]
    return "\n".join(out)


def render_chart(results: dict) -> bytes | None:
    """Grouped bar chart (ours vs XLM-R base/large per language) as PNG bytes; None without
    matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        log.warning("matplotlib is not installed: no XNLI bar chart")
        return None
    import io

    flagged = results["status"] != "ok"
    langs = list(results["languages"]) + ["avg"]
    ours = [100 * results["accuracy"][lang] for lang in results["languages"]] + [100 * results["average"]]
    series = [("ours (diagnostic)" if flagged else "ours", ours, "#d62728" if flagged else "#1f77b4")]
    if not flagged:
        for name, color in zip(_COMPARE, ("#aec7e8", "#7f7f7f")):
            values = [PUBLISHED_PER_LANGUAGE[name].get(lang, float("nan")) for lang in results["languages"]]
            series.append((f"{name} (published)", values + [PUBLISHED_AVERAGE[name]], color))
    fig, ax = plt.subplots(figsize=(11, 4), dpi=100)
    width = 0.8 / len(series)
    for k, (label, values, color) in enumerate(series):
        xs = [i + (k - (len(series) - 1) / 2) * width for i in range(len(langs))]
        ax.bar(xs, values, width, label=label, color=color)
    ax.axhline(100 * CHANCE, color="black", linestyle="--", linewidth=0.8, label="chance (33.3%)")
    ax.set_xticks(range(len(langs)), langs)
    ax.set_ylim(0, 100)
    ax.set_ylabel("test accuracy (%)")
    title = "XNLI test accuracy"
    if flagged:
        title += " — COLLAPSED RUN, NOT A RESULT"
    elif results["protocol_note"]:
        title += " (not the paper's protocol: see report)"
    ax.set_title(title, color="#d62728" if flagged else "black")
    ax.legend(loc="upper right", fontsize=8, ncol=len(series) + 1)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def side_by_side(results: dict[str, dict]) -> str:
    """One Markdown table, a column per run (e.g. MLM vs MLM+TLM) and the XLM-R base paper column."""
    names = list(results)
    languages = results[names[0]]["languages"]
    head = ["language", *names, "XLM-R base (paper)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for lang in languages:
        cells = [_fmt(100 * results[n]["accuracy"][lang]) for n in names]
        lines.append(f"| {lang} | " + " | ".join(cells) + f" | {_fmt(PUBLISHED_PER_LANGUAGE['XLM-R base'].get(lang))} |")
    avg = [_fmt(100 * results[n]["average"]) for n in names]
    lines.append("| **avg** | " + " | ".join(f"**{a}**" for a in avg) + f" | **{_fmt(PUBLISHED_AVERAGE['XLM-R base'])}** |")
    return "\n".join(lines)
