"""Figures looked up by their key, not found in text: one report's table figure for an item, and one
item across reports (a comparison or a ranking), every value with the cell it came from.

A request names what is wanted as a `FigureKey` (ingest/keys.py: scope, flow, part, item, stage) plus,
optionally, a 功能分类 code; `figure_in` answers it for one report, `compare` for several. Values of
different stages (预算 vs 决算) are listed but never compared: the tool says which and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

from ingest.factstore import FactStore
from ingest.keys import FigureKey, compatible, flow_total, fund_of, phrase_key, report_stage, stage_of
from ingest.model import Chunk, Fact
from ingest.statements import Statement, mentions, statements
from rag.numbers import KeyedFacts, money_equal

# comparison and ranking questions: several reports, one item
COMPARE_CUE = re.compile(
    r"怎么变|如何变|变化|变动|趋势|对比|比较|排名|排序|排行|各部门|各单位|这些部门|所有部门|历年|逐年|分别|各是|各为|各有|"
    r"谁|哪个|哪一个|哪家|最多|最少|最高|最低|最大|最小|更多|更少|更高|更低|"
    r"\bcompar|\brank|\bwhich\b.*\b(?:highest|lowest|most|least|largest|smallest)\b|\beach\b",
    re.I,
)
RANK_CUE = re.compile(
    r"谁|哪个|哪一个|哪家|更多|更少|更高|更低|最多|最少|最高|最低|最大|最小|排名|排序|排行|\brank|\bhighest|\blowest|\bmost\b|\bleast\b",
    re.I,
)
ALL_REPORTS_CUE = re.compile(
    r"各部门|各单位|这些部门|所有部门|所有报告|哪个部门|哪个单位|哪家|\beach department|\bwhich department", re.I
)
# words of a comparison question that name no figure
COMPARE_WORDS = re.compile(
    r"怎么变|如何变化|怎样变化|变化|变动|趋势|对比|比较|排名|排序|排行|各部门|各单位|这些部门|所有部门|历年|逐年|"
    r"分别|各是|各为|各有|谁|哪个部门|哪个单位|哪一个|哪个|哪家|更多|更少|更高|更低|最多|最少|最高|最低|最大|最小|部门|单位|里|从高到低|从低到高"
)
CODE = re.compile(r"(?<!\d)(2\d{2}(?:\d{2}){0,2})(?!\d)")
WAN = Decimal(10000)
STAGE_WORDS = {"预算": "预算数", "决算": "决算数", "执行": "执行数", "调整预算": "调整预算数", "上年": "上年数"}


@dataclass(frozen=True)
class FigureRequest:
    """What figure is wanted: its key, and a 功能分类 code when the request gave one ("208")."""

    key: FigureKey
    code: str = ""
    phrase: str = ""  # as the user wrote it

    def describe(self) -> str:
        k = self.key
        if k.item == "总计":
            return f"{k.scope if k.scope not in ('', '全部') else ''}{k.flow}总计" + (
                f"（{k.stage}）" if k.stage else ""
            )
        what = k.describe() if (k.item or k.scope or k.part) else ""
        if self.code:
            what = f"{what}（科目编码 {self.code}）" if what else f"科目编码 {self.code}"
        return what or self.phrase


@dataclass(frozen=True)
class FigureRow:
    """One report's figure for a request: the cell, or a note why there is none."""

    doc_id: str
    report: str
    year: int | None
    report_kind: str
    fact: Fact | None
    note: str = ""
    told: Told | None = None  # the report's sentence stating the figure (the cell's, or the only source)

    @property
    def value_yuan(self) -> Decimal | None:
        if self.fact is not None:
            return self.fact.value_yuan
        return self.told.yuan if self.told is not None else None

    @property
    def stage(self) -> str:
        if self.fact is not None and self.fact.key is not None:
            return self.fact.key.stage
        return self.told.stage if self.told is not None else ""

    @property
    def found(self) -> bool:
        return self.value_yuan is not None

    def wan(self) -> Decimal | None:
        """The figure in 万元, as printed when printed in 万元, else rounded to two places."""
        f = self.fact
        if f is not None and f.unit == "万元":
            return f.value
        if f is None and self.told is not None and self.told.unit == "万元":
            return self.told.value
        yuan = self.value_yuan
        return None if yuan is None else (yuan / WAN).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Told:
    """A figure as a report's sentence states it, with the passage it stands in."""

    chunk: Chunk
    sentence: str
    value: Decimal
    unit: str
    yuan: Decimal
    stage: str


