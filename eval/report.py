"""Eval results as files: report.json, report.md and PNG plots (metrics by type, latency histogram)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

METRICS = (
    "evidence_recall_at_k",
    "citation_support",
    "numeric_accuracy",
    "numbers_verified",
    "numbers_unsupported",
    "abstention",
    "false_abstention",
    "latency_p50_ms",
    "latency_p95_ms",
)
SHARES = METRICS[:7]


def fmt(v: Any, metric: str = "") -> str:
    if v is None:
        return "–"
    if metric.endswith("_ms"):
        return f"{v:.1f}"
    return f"{v:.3f}"


def _others(result: dict) -> list[str]:
    return [k for k in ("baseline", "llm") if k in result]


def markdown(result: dict, title: str = "budgetqa eval") -> str:
    names = ["budgetqa", *_others(result)]
    parts = [result, *(result[k] for k in _others(result))]
    lines = [
        f"# {title}",
        "",
        f"{result['n']} questions, top-k {result['top_k']}, doc filter {'on' if result['doc_filter'] else 'off'}"
        + (f"; {len(result['skipped'])} skipped (report not indexed)" if result.get("skipped") else ""),
        "",
        "| metric | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for m in METRICS:
        lines.append(f"| {m} | " + " | ".join(fmt(p["metrics"][m], m) for p in parts) + " |")
    lines += ["", "## By type", "", "| type | n | " + " | ".join(m for m in SHARES[:3]) + " | abstention |"]
    lines.append("|---" * 6 + "|")
    for t, m in result["by_type"].items():
        lines.append(
            f"| {t} | {m['n']} | "
            + " | ".join(fmt(m[k]) for k in SHARES[:3])
            + f" | {fmt(m['abstention'] if t == 'unanswerable' else m['false_abstention'])} |"
        )
    if result.get("by_family"):
        lines += ["", "## By family", "", family_table(result["by_family"])]
    misses = [r for r in result["per_question"] if _missed(r)]
    if misses:
        lines += ["", "## Misses", ""]
        for r in misses:
            lines.append(
                f"- `{r['id']}` ({r['type']}) {r['question']} — recall {fmt(r['evidence_recall'])}, "
                f"cited {fmt(r['citation_support'])}, numbers {fmt(r['numeric_accuracy'])}, abstained {r['abstained']}"
            )
    return "\n".join(lines) + "\n"


FAMILY_COLUMNS = ("evidence_recall_at_k", "citation_support", "numeric_accuracy", "abstention", "false_abstention")


def family_table(summaries: dict[str, dict], tunings: dict[str, dict] | None = None) -> str:
    """One row per family of reports; with tunings, the tuning each family was scored under."""
    head = ["family", "n", *FAMILY_COLUMNS] + (["tuning (chosen on the other families)"] if tunings else [])
    lines = ["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    for fam, m in summaries.items():
        cells = [fam, str(m["n"]), *(fmt(m[k]) for k in FAMILY_COLUMNS)]
        if tunings:
            cells.append(", ".join(f"{k} {v}" for k, v in tunings[fam].items()))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _missed(r: dict) -> bool:
    if r["type"] == "unanswerable":
        return not r["declined"]
    return r["abstained"] or any((r[k] is not None and r[k] < 1) for k in ("evidence_recall", "numeric_accuracy"))


def _bars(ax, groups: list[str], series: dict[str, list[float]]) -> None:  # noqa: ANN001
    """Grouped bars: one group per x label, one bar per series inside it."""
    width = 0.8 / len(series)
    for i, (label, values) in enumerate(series.items()):
        ax.bar([j + i * width for j in range(len(groups))], values, width, label=label)
    ax.set_xticks([j + width * (len(series) - 1) / 2 for j in range(len(groups))], groups, rotation=20, fontsize=8)
    ax.set_ylim(0, 1.05)


def plots(result: dict, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")  # no display here; files only
    import matplotlib.pyplot as plt

    names = ["budgetqa", *_others(result)]
    parts = [result, *(result[k] for k in _others(result))]
    written = []

    def save(fig, name: str) -> None:  # noqa: ANN001
        fig.tight_layout()
        written.append(out / name)
        fig.savefig(written[-1], dpi=100)
        plt.close(fig)

    shares = [m for m in SHARES if m != "numbers_unsupported"]
    fig, ax = plt.subplots(figsize=(9, 4))
    _bars(ax, shares, {n: [p["metrics"][m] or 0 for m in shares] for n, p in zip(names, parts, strict=True)})
    ax.set_title("metrics")
    ax.legend()
    save(fig, "metrics.png")

    types = list(result["by_type"])
    keys = ["evidence_recall_at_k", "citation_support", "numeric_accuracy"]
    fig, ax = plt.subplots(figsize=(9, 4))
    _bars(ax, types, {k: [result["by_type"][t][k] or 0 for t in types] for k in keys})
    ax.set_title("budgetqa metrics by question type")
    ax.legend(fontsize=8)
    save(fig, "by_type.png")

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, p in zip(names, parts, strict=True):
        ax.hist([r["latency_ms"] for r in p["per_question"]], bins=30, alpha=0.6, label=name)
    ax.set_xlabel("latency per question (ms)")
    ax.set_ylabel("questions")
    ax.legend()
    save(fig, "latency.png")
    return written


def write_report(result: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.json").write_text(json.dumps(result, ensure_ascii=False, indent=2, default=float), encoding="utf-8")
    (out / "report.md").write_text(markdown(result), encoding="utf-8")
    return [out / "report.json", out / "report.md", *plots(result, out)]
