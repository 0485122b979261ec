"""Internal consistency of a report: narrative arithmetic, row sums, code hierarchy sums.

Differences of one unit in the last place are rounding (尾数误差): info, not error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from ingest.facts import UNIT_FACTOR
from ingest.keys import LEVEL_MARK, fund_of, norm
from ingest.model import Fact
from ingest.pipeline import Store
from rag.numbers import check_numbers, derived_figures, keyed_reports, mentions

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
    cells: tuple[str, ...] = ()  # the cells or amounts it summed or compared, each with its place


def _severity(diff: Decimal, step: Decimal, parts: int = 2) -> str:
    """One unit in the last place is 尾数误差 (info); up to half a unit per summed part can still be
    rounding of many parts (warning); more is an error."""
    if diff <= step + Decimal("1e-9"):
        return "info"
    return "warning" if diff <= step * parts / 2 + Decimal("1e-9") else "error"


MESSAGES = {
    "budget_change": "增减比例与两个年度的金额不符：按金额计算应为{v}",
    "growth_rate": "增幅与金额不符：按金额计算应为{v}",
    "execution_rate": "完成预算比例（执行率）与金额不符：应为{v}",
    "share": "占比与金额不符：按金额计算应为{v}",
}


def narrative_findings(store: Store, doc_id: str) -> list[Finding]:
    """Rates, shares and execution rates recomputed from the amounts they refer to (ingest/statements.py),
    with the rounding of the printed amounts allowed for."""
    meta = {r["doc_id"]: r for r in store.catalog.reports()}
    kf = keyed_reports(store.facts, meta, (doc_id,))[0]
    out: list[Finding] = []
    for c in store.catalog.doc_chunks(doc_id):
        if c.kind != "text":
            continue
        for d in derived_figures(c.text, kf.resolve):
            if d.status == "verified":
                continue
            expected = f"{d.computed:.{d.decimals}f}%"
            out.append(
                Finding(
                    d.kind,
                    "info" if d.status == "rounding" else "error",
                    MESSAGES[d.kind].format(v=expected),
                    expected,
                    f"{d.stated}%",
                    c.page,
                    c.section,
                    d.quote,
                    cells=d.inputs,
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
        # a cell printed with fewer decimals ("22,118,861" beside "86,959,408.34") may hide up to half its unit
        hidden = sum((_step([v]) / 2 for v in [total.value] + [p.value for p in parts]), Decimal(0))
        if diff <= hidden and any(_step([v]) > step for v in [total.value] + [p.value for p in parts]):
            continue
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


def narrative_table_findings(store: Store, doc_id: str) -> list[Finding]:
    """Every amount of the narrative against the cell of its key (ingest/keys.py): "一般公共预算财政
    拨款收入6,268.57万元", "财政拨款收入支出总计" (with the department's name in the label), a
    "（类）（款）（项）" path, a 三公 item. Only a contradiction of a fully keyed cell is an error —
    a last-place difference is info (尾数); changes, parts and items the tables don't hold are left out."""
    meta = {r["doc_id"]: r for r in store.catalog.reports()}
    kf = keyed_reports(store.facts, meta, (doc_id,))[0]
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for c in store.catalog.doc_chunks(doc_id):
        if c.kind != "text":
            continue
        for n in check_numbers(c.text, [kf], [c.text], c.section):
            if n.status not in ("mismatch", "rounding") or "derived" in n.source:
                continue
            sentence = _sentence_of(c.text, n.text)
            if (n.text, sentence) in seen:
                continue
            seen.add((n.text, sentence))
            src = n.source
            out.append(
                Finding(
                    "narrative_table",
                    "error" if n.status == "mismatch" else "info",
                    f"正文金额与表格不符：{src.get('key') or src.get('row')}在{src.get('table') or '表中'}"
                    f"「{src.get('row') or src.get('column')}」为{src.get('value')}"
                    + ("（尾数差异）" if n.status == "rounding" else ""),
                    str(src.get("value", "")),
                    n.text,
                    c.page,
                    c.section,
                    sentence,
                    cells=(_cell_text(src),),
                )
            )
    return out


def _cell_text(src: dict) -> str:
    page = f"第{src['page']}页" if src.get("page") else "页码不详"
    return f"{src.get('table')}「{src.get('row')}」「{src.get('column')}」{src.get('value')}（{page}）"


def _label_key(label: str) -> str:
    """A row label or a narrative clause in the normal form of ingest/keys.py, without year and verbs."""
    label = LEVEL_MARK.sub("", norm(label))
    label = re.sub(r"^20\d\d年度?", "", label)
    return re.sub(r"决算数?为?$|为$", "", label)