@dataclass(frozen=True)
class Comparison:
    request: FigureRequest
    rows: tuple[FigureRow, ...]
    comparable: bool
    reason: str = ""  # why the figures can't be compared, when they can't
    computed: tuple[str, ...] = ()  # differences and rankings worked out by the tool, said as such

    @property
    def found(self) -> list[FigureRow]:
        return [r for r in self.rows if r.found]

    def table(self) -> tuple[tuple[str, ...], ...]:
        """Header, then one row per report: report, year, value (万元), table, row, column, page."""
        head = ("报告", "年度", "数值（万元）", "阶段", "表", "行", "列", "页")
        out = [head]
        for r in self.rows:
            f = r.fact
            w = r.wan()
            out.append(
                (
                    r.report,
                    str(r.year or ""),
                    f"{w:,}" if w is not None else "—",
                    STAGE_WORDS.get(r.stage, r.stage),
                    f.table_title if f else r.note,
                    f.row_label if f else (r.told.sentence if r.told else ""),
                    f.column if f else "",
                    str(_page(r) or ""),
                )
            )
        return tuple(out)


NARRATIVE_LIMIT = 30  # beyond this many reports a comparison is the table alone: each sentence costs a parse


def keyed_for(
    req: FigureRequest, store: FactStore, reports: dict[str, dict], doc_ids: tuple[str, ...], items: frozenset[str]
) -> list[KeyedFacts]:
    """Each report's cells of the requested item only, read through the item (or code) index: a
    comparison over a thousand reports reads thousands of cells, not a million."""
    by_doc: dict[str, list[Fact]] = {d: [] for d in doc_ids}
    for f in store.for_item(req.key.item, req.code, doc_ids, req.key.part, req.key.scope):
        by_doc[f.doc_id].append(f)
    out = []
    for d in doc_ids:
        meta = reports.get(d, {})
        kf = KeyedFacts.of(d, meta.get("title") or d, meta.get("kind") or "other", meta.get("year"), by_doc[d])
        out.append(replace(kf, items=items))
    return out


def _page(r: FigureRow) -> int | None:
    if r.fact is not None and r.fact.page:
        return r.fact.page
    return r.told.chunk.page if r.told is not None else None


def comparison_dict(c: Comparison) -> dict:
    """The comparison for JSON: what was asked, whether the figures compare, and each report's cell."""
    return {
        "item": c.request.describe(),
        "comparable": c.comparable,
        "reason": c.reason,
        "computed": list(c.computed),
        "rows": [
            {
                "doc_id": r.doc_id,
                "report": r.report,
                "year": r.year,
                "value_wan": r.wan(),
                "value_yuan": r.value_yuan,
                "stage": r.stage,
                "table": r.fact.table_title if r.fact else "",
                "row": r.fact.row_label if r.fact else "",
                "column": r.fact.column if r.fact else "",
                "page": _page(r),
                "sentence": r.told.sentence if r.told else "",
                "printed": f"{r.fact.value}{r.fact.unit}" if r.fact else "",
                "note": r.note,
            }
            for r in c.rows
        ],
    }


def request_from(phrase: str, items: frozenset[str] = frozenset(), report_kind: str = "") -> FigureRequest | None:
    """The figure a phrase names ("三公经费", "一般公共预算财政拨款支出", "社会保障和就业支出", "208",
    "收入预算"), or None when it names none a table holds."""
    raw = re.sub(r"\s+", "", phrase or "")
    code_m = CODE.search(raw)
    code = code_m.group(1) if code_m and len(raw) <= len(code_m.group(1)) + 2 else ""
    if code:
        # 功能分类 codes classify spending: a 收入 table listing income by them is not meant
        return FigureRequest(FigureKey(flow="支出", stage=stage_of(raw)), code=code, phrase=phrase)
    key = phrase_key(raw, report_kind, items)
    if key is None and not raw.endswith(("支出", "收入")):
        key = phrase_key(raw + "支出", report_kind, items)  # "社会保障和就业" names its spending
    if key is None:
        # "收入预算", "支出决算": the whole of a flow is its 总计 row (stated as such in the answer)
        flow = "收入" if "收入" in raw else "支出" if "支出" in raw else ""
        rest = re.sub(r"收入|支出|预算|决算|总额|总计|合计|数", "", raw)
        if not flow or rest:
            return None
        key = FigureKey(scope=fund_of(raw), flow=flow, item="总计", stage=stage_of(raw))
    return FigureRequest(key, phrase=phrase)


