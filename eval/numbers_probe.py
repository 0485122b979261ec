"""The number probe: does the check tell right figures from wrong ones on real reports?

false-✗ probe  every sentence of every indexed report that states an amount or a percentage, checked
               against its own report: each ✗ is either a real mistake of the report or a false alarm
               (listed, so a person can confirm each one).
false-✓ probe  the same sentences with one amount changed (×1.37, same printed precision): the changed
               figure must never come back ✓ or ≈.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from ingest.periods import sentence_context
from ingest.pipeline import Store
from ingest.statements import SENTENCE, mentions
from rag.numbers import KeyedFacts, check_numbers, keyed_reports

FACTOR = Decimal("1.37")


@dataclass
class ProbeResult:
    figures: int = 0
    statuses: Counter = field(default_factory=Counter)
    flagged: list[dict] = field(default_factory=list)  # every ✗ on the reports' own sentences
    changed: int = 0
    changed_statuses: Counter = field(default_factory=Counter)
    false_verified: list[dict] = field(default_factory=list)
    per_report: dict[str, Counter] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "figures": self.figures,
            "statuses": dict(self.statuses),
            "mismatches": len(self.flagged),
            "flagged": self.flagged,
            "changed": self.changed,
            "changed_statuses": dict(self.changed_statuses),
            "changed_verified": len(self.false_verified),
            "false_verified": self.false_verified,
            "per_report": {d: dict(c) for d, c in self.per_report.items()},
        }


def report_sentences(store: Store, doc_id: str) -> list[tuple[str, int | None, str]]:
    """Narrative sentences with a figure, each with its page and section."""
    out = []
    for c in store.catalog.doc_chunks(doc_id):
        if c.kind != "text":
            continue
        at = 0
        for s in SENTENCE.split(c.text):
            start, at = at, at + len(s)
            s = s.strip()
            if s and mentions(s):
                out.append((s, c.page, sentence_context(c.section, c.text, start)))
    return list(dict.fromkeys(out))


def _changed(text: str) -> tuple[str, str] | None:
    """The sentence with its first money amount ×1.37 (same decimals), and the new figure."""
    for m in mentions(text):
        if m.unit == "%" or m.value == 0:
            continue
        d = m.decimals
        new = (m.value * FACTOR).quantize(Decimal(10) ** -d, rounding=ROUND_HALF_UP)
        if new == m.value:
            continue
        raw = f"{new:,.{d}f}" if "," in m.text else f"{new:.{d}f}"
        figure = raw + m.unit
        return text[: m.start] + figure + text[m.end :], figure
    return None


def probe(
    store: Store, doc_ids: list[str] | None = None, progress: Callable[[str, int, int], None] | None = None
) -> ProbeResult:
    reports = {r["doc_id"]: r for r in store.catalog.reports()}
    docs = doc_ids or sorted(reports)
    result = ProbeResult()
    for i, doc in enumerate(docs, start=1):
        if progress:
            progress(doc, i, len(docs))
        kf: KeyedFacts = keyed_reports(store.facts, reports, (doc,))[0]
        text = store.catalog.report_text(doc)
        counts: Counter = Counter()
        for sentence, page, section in report_sentences(store, doc):
            for n in check_numbers(sentence, [kf], [text], section):
                result.figures += 1
                result.statuses[n.status] += 1
                counts[n.status] += 1
                if n.status == "mismatch":
                    result.flagged.append(
                        {"doc_id": doc, "page": page, "figure": n.text, "note": n.note, "sentence": sentence[:300]}
                    )
            changed = _changed(sentence)
            if changed is None:
                continue
            new_sentence, figure = changed
            result.changed += 1
            # the changed figure is not in the report's text: the passages are the changed sentence only
            for n in check_numbers(new_sentence, [kf], [new_sentence], section):
                if n.text != figure:
                    continue
                result.changed_statuses[n.status] += 1
                if n.status in ("verified", "rounding"):
                    result.false_verified.append(
                        {"doc_id": doc, "figure": figure, "note": n.note, "sentence": new_sentence[:300]}
                    )
                break
        result.per_report[doc] = counts
    return result


def render(result: ProbeResult) -> str:
    lines = [
        f"false-✗ probe: {result.figures} figures in the reports' own sentences → "
        + ", ".join(f"{k} {v}" for k, v in sorted(result.statuses.items())),
        f"  ✗ (mismatch): {len(result.flagged)} — each is a real mistake of the report or a false alarm:",
    ]
    for f in result.flagged:
        page = f"p.{f['page']}" if f["page"] else "p.?"
        lines.append(f"    {f['doc_id']} {page}  {f['figure']}  {f['note']}")
        lines.append(f"        «{re.sub(chr(10), ' ', f['sentence'][:160])}»")
    lines.append(
        f"false-✓ probe: {result.changed} sentences with one amount ×{FACTOR} → "
        + ", ".join(f"{k} {v}" for k, v in sorted(result.changed_statuses.items()))
    )
    lines.append(f"  changed figures still ✓/≈: {len(result.false_verified)}")
    for f in result.false_verified:
        lines.append(f"    {f['doc_id']}  {f['figure']}  {f['note']}")
    return "\n".join(lines)