def two_amounts_findings(store: Store, doc_id: str) -> list[Finding]:
    """One item given two different amounts in the same paragraph (numbered point). The item is the
    whole clause before the amount, at least six characters without digits, so that "共涉及资金" of two
    fund groups or two similarly named items do not collide."""
    out: list[Finding] = []
    for c in store.catalog.doc_chunks(doc_id):
        if c.kind != "text":
            continue
        for para in c.text.split("\n"):
            seen: dict[str, tuple[Decimal, str]] = {}
            for m in mentions(para):
                if m.yuan is None:
                    continue
                item = _label_key(re.split(r"[，,。；;：:、]", para[: m.start])[-1])
                if len(item) < 6 or re.search(r"\d", item) or re.match(r"共|其中|合计|涉及", item):
                    continue
                if CHANGE_WORDS.search(item):
                    continue
                if item in seen and seen[item][0] != m.yuan:
                    out.append(
                        Finding(
                            "two_amounts",
                            "warning",
                            f"同一段中「{item}」有两个不同金额",
                            seen[item][1],
                            m.text,
                            c.page,
                            c.section,
                            para[:300],
                        )
                    )
                seen.setdefault(item, (m.yuan, m.text))
    return out


CHANGE_WORDS = re.compile(r"增加|减少|增长|下降|比|较|持平")


TOTAL_COLUMNS = {"合计", "本年支出合计", "决算数", "支出决算数", "小计", "金额", "预算数", "总计"}
NOT_COMPARABLE_TABLES = re.compile(r"基本支出|三公|项目支出|经济分类|绩效|机关运行")
GENERIC_ROWS = re.compile(r"合计|总计|小计|结转|结余|^其中")


def _scope(title: str) -> str:
    """Tables only agree on an item when they count the same money: all funds, 财政拨款, or one fund."""
    return fund_of(title) or "全部"


def cross_table_findings(facts: list[Fact]) -> list[Finding]:
    """The same 功能分类 item (a 支出 row) in two tables of one report that count the same money, with
    different totals: 科学技术支出 in 收入支出决算总表 and in 支出决算表, say."""
    out: list[Finding] = []
    groups: dict[tuple[str, str], dict[str, Fact]] = {}
    for f in facts:
        leaf = f.column.split(" > ")[-1] if f.column else ""
        label = _label_key(f.row_label)
        if f.flagged or leaf not in TOTAL_COLUMNS or not label.endswith("支出") or GENERIC_ROWS.search(label):
            continue
        if NOT_COMPARABLE_TABLES.search(f.table_title) or ("收入" in f.table_title and "支出" not in f.table_title):
            continue
        groups.setdefault((_scope(f.table_title), label), {}).setdefault(f.table_id, f)
    for (_, label), by_table in groups.items():
        first, *others = by_table.values()
        for other in others:
            if first.value_yuan is None or other.value_yuan is None:
                continue
            step = max(_step([first.value, other.value]) * UNIT_FACTOR.get(first.unit, Decimal(1)), Decimal("0.01"))
            diff = abs(first.value_yuan - other.value_yuan)
            if diff > step / 2:
                out.append(
                    Finding(
                        "cross_table",
                        _severity(diff, step),
                        f"「{label}」在两张表中金额不同：{first.table_title}为{first.value}{first.unit}",
                        f"{first.value}{first.unit}",
                        f"{other.value}{other.unit}（{other.table_title}）",
                        other.page,
                        other.table_title,
                        other.source,
                    )
                )
    return out


def _sentence_of(text: str, needle: str) -> str:
    for s in re.split(r"(?<=[。；])", text):
        if needle in s:
            return s.strip()[:300]
    return text[:300]


# what each kind of finding checks, as a reader says it
KIND_LABELS = {
    "budget_change": "增减比例",
    "growth_rate": "增幅",
    "execution_rate": "执行率",
    "share": "占比",
    "row_sum": "行合计",
    "code_sum": "科目汇总",
    "narrative_table": "文字与表格",
    "two_amounts": "同一项两个数",
    "cross_table": "表与表之间",
}
SEVERITY_LABELS = {"error": "错误", "warning": "警告", "info": "提示"}


def audit(store: Store, doc_id: str) -> list[Finding]:
    facts = store.facts.facts((doc_id,))
    findings = (
        narrative_findings(store, doc_id)
        + narrative_table_findings(store, doc_id)
        + two_amounts_findings(store, doc_id)
        + row_sum_findings(facts)
        + code_sum_findings(facts)
        + cross_table_findings(facts)
    )
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(findings, key=lambda f: order[f.severity])