def _candidates(req: FigureRequest, kf: KeyedFacts) -> list[Fact]:
    key = req.key
    if req.code:
        return [
            f
            for f in kf.facts
            if f.code == req.code
            and f.key is not None
            and f.key.kind == "level"
            and f.key.flow in ("支出", "")
            and (not key.stage or f.key.stage == key.stage)
            and f.key.part == ""
        ]
    return kf.candidates(key)


def figure_in(req: FigureRequest, kf: KeyedFacts) -> FigureRow:
    """The report's figure for the request. The cells of the widest scope the request allows are
    preferred (all funds before one fund, when the request names none); when they disagree the
    report's figure can't be told and the row says so."""

    def row(fact: Fact | None, note: str = "") -> FigureRow:
        return FigureRow(kf.doc_id, kf.title, kf.year, kf.kind, fact, note)

    stage = req.key.stage or report_stage(kf.kind)
    cands = [f for f in _candidates(replace(req, key=replace(req.key, stage=stage)), kf) if f.key is not None]
    if not cands:
        return row(None, f"表中没有「{req.describe()}」" + (f"的{stage}数" if stage else ""))

    def rank(f: Fact) -> tuple[int, int]:
        k = f.key
        assert k is not None
        same_scope = k.scope == req.key.scope if req.key.scope else k.scope in ("全部", "")
        return (0 if same_scope else 1, 0 if k.level == req.key.level else 1)

    best = min(rank(f) for f in cands)
    top = [f for f in cands if rank(f) == best]
    values = {f.value_yuan for f in top}
    if len(values) > 1:
        listed = "；".join(f"{f.table_title}「{f.row_label or f.column}」{f.value}{f.unit}" for f in top[:3])
        return row(None, f"有{len(values)}个不同的数可能对应「{req.describe()}」：{listed}")
    return row(top[0])


def _pct(a: Decimal, b: Decimal) -> str:
    if not b:
        return ""
    return f"（{(a - b) / abs(b) * 100:+.2f}%）"


def compare(
    req: FigureRequest,
    reports: list[KeyedFacts],
    rank: bool = False,
    chunks_of: Callable[[str], list[Chunk]] | None = None,
) -> Comparison:
    """One item across reports: one row per report, in year order (one department over years) or by
    value (a ranking). Only figures of one stage are compared; the rest is listed with the reason.
    With `chunks_of` (a report's passages) each figure also gets the report's own sentence, and a
    report whose tables lack the item gets the figure its text states, if any."""
    rows = [figure_in(req, kf) for kf in reports]
    if chunks_of is not None and len(reports) <= NARRATIVE_LIMIT:
        rows = [_with_text(r, req, kf, chunks_of(kf.doc_id)) for r, kf in zip(rows, reports, strict=True)]
    same_body = len({_body(r.report) for r in rows}) == 1
    if rank or not same_body:
        rows.sort(key=lambda r: (r.value_yuan is None, -(r.value_yuan or 0)))
    else:
        rows.sort(key=lambda r: (r.year or 0, r.report))
    found = [r for r in rows if r.found]
    stages = {r.stage for r in found}
    if len(stages) > 1:
        by_stage = "；".join(
            f"{'、'.join(_short(r) for r in found if r.stage == s)}为{STAGE_WORDS.get(s, s)}" for s in sorted(stages)
        )
        why = f"{by_stage}：预算数是计划，决算数是结果，两者不能直接比较或排名"
        return Comparison(req, tuple(rows), False, why)
    scopes = {r.fact.key.scope for r in found if r.fact is not None and r.fact.key is not None}
    if scopes and any(r.fact is None for r in found):
        scopes.add(req.key.scope or "全部")  # a figure from the text is of the scope the request names
    computed: list[str] = []
    if len(scopes) > 1:
        why = "口径不同：" + "；".join(f"{_short(r)}取自{r.fact.table_title}" for r in found if r.fact is not None)
        return Comparison(req, tuple(rows), False, why)
    if len(found) >= 2 and same_body and not rank and len({r.year for r in found}) == len(found):
        for a, b in zip(found, found[1:], strict=False):
            wa, wb = a.wan(), b.wan()
            if wa is None or wb is None:
                continue
            d = wb - wa
            verb = "增加" if d > 0 else "减少" if d < 0 else "持平"
            amount = f"{abs(d):,}万元" if d else ""
            computed.append(f"{b.year}年比{a.year}年{verb}{amount}{_pct(wb, wa) if d else ''}")
    elif len(found) >= 2:
        found.sort(key=lambda r: -(r.value_yuan or 0))
        top, bottom = found[0], found[-1]
        computed.append(f"最高：{top.report}（{top.wan():,}万元）；最低：{bottom.report}（{bottom.wan():,}万元）")
        years = {r.year for r in found}
        if len(years) == 1 and len({_body(r.report) for r in found}) == len(
            found
        ):  # a 单位预算 is part of its 部门预算
            total = sum((r.wan() or Decimal(0)) for r in found)
            computed.append(f"{len(found)}个报告合计{total:,}万元")
    return Comparison(req, tuple(rows), True, "", tuple(computed))


