"""The number check: each figure of an answer (or a journalist's sentence) against the cell of the
report's tables that has the same key — report, fund scope, flow, part, item and path, stage, kind.

verified     the same key's cell holds this value, within the printed precision
rounding     the same key's cell differs in the last printed place only (尾数: rounding or truncation)
mismatch     every cell of that key says one other value — a real contradiction, both shown
quoted       stated in a cited passage, but no cell of the tables has its key (a change, a part, a
             paragraph the tables don't cover); never shown as ✓
unclear      several cells could be meant and none holds this value; the tool can't tell which
unsupported  found nowhere in the cited reports

A value equal to a cell of another key never verifies. Changes and rates are recomputed from the
amounts they refer to (ingest/statements.py), never compared with levels; rows that lost their
columns (flagged facts) have no key and never produce ✗.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

from ingest.facts import UNIT_FACTOR
from ingest.factstore import FactStore
from ingest.keys import LEVEL_MARK, FigureKey, compatible, norm, phrase_key
from ingest.model import CheckedNumber, Fact, OcrDoubt
from ingest.statements import NUMBER, Derived, Mention, Statement, derived_figures, mentions, statements

__all__ = ["NUMBER", "Mention", "mentions", "money_equal", "check_numbers", "derived_figures", "KeyedFacts"]

RANK = {"verified": 0, "rounding": 1, "mismatch": 2, "unclear": 3, "quoted": 4, "unsupported": 5}


def _fact_step_yuan(f: Fact) -> Decimal:
    s = str(f.value)
    d = len(s.split(".")[1]) if "." in s else 0
    return Decimal(10) ** -d * UNIT_FACTOR.get(f.unit, Decimal(1))


def money_equal(m: Mention, f: Fact) -> bool:
    """Equal within the rounding of the coarser of the two printed precisions."""
    if m.yuan is None or f.value_yuan is None:
        return False
    tol = max(m.half_step_yuan(), _fact_step_yuan(f) / 2)
    return abs(m.yuan - f.value_yuan) <= tol + Decimal("1e-9")


def within_last_place(m: Mention, f: Fact) -> bool:
    """The cell truncated to the printed place, or one unit in the last place of a figure printed to at
    least three significant digits (87.70万元 for 877,080元; "3亿元" for 2.01亿 is not a rounding)."""
    if m.yuan is None or f.value_yuan is None or not f.value_yuan:
        return False
    step = max(m.half_step_yuan() * 2, _fact_step_yuan(f))
    if abs(m.yuan) <= abs(f.value_yuan) < abs(m.yuan) + step and (m.yuan >= 0) == (f.value_yuan >= 0):
        return True  # truncated to the printed place: 5548万元 printed "0.5亿元"
    return abs(m.yuan - f.value_yuan) <= step + Decimal("1e-9") and step <= abs(f.value_yuan) * Decimal("0.005")


@dataclass(frozen=True)
class KeyedFacts:
    """One report's keyed cells, with the classification names its tables use."""

    doc_id: str
    title: str
    kind: str
    year: int | None
    facts: tuple[Fact, ...]
    items: frozenset[str]
    doubts: frozenset[str] = frozenset()  # figures of OCR'd text read with low confidence (digits only)

    @classmethod
    def of(
        cls, doc_id: str, title: str, kind: str, year: int | None, facts: list[Fact], doubts: Iterable[OcrDoubt] = ()
    ) -> KeyedFacts:
        keyed = tuple(f for f in facts if f.key is not None and not f.flagged and f.value_yuan is not None)
        items = frozenset(f.key.item for f in keyed if f.key and f.key.item)
        return cls(doc_id, title, kind, year, keyed, items, frozenset(_digits(d.text) for d in doubts))

    @cached_property
    def by_item(self) -> dict[str, list[Fact]]:
        """The cells by normalised item name: a key's item must equal its cell's (ingest/keys.compatible)."""
        out: dict[str, list[Fact]] = {}
        named: dict[str, str] = {}  # item → its normal form (a report repeats few items many times)
        for f in self.facts:
            if f.key is not None:
                item = f.key.item
                if item not in named:
                    named[item] = LEVEL_MARK.sub("", norm(item))
                out.setdefault(named[item], []).append(f)
        return out

    @cached_property
    def government(self) -> bool:
        """A government's report: some of its cells are keyed 全市."""
        return any(f.key is not None and f.key.level == "全市" for f in self.facts)

    def cells_of(self, item: str) -> list[Fact]:
        """The cells of an item, by its normal form."""
        return self.by_item.get(LEVEL_MARK.sub("", norm(item)), [])

    def candidates(self, key: FigureKey) -> list[Fact]:
        return [f for f in self.cells_of(key.item) if f.key is not None and compatible(key, f.key)]

    def resolve(self, phrase: str) -> Decimal | None:
        """The amount (元) a named whole has in the tables, when every cell of its key agrees."""
        key = phrase_key(phrase, self.kind, self.items)
        if key is None:
            return None
        values = {f.value_yuan for f in self.candidates(key)}
        return values.pop() if len(values) == 1 else None


