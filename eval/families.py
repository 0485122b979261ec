"""Families of reports and leave-one-family-out: every family is scored with the tuning chosen on
the other families only, so a change that fits one family's quirks shows up as a gap."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from eval.gold import GoldQuestion
from eval.metrics import summarize
from ingest.errors import BadInputError
from rag.tuning import GRID, Tuning

DEFAULT_FAMILIES = Path(__file__).resolve().parent / "gold" / "families.tsv"
UNGROUPED = "ungrouped"


def load_families(path: Path = DEFAULT_FAMILIES) -> dict[str, str]:
    """doc_id → family from a two-column TSV (lines starting with # are comments)."""
    if not path.is_file():
        raise BadInputError(f"families file {path} not found; give a TSV of doc_id<TAB>family")
    out: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2 or not all(p.strip() for p in parts):
            raise BadInputError(f"{path}:{n}: expected doc_id<TAB>family, got {line!r}")
        out[parts[0].strip()] = parts[1].strip()
    return out


def family_of(q: GoldQuestion, families: dict[str, str]) -> str:
    """A question's family: its own "family" field, else its report's; UNGROUPED otherwise."""
    if q.family:
        return q.family
    if q.doc:
        return families.get(q.doc, UNGROUPED)
    return UNGROUPED


def by_family(rows: Sequence[dict], gold: Sequence[GoldQuestion], families: dict[str, str]) -> dict[str, dict]:
    fam = {q.id: family_of(q, families) for q in gold}
    groups: dict[str, list[dict]] = {}
    for r in rows:
        groups.setdefault(fam.get(r["id"], UNGROUPED), []).append(r)
    return {f: summarize(rs) for f, rs in sorted(groups.items())}


def objective(summary: dict) -> float:
    """What tuning maximises: supported citations, right numbers, traps declined, no needless abstention."""

    def v(k: str) -> float:
        x = summary.get(k)
        return float(x) if x is not None else 0.0

    return v("citation_support") + v("numeric_accuracy") + v("abstention") - 2 * v("false_abstention")


def leave_one_family_out(
    run: Callable[[Tuning], list[dict]],
    gold: Sequence[GoldQuestion],
    families: dict[str, str],
    grid: Sequence[Tuning] = GRID,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """For each family F: the tuning that scores best on the other families, and F's figures under it
    (held out), next to F's figures under the default tuning."""
    fam = {q.id: family_of(q, families) for q in gold}
    rows_by_tuning: list[tuple[Tuning, list[dict]]] = []
    for t in grid:
        if progress:
            progress(f"sparse_weight={t.sparse_weight} min_coverage={t.min_coverage}")
        rows_by_tuning.append((t, run(t)))
    names = sorted({fam.get(r["id"], UNGROUPED) for r in rows_by_tuning[0][1]})
    out: dict = {"grid": [vars(t) for t in grid], "families": {}}
    for f in names:
        best_t, best_score, held = None, float("-inf"), None
        for t, rows in rows_by_tuning:
            others = [r for r in rows if fam.get(r["id"], UNGROUPED) != f]
            score = objective(summarize(others)) if others else 0.0
            if score > best_score:
                best_t, best_score = t, score
                held = summarize([r for r in rows if fam.get(r["id"], UNGROUPED) == f])
        out["families"][f] = {"tuning": vars(best_t), "held_out": held}
    out["n"] = len(rows_by_tuning[0][1])
    return out