def _body(title: str) -> str:
    """The body a report is of: its title without year and kind words."""
    t = re.sub(r"20\d\d年度?", "", title)
    return re.sub(r"(?:区级|市级|县级)?(?:部门|单位)?(?:预算|决算|绩效自评报告|整体支出绩效自评报告)$", "", t)


def _short(r: FigureRow) -> str:
    return f"{_body(r.report)}{r.year}年" if r.year else _body(r.report)


SENTENCE_END = re.compile(r"[。；！？!?;\n]")


def _sentence_at(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in SENTENCE_END.finditer(text, 0, start)), default=0)
    right = SENTENCE_END.search(text, end)
    return text[left : right.end() if right else len(text)].strip()


def _told(chunks: list[Chunk], kf: KeyedFacts, fits: Callable[[Statement], bool]) -> Told | None:
    for c in chunks:
        if c.kind != "text":
            continue
        for st in statements(c.text, kf.kind, kf.items, c.section, kf.year):
            m = st.mention
            if st.kind != "level" or m.yuan is None or not fits(st):
                continue
            sentence = _sentence_at(c.text, m.start, m.end)
            return Told(c, sentence, m.value, m.unit, m.yuan, st.key.stage if st.key else "")
    return None


def narrative_for(fact: Fact, kf: KeyedFacts, chunks: list[Chunk]) -> Told | None:
    """The report's own sentence stating this cell's figure: a statement whose key could be the
    cell's and whose amount equals it ("2025年“三公”经费预算数为37.91万元"), with its passage."""
    if fact.key is None or fact.value_yuan is None:
        return None
    key = fact.key
    near = [c for c in chunks if c.kind == "text" and any(money_equal(m, fact) for m in mentions(c.text))]

    def fits(st: Statement) -> bool:
        if not money_equal(st.mention, fact):
            return False
        if st.key is None:  # "万里街道办事处收入预算…": the whole, named by the body's name
            return key.item == "总计" and flow_total(st.phrase) == key.flow
        return compatible(st.key, key)

    return _told(near, kf, fits)


def stated_in(req: FigureRequest, kf: KeyedFacts, chunks: list[Chunk]) -> Told | None:
    """The figure a report's text states for the request when its tables don't hold it (机关运行经费 told
    only in the narrative): the first sentence whose key is the request's."""
    if req.code:
        return None
    key = req.key
    own = key.stage or report_stage(kf.kind)  # a 决算 states its 预算 too ("预算为0.2万元，支出决算为0万元")
    return _told(
        chunks,
        kf,
        lambda st: st.key is not None and compatible(key, st.key) and st.key.stage in ("", own or st.key.stage),
    )


def _with_text(row: FigureRow, req: FigureRequest, kf: KeyedFacts, chunks: list[Chunk]) -> FigureRow:
    if row.fact is not None:
        return replace(row, told=narrative_for(row.fact, kf, chunks))
    told = stated_in(req, kf, chunks)
    return replace(row, told=told, note=row.note if told is None else "表格中未列，取自报告正文")