def source_of(f: Fact, report_title: str = "") -> dict:
    return {
        "doc_id": f.doc_id,
        "report": report_title,
        "table": f.table_title,
        "row": f.row_label,
        "code": f.code,
        "column": f.column,
        "page": f.page,
        "value": f"{f.value}{f.unit}",
        "key": f.key.describe() if f.key else "",
    }


def where(f: Fact, report_title: str = "") -> str:
    page = f"第{f.page}页" if f.page else "页码不详"
    col = f"「{f.column}」列" if f.column else ""
    return f"《{report_title or f.doc_id}》{f.table_title or '表'}「{f.row_label or f.column}」{col}（{page}）"


def _digits(text: str) -> str:
    return re.sub(r"[^\d.%]", "", text)


def _unsure(f: Fact, kf: KeyedFacts) -> tuple[str, Fact | None, str]:
    """A cell read by OCR with low confidence never decides ✓ or ✗."""
    return "unclear", f, f"{where(f, kf.title)} 读作{f.value}{f.unit}，但{f.doubt}；请对照原页核对"


def _judge_level(s: Statement, kf: KeyedFacts) -> tuple[str, Fact | None, str]:
    """(status, cell, note) of one keyed amount against one report."""
    assert s.key is not None
    cands = kf.candidates(s.key)
    if not cands:
        return "quoted", None, f"表中没有「{s.key.describe()}」这一项"
    m = s.mention
    equal = [f for f in cands if money_equal(m, f)]
    if equal:
        f = _most_specific(s.key, equal)
        return _unsure(f, kf) if f.doubt else ("verified", f, f"= {where(f, kf.title)} {f.value}{f.unit}")
    near = [f for f in cands if within_last_place(m, f)]
    if near:
        f = near[0]
        return _unsure(f, kf) if f.doubt else ("rounding", f, f"≈ {where(f, kf.title)} {f.value}{f.unit}（尾数差异）")
    values = {f.value_yuan for f in cands}
    if len(values) == 1:
        f = _most_specific(s.key, cands)
        if any(c.doubt for c in cands):
            return _unsure(next(c for c in cands if c.doubt), kf)
        doubt = (
            _level_unsure(s.key, f, kf)
            or _budget_unsure(s.key, f, kf)
            or ("文中数额扣除了若干项目，口径可能与表中不同" if s.net else "")
        )
        if doubt:
            return "unclear", f, f"{where(f, kf.title)} 为{f.value}{f.unit}，但{doubt}；无法判定是否矛盾"
        return "mismatch", f, f"表中为{f.value}{f.unit}：{where(f, kf.title)}；文中为{m.text}"
    listed = "；".join(
        f"{where(f, kf.title)} {f.value}{f.unit}" + (f"（{f.doubt}）" if f.doubt else "") for f in cands[:3]
    )
    return "unclear", None, f"有{len(cands)}个单元格可能对应「{s.key.describe()}」，均不等于{m.text}：{listed}"


def _level_unsure(said: FigureKey, cell: Fact, kf: KeyedFacts) -> str:
    """Why a differing cell may be of another level than the sentence (全市 vs 本级), or "": a ✗ needs
    the same level said on both sides, or a report whose tables hold this item at one level only."""
    assert cell.key is not None
    if said.level and not cell.key.level:
        return f"文中是{said.level}的数，表格未注明全市还是本级"
    same = kf.cells_of(said.item)
    if said.level and any(
        g.key and g.key.level not in ("", cell.key.level) and g.value_yuan == cell.value_yuan for g in same
    ):
        return "表中全市与本级的这一项数额相同，表格的口径无法判断"  # a title read as 全市 that is 本级
    if not said.level and cell.key.level:
        levels = {f.key.level for f in same if f.key}
        # a government report whose item also stands in tables of no stated level
        if {"全市", "本级"} <= levels or "" in levels and kf.government:
            return "文中未说明是全市还是本级，报告两种口径都有"
    return ""


# rows every one of a government's four budgets has in its balance (转移支付收入, 上年结转, 调入资金 …)
BALANCE_ITEM = re.compile(r"转移支付|补助|上解|结转|结余|调入|调出|转贷|还本|总计")


def _budget_unsure(said: FigureKey, cell: Fact, kf: KeyedFacts) -> str:
    """Why a government report's differing cell may be of another of its budgets, or "": a balance row
    that each budget has, in a sentence naming no budget."""
    assert cell.key is not None
    if said.scope or not kf.government or not BALANCE_ITEM.search(cell.key.item):
        return ""
    return f"文中未说明是哪一本预算，表中是{cell.key.scope}预算的数"


