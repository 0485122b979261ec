"""Feedback on answers (对 / 错, a reason, a comment, the right numbers and sentence), kept in the home as
JSON Lines, and exported as gold questions that `budgetqa eval --gold` reads: what a journalist marks
becomes a question the next version is measured on."""

from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path

from ingest.errors import BadInputError
from ingest.model import Answer, content_hash

VERDICTS = ("对", "错")
REASONS = ("数字错", "出处错", "答非所问", "其他")
FILE_NAME = "feedback.jsonl"
# a number as a journalist writes it, with its unit: 42,400万元 · 123.16% · 3辆
NUMBER = re.compile(r"(-?\d[\d,，]*(?:\.\d+)?)\s*(亿元|万元|千元|元|%|％|[\u4e00-\u9fff]{1,2})?")
MONEY_UNITS = ("亿元", "万元", "千元", "元", "%")
WHY = re.compile(r"为什么|原因|为何")


@dataclass(frozen=True)
class Feedback:
    id: str
    time: str
    question: str
    answer: str
    verdict: str  # 对 | 错
    reason: str  # one of REASONS, or "" for 对
    comment: str
    doc: str | None  # the report the answer cites first
    numbers: tuple[tuple[str, str], ...]  # (value, unit) the journalist expects
    evidence: tuple[str, ...]  # sentences the answer should quote


def feedback_path(home: Path) -> Path:
    return home / FILE_NAME


def parse_numbers(text: str) -> tuple[tuple[str, str], ...]:
    """'42,400万元；123.16%' → (('42400', '万元'), ('123.16', '%'))."""
    out = []
    for m in NUMBER.finditer(text or ""):
        unit = (m.group(2) or "").replace("％", "%")
        if unit[:1] in ("年", "月", "日"):  # a date, not a figure
            continue
        if unit and unit not in MONEY_UNITS and len(unit) > 2:
            unit = ""
        out.append((m.group(1).replace(",", "").replace("，", ""), unit))
    return tuple(out)


def make_feedback(
    answer: Answer, verdict: str, reason: str = "", comment: str = "", numbers: str = "", evidence: str = ""
) -> Feedback:
    """One record. For 对, what the answer states (its checked numbers, its quotes) is what is expected
    unless the journalist wrote otherwise; for 错 only what the journalist gives is."""
    if verdict not in VERDICTS:
        raise BadInputError(f"反馈「{verdict}」无效；请选“对”或“错”")
    if verdict == "错" and reason not in REASONS:
        raise BadInputError(f"请为“错”选一个原因：{'、'.join(REASONS)}")
    expected = parse_numbers(numbers)
    quotes = tuple(s.strip() for s in re.split(r"[\n；;]+", evidence or "") if s.strip())
    if verdict == "对":
        # each ✓/≈ number as the answer prints it ("42,400万元"; CheckedNumber.value is in 元)
        expected = expected or tuple(
            p for n in answer.numbers if n.status in ("verified", "rounding") for p in parse_numbers(n.text)[:1]
        )
        quotes = quotes or tuple(c.quote for c in answer.citations if c.quote)
    question = answer.asked or answer.question
    doc = answer.citations[0].doc_id if answer.citations else None
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    return Feedback(
        id=content_hash(question, answer.answer, verdict, reason, comment, stamp, length=12),
        time=stamp,
        question=question,
        answer=answer.answer,
        verdict=verdict,
        reason=reason if verdict == "错" else "",
        comment=comment.strip(),
        doc=doc,
        numbers=expected,
        evidence=quotes,
    )


def save_feedback(home: Path, fb: Feedback) -> Path:
    path = feedback_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(fb), ensure_ascii=False) + "\n")
    return path


def load_feedback(home: Path) -> list[Feedback]:
    path = feedback_path(home)
    if not path.is_file():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            d["numbers"] = tuple(tuple(n) for n in d["numbers"])
            d["evidence"] = tuple(d["evidence"])
            out.append(Feedback(**d))
    return out


def gold_line(fb: Feedback) -> dict:
    """The gold question eval/gold.py reads; the verdict, reason and comment ride along for people."""
    qtype = "why" if WHY.search(fb.question) else "lookup"
    if fb.verdict == "错" and not fb.numbers and not fb.evidence:
        qtype = "unanswerable" if fb.reason == "答非所问" else qtype
    return {
        "id": f"fb-{fb.id}",
        "question": fb.question,
        "doc": fb.doc,
        "type": qtype,
        "expected_numbers": [{"value": float(Decimal(v)), "unit": u} for v, u in fb.numbers],
        "evidence": list(fb.evidence),
        "verdict": fb.verdict,
        "reason": fb.reason,
        "comment": fb.comment,
        "answer": fb.answer,
    }


def export_gold(home: Path, target: Path) -> int:
    """Writes every feedback as a gold question; returns how many."""
    records = load_feedback(home)
    if not target.parent.exists():
        raise BadInputError(f"{target}：文件夹 {target.parent} 不存在；请先建好文件夹，或写到别处")
    with target.open("w", encoding="utf-8") as fh:
        for fb in records:
            fh.write(json.dumps(gold_line(fb), ensure_ascii=False) + "\n")
    return len(records)
