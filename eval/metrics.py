"""Metric functions of the eval harness, pure and small so each can be tested on hand-made cases."""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal

from eval.gold import ExpectedNumber
from ingest.facts import UNIT_FACTOR

MONEY = UNIT_FACTOR  # the factors the facts store uses, so both sides normalize alike
# a number, then (optionally) the unit written right after it
FIGURE = re.compile(r"(?<![\d.])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s*(亿元|万元|千元|元|%|分|个)?")


def normalize(text: str) -> str:
    """NFKC, then no whitespace at all: "（一）\n收入" and "(一)收入" compare equal."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def share_contained(evidence: Sequence[str], passages: Iterable[str]) -> float | None:
    """Share of evidence strings found inside at least one passage; None when there is no evidence."""
    if not evidence:
        return None
    hay = [normalize(p) for p in passages]
    found = sum(1 for e in evidence if (ne := normalize(e)) and any(ne in h for h in hay))
    return found / len(evidence)


def _decimals(v: Decimal) -> int:
    exp = v.as_tuple().exponent
    return -exp if isinstance(exp, int) and exp < 0 else 0


def _half_step(v: Decimal, factor: Decimal) -> Decimal:
    return Decimal("0.5") * Decimal(10) ** -_decimals(v) * factor


def figures(text: str) -> list[tuple[Decimal, str]]:
    """Every number of a text with the unit written after it ("" when none)."""
    out = []
    for m in FIGURE.finditer(unicodedata.normalize("NFKC", text)):
        out.append((Decimal(m.group(1).replace(",", "")), m.group(2) or ""))
    return out


def number_matches(expected: ExpectedNumber, value: Decimal, unit: str) -> bool:
    """Same value after unit normalization, within the rounding of the coarser precision.

    A bare number in a money question is read in each money unit, since table quotes print the unit
    once in the table's head ("单位：万元") and not after each cell.
    """
    if expected.unit in MONEY:
        units = [unit] if unit in MONEY else (list(MONEY) if unit == "" else [])
        for u in units:
            got = value * MONEY[u]
            want = expected.value * MONEY[expected.unit]
            tol = max(_half_step(expected.value, MONEY[expected.unit]), _half_step(value, MONEY[u]))
            if abs(got - want) <= tol:
                return True
        return False
    if unit not in (expected.unit, ""):
        return False
    tol = max(_half_step(expected.value, Decimal(1)), _half_step(value, Decimal(1)))
    return abs(value - expected.value) <= tol


def numbers_found(expected: Sequence[ExpectedNumber], answer: str) -> float | None:
    """Share of expected numbers present in the answer; None when none are expected."""
    if not expected:
        return None
    got = figures(answer)
    hits = sum(1 for e in expected if any(number_matches(e, v, u) for v, u in got))
    return hits / len(expected)


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (p in 0..100); None for no values."""
    if not values:
        return None
    s = sorted(values)
    k = max(0, min(len(s) - 1, math.ceil(p / 100 * len(s)) - 1))
    return s[k]


def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def summarize(rows: Sequence[dict]) -> dict:
    """Metrics over per-question rows (see eval.harness.score_question for the row fields)."""
    answerable = [r for r in rows if r["type"] != "unanswerable"]
    unanswerable = [r for r in rows if r["type"] == "unanswerable"]
    checked = sum(r["numbers_checked"] for r in rows)
    latencies = [r["latency_ms"] for r in rows]
    return {
        "n": len(rows),
        "evidence_recall_at_k": mean(r["evidence_recall"] for r in rows),
        "citation_support": mean(r["citation_support"] for r in rows),
        "numeric_accuracy": mean(r["numeric_accuracy"] for r in rows),
        "numbers_verified": (sum(r["numbers_verified"] for r in rows) / checked) if checked else None,
        "numbers_unsupported": (sum(r["numbers_unsupported"] for r in rows) / checked) if checked else None,
        "abstention": mean(1.0 if r["declined"] else 0.0 for r in unanswerable),
        "false_abstention": mean(1.0 if r["abstained"] else 0.0 for r in answerable),
        # citations from a report the question did not name (single-report questions only)
        "off_report_citations": mean(r.get("off_report") for r in rows),
        # answered, every expected number stated, first citation from the asked report
        "right": mean(_right(r) for r in answerable if r.get("numeric_accuracy") is not None),
        "latency_p50_ms": percentile(latencies, 50),
        "latency_p95_ms": percentile(latencies, 95),
    }


def _right(r: dict) -> float:
    first_ok = not r.get("doc") or r.get("first_cited_doc") == r["doc"]
    return 1.0 if not r["abstained"] and r["numeric_accuracy"] == 1 and first_ok else 0.0


def by_type(rows: Sequence[dict]) -> dict[str, dict]:
    types = sorted({r["type"] for r in rows})
    return {t: summarize([r for r in rows if r["type"] == t]) for t in types}