def _most_specific(key: FigureKey, facts: list[Fact]) -> Fact:
    """Prefer the cell whose scope and stage the statement named, then the first table."""

    def score(f: Fact) -> int:
        k = f.key
        assert k is not None
        return (k.scope == key.scope) + (k.stage == key.stage) + (k.flow == key.flow) + bool(k.path)

    return max(facts, key=score)


def _in_passages(text: str, compact: str) -> bool:
    return re.sub(r"[\s,]", "", text) in compact


def _number(m: Mention, status: str, source: dict, note: str) -> CheckedNumber:
    if m.unit == "%":
        return CheckedNumber(m.text, m.value, "%", status, source, note)  # type: ignore[arg-type]
    value = m.yuan if m.yuan is not None else m.value
    return CheckedNumber(m.text, value, "元", status, source, note)  # type: ignore[arg-type]


def _derived_number(m: Mention, d: Derived) -> CheckedNumber:
    labels = {"verified": "重算一致", "rounding": "重算差在末位（尾数）", "mismatch": "重算不符"}
    source = {"derived": d.how, "inputs": list(d.inputs)}
    if d.status == "mismatch" and not d.certain:  # what the audit calls a 提示 is no ✗ here either
        return _number(m, "unclear", source, f"重算为{d.how}，但{d.why}；无法判定是否矛盾")
    return _number(m, d.status, source, f"{labels[d.status]}：{d.how}")


def check_numbers(text: str, reports: list[KeyedFacts], passages: list[str], context: str = "") -> list[CheckedNumber]:
    """Check each figure written in `text` against the keyed tables of `reports` (the reports the
    text is about) and the passages it cites; `context` is the section the text stands in."""
    compact = re.sub(r"[\s,]", "", "\n".join(passages))
    first = reports[0] if reports else None
    derived: dict[int, Derived] = {}
    for kf in reports or []:
        for d in derived_figures(text, kf.resolve, context, kf.year):
            prev = derived.get(d.end)
            if prev is None or RANK[d.status] < RANK[prev.status]:
                derived[d.end] = d
    if not reports:
        derived = {d.end: d for d in derived_figures(text)}
    per_report = [
        (kf, {s.mention.start: s for s in statements(text, kf.kind, kf.items, context, kf.year)}) for kf in reports
    ]
    out: list[CheckedNumber] = []
    for m in mentions(text):
        if m.unit == "%":
            d = derived.get(m.end)
            if d is not None:
                out.append(_derived_number(m, d))
            elif _in_passages(m.text, compact):
                out.append(_number(m, "quoted", {"quote": m.text}, "见引用段落；没有可据以重算的金额"))
            else:
                out.append(_number(m, "unsupported", {}, "引用的报告中找不到这个数"))
            continue
        best: tuple[str, Fact | None, str, KeyedFacts | None] = ("", None, "", None)
        for kf, by_start in per_report:
            s = by_start.get(m.start)
            if s is None or s.key is None or s.kind != "level":
                continue
            status, cell, note = _judge_level(s, kf)
            if not best[0] or RANK[status] < RANK[best[0]]:
                best = (status, cell, note, kf)
        status, cell, note, kf = best
        misread = next((k for k in reports if _digits(m.text) in k.doubts), None)
        if misread is not None and status in ("verified", "rounding", "mismatch"):
            status, note = "unclear", f"扫描页OCR读出的「{m.text}」置信度低，数字可能读错；请对照原页核对（{note}）"
        if status in ("verified", "rounding", "mismatch", "unclear"):
            src = source_of(cell, kf.title) if cell is not None and kf is not None else {}
            out.append(_number(m, status, src, note))
            continue
        stmt = per_report[0][1].get(m.start) if per_report else None
        why = "变动额，表中不列" if stmt is not None and stmt.kind == "change" else note or "表中没有可比的单元格"
        if _in_passages(m.text, compact):
            out.append(
                _number(m, "quoted", {"quote": m.text, "report": first.title if first else ""}, f"见引用段落；{why}")
            )
        else:
            out.append(_number(m, "unsupported", {}, "引用的报告中找不到这个数"))
    return out


def keyed_reports(store_facts: FactStore, reports: dict[str, dict], doc_ids: tuple[str, ...]) -> list[KeyedFacts]:
    """The keyed tables of each report in `doc_ids` (reports: doc_id → catalog row with title, kind)."""
    out = []
    for d in doc_ids:
        meta = reports.get(d, {})
        out.append(
            KeyedFacts.of(
                d,
                meta.get("title") or d,
                meta.get("kind") or "other",
                meta.get("year"),
                store_facts.facts((d,)),
                store_facts.doubts(d),
            )
        )
    return out
