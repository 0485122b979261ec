"""Internal consistency of a report: narrative arithmetic, row sums, code hierarchy sums.

Differences of one unit in the last place are rounding (尾数误差): info, not error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ingest.model import Fact
from ingest.pipeline import Store
from rag.numbers import derived_figures

COMPONENTS = ("基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出")
TOTAL_WORDS = ("合计", "小计", "本年支出合计")


@dataclass(frozen=True)
class Finding:
    kind: str
    severity: str  # error | warning | info
    message: str
    expected: str
    found: str
    page: int | None
    section: str
    quote: str


def _severity(diff: Decimal, step: Decimal, parts: int = 2) -> str:
    """One unit in the last place is 尾数误差 (info); up to half a unit per summed part can still be
    rounding of many parts (warning); more is an error."""
    if diff <= step + Decimal("1e-9"):
        return "info"
    return "warning" if diff <= step * parts / 2 + Decimal("1e-9") else "error"


MESSAGES = {"growth_rate": "增幅与金额不符：按金额计算应为{v}", "execution_rate": "完成预算比例与金额不符：应为{v}"}


def narrative_findings(store: Store, doc_id: str) -> list[Finding]:
    out: list[Finding] = []
    for c in store.catalog.doc_chunks(doc_id):
        if c.kind != "text":
            continue
        for d in derived_figures(c.text):
            if d.ok:
                continue
            step = Decimal(10) ** -d.decimals
            expected = f"{d.computed:.{d.decimals}f}%"
            out.append(
                Finding(
                    d.kind,
                    _severity(abs(d.computed - d.stated), step),
                    MESSAGES[d.kind].format(v=expected),
                    expected,
                    f"{d.stated}%",
                    c.page,
                    c.section,
                    d.quote,
                )
            )
    return out


def _step(values: list[Decimal]) -> Decimal:
    d = max((len(str(v).split(".")[1]) if "." in str(v) else 0) for v in values)
    return Decimal(10) ** -d


def row_sum_findings(facts: list[Fact]) -> list[Finding]:
    """合计 = 基本支出 + 项目支出 (+ …) on each row of a table that has those columns."""
    out: list[Finding] = []
    rows: dict[tuple[str, str, str], dict[str, Fact]] = {}
    for f in facts:
        if f.flagged or not f.column:
            continue
        leaf = f.column.split(" > ")[-1]
        rows.setdefault((f.table_id, f.row_label, f.code), {})[leaf] = f
    for (_, label, _code), cols in rows.items():
        total_key = next((k for k in cols if k in TOTAL_WORDS), None)
        parts = [cols[k] for k in COMPONENTS if k in cols]
        if total_key is None or len(parts) < 2:
            continue
        total = cols[total_key]
        s = sum((p.value for p in parts), Decimal(0))
        step = _step([total.value] + [p.value for p in parts])
        diff = abs(total.value - s)
        if diff > step / 2:
            out.append(
                Finding(
                    "row_sum",
                    _severity(diff, step, len(parts)),
                    f"「{label}」{total_key}不等于各列之和（{'+'.join(k for k in COMPONENTS if k in cols)}）",
                    f"{s}",
                    f"{total.value}",
                    total.page,
                    total.table_title,
                    total.source,
                )
            )
    return out


def code_sum_findings(facts: list[Fact]) -> list[Finding]:
    """类 = Σ款, 款 = Σ项 by 科目编码, per table and column."""
    out: list[Finding] = []
    groups: dict[tuple[str, str], dict[str, Fact]] = {}
    for f in facts:
        if f.flagged or not f.code or not f.column or not re.fullmatch(r"\d{3}(\d{2}){0,2}", f.code):
            continue
        groups.setdefault((f.table_id, f.column), {})[f.code] = f
    for (_, column), by_code in groups.items():
        for code, parent in by_code.items():
            if len(code) not in (3, 5):
                continue
            kids = [f for c, f in by_code.items() if len(c) == len(code) + 2 and c.startswith(code)]
            if not kids:
                continue
            s = sum((k.value for k in kids), Decimal(0))
            step = _step([parent.value] + [k.value for k in kids])
            diff = abs(parent.value - s)
            if diff > step / 2:
                level = "类" if len(code) == 3 else "款"
                out.append(
                    Finding(
                        "code_sum",
                        _severity(diff, step, len(kids)),
                        f"{code} {parent.row_label}（{level}）的「{column}」不等于下级科目之和",
                        f"{s}",
                        f"{parent.value}",
                        parent.page,
                        parent.table_title,
                        parent.source,
                    )
                )
    return out


def audit(store: Store, doc_id: str) -> list[Finding]:
    facts = store.facts.facts((doc_id,))
    findings = narrative_findings(store, doc_id) + row_sum_findings(facts) + code_sum_findings(facts)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.severity])
