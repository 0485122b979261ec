"""Internal consistency of a report: its narrative arithmetic, its narrative against its tables, its
tables' sums, years, placeholders and the standard tables of its kind.

An 错误 (severity "error") is a contradiction a person confirms on the page; what depends on an
uncertain reading is a 提示 ("info") saying why. `audit_report` also says which checks ran and which
could not (no tables, no narrative), so "0 findings" never hides "not checked".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from ingest.keys import LEVEL_MARK, norm, stage_only
from ingest.model import Chunk, Fact
from ingest.pipeline import Store
from ingest.statements import Statement, derived_figures, statements
from rag.audit_model import KIND_LABELS, SEVERITY_LABELS, Finding, unique_findings
from rag.audit_tables import (
    code_sum_findings,
    cross_table_findings,
    empty_table_findings,
    missing_table_findings,
    row_sum_findings,
)
from rag.audit_text import (
    direction_findings,
    parts_findings,
    placeholder_findings,
    rate_findings,
    year_findings,
)
from rag.numbers import KeyedFacts, check_numbers, mentions

__all__ = ["Finding", "KIND_LABELS", "SEVERITY_LABELS", "AuditResult", "audit", "audit_report", "summary"]

# the checks, in the order they are said
CHECKS = {
    "rates": "增幅、增减比例、执行率、占比与金额",
    "direction": "增减方向与数字、零值与增减",
    "parts": "分项与总数",
    "narrative_table": "正文金额与表格",
    "two_amounts": "同一项的两个数、同一数字两处不同",
    "row_sum": "表内行合计",
    "code_sum": "科目汇总（类=Σ款=Σ项）",
    "cross_table": "表与表之间",
    "empty_table": "空表说明",
    "missing_table": "标准报表是否齐全",
    "year_ref": "年份",
    "placeholder": "占位符",
}


@dataclass(frozen=True)
class AuditResult:
    doc_id: str
    findings: tuple[Finding, ...]
    ran: tuple[str, ...]  # check names (CHECKS) that ran
    skipped: tuple[tuple[str, str], ...] = field(default=())  # (check, why it could not run)
    # tables the table checks could not read: "第8页「收入决算表」（列未对齐）"
    unread: tuple[str, ...] = field(default=())


GOVERNMENT = re.compile(r"人民政府|政府预算|政府决算|草案|执行情况的报告|附表|债务")


def _government(title: str) -> bool:
    """A government's budget or final-accounts report (全市/本级 tables), not a department's."""
    return bool(GOVERNMENT.search(title)) and not re.search(r"部门|单位|绩效", title)


def _narrative_table(chunks: list[Chunk], kf: KeyedFacts) -> list[Finding]:
    """Every amount of the narrative against the cell of its key (ingest/keys.py). Only a contradiction
    of a fully keyed cell is an 错误; a last-place difference is 提示 (尾数); an amount in 元 that only
    reconciles in 万元 is a unit slip. In a government's report (全市 and 本级, several years, 累计 figures
    beside one year's tables) a contradiction is 提示 unless the sentence names the table's level."""
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    government = _government(kf.title)
    for c in chunks:
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
            table = str(src.get("table") or "")
            # a 三公 item of the 三公 paragraph is not the 机关运行经费 table's row of that name, nor the reverse
            if any(w in table and w not in sentence + c.section for w in ("机关运行", "三公")):
                continue
            # a row of a table listing projects is a project, not the category the sentence names
            if re.search(r"项目|专项业务经费支出表", table) and "项目" not in sentence:
                continue
            cell = str(src.get("value", ""))
            kind, severity = "narrative_table", "error" if n.status == "mismatch" else "info"
            why = "差在末位，可能是尾数" if n.status == "rounding" else ""
            said = set(re.findall(r"本级|全市|全省|全区", sentence))
            held = set(re.findall(r"本级|全市|全省|全区", table + kf.title))
            if severity == "error" and ("本级" in table or government) and not (said and said <= held):
                severity, why = "info", "政府预决算报告有全市、本级等口径，句子未说是哪一级（也可能是累计数或其他年度）"
            # "项目支出预算417.41万元，…其中：一般公共服务支出417.41万元": the item may be of that part only
            at = re.search(r"(?<![\d.,])" + re.escape(re.sub(r"\s", "", n.text)), sentence)
            said_before = sentence[: at.start()] if at else sentence
            years = re.findall(r"(20\d\d)年", re.split(r"[，,；;]", said_before)[-1])
            if years and kf.year and int(years[-1]) != kf.year:
                continue  # "2025年预算数为9.23万元" in a 2026 budget: another year's figure, not the cell's
            if another_years_table(table, kf.year, [int(y) for y in years]):
                continue
            named = re.findall(r"([^（）()，。；、]+)[（(][款项][）)]", said_before.split("，")[-1])
            row = re.sub(r"^[（(]?[一二三四五六七八九十\d]+[）)、.．]?", "", str(src.get("row") or ""))
            if severity == "error" and named and not row.endswith(named[-1].strip('“”"')):
                severity, why = "info", "句中说的是款或项，表中对应的是类或合计，可能不是同一项"
            # …or under a heading "（二）项目支出：" earlier in the passage
            head = c.text[: c.text.find(sentence[:12])] if sentence[:12] in c.text else ""
            marks = re.findall(r"[（(][一二三四五六七八九十][）)]\s*([^（(：:\n]{0,12})[：:]", head)
            context = said_before + (marks[-1] if marks else "")
            if severity == "error" and re.search(r"基本支出|项目支出", context):
                part = re.findall(r"基本支出|项目支出", context)[-1]
                if part not in str(src.get("key")) and part not in str(src.get("column")):
                    severity, why = "info", f"句中先说了「{part}」，这个数可能只是{part}部分，表中是全部"
            message = (
                f"正文金额与表格不符：{src.get('key') or src.get('row')}在{src.get('table') or '表中'}"
                f"「{src.get('row') or src.get('column')}」为{cell}"
            )
            if _unit_slip(n.text, cell):
                kind, message = "unit_slip", f"计量单位有误：表中为{cell}，文中写成{n.text}"
            out.append(
                Finding(
                    kind,
                    severity,
                    message + ("（尾数差异）" if n.status == "rounding" else ""),
                    cell,
                    n.text,
                    c.page,
                    c.section,
                    sentence,
                    cells=(_cell_text(src),),
                    why=why,
                    fix=(sentence[: at.start()] + cell + sentence[at.end() :]) if at and severity == "error" else "",
                )
            )
    return out


def another_years_table(table: str, year: int | None, said: list[int]) -> bool:
    """A table of another year than the report's, which the sentence does not name ("市本级2025年一般公共预算
    收支平衡情况表" beside "…拟安排" in a 2026 budget report): its cells are not the sentence's figures."""
    held = {int(y) for y in re.findall(r"(20\d\d)年", table)}
    return bool(held and year and year not in held and not held & set(said))


def _unit_slip(said: str, cell: str) -> bool:
    """ "6268.57元" where the cell is 6268.57万元: the same digits, another unit."""
    a, b = re.match(r"([\d,.]+)\s*(\D+)", said.strip()), re.match(r"([\d,.]+)\s*(\D+)", cell.strip())
    if not a or not b or a.group(2) == b.group(2):
        return False
    return Decimal(a.group(1).replace(",", "")) == Decimal(b.group(1).replace(",", ""))


def _cell_text(src: dict) -> str:
    page = f"第{src['page']}页" if src.get("page") else "页码不详"
    return f"{src.get('table')}「{src.get('row')}」「{src.get('column')}」{src.get('value')}（{page}）"


def _sentence_of(text: str, needle: str) -> str:
    """The sentence holding the figure `needle` ("0万元" is not the end of "16,800万元")."""
    figure = re.compile(r"(?<![\d.,])" + re.escape(re.sub(r"\s", "", needle)))
    for s in re.split(r"(?<=[。；])", text):
        flat = re.sub(r"\s+", "", s)
        if figure.search(flat):
            return flat[:300]
    return re.sub(r"\s+", "", text)[:300]


def _label_key(label: str) -> str:
    label = LEVEL_MARK.sub("", norm(label))
    label = re.sub(r"^20\d\d年度?", "", label)
    return re.sub(r"决算数?为?$|为$", "", label)


CHANGE_WORDS = re.compile(r"增加|减少|增长|下降|比|较|持平")


def _two_amounts(chunks: list[Chunk]) -> list[Finding]:
    """One item given two different amounts in the same paragraph: 提示 (two funds or two periods of
    one item read alike are possible). The item is the whole clause before the amount, at least six
    characters without digits."""
    out: list[Finding] = []
    for c in chunks:
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
                            "info",
                            f"同一段中「{item}」有两个不同金额",
                            seen[item][1],
                            m.text,
                            c.page,
                            c.section,
                            para[:300],
                            why="两个数可能属于不同口径或不同时期",
                        )
                    )
                seen.setdefault(item, (m.yuan, m.text))
    return out


OTHER_PERIOD = re.compile(r"上年|去年|同期|上一年|以前年度|年初结转|20\d\d年")


def _same_figure(chunks: list[Chunk], kf: KeyedFacts) -> list[Finding]:
    """One keyed figure stated in two places of the text with two values ("一般公共预算财政拨款支出6,270.96万元"
    in one section, "…6,207.96万元" in another): always 提示 — one sentence form is often filled in for several
    bodies, funds or periods of a report, and a key can't tell them apart."""
    out: list[Finding] = []
    seen: dict[object, tuple[Statement, Chunk]] = {}
    for c in chunks:
        if c.kind != "text":
            continue
        for st in statements(c.text, kf.kind, kf.items, c.section, kf.year):
            m = st.mention
            phrase = norm(st.phrase)
            if st.key is None or st.kind != "level" or m.yuan is None or len(phrase) < 6 or OTHER_PERIOD.search(phrase):
                continue
            if st.key.stage not in ("", "预算", "决算", "执行") or stage_only(st.phrase):
                continue
            if st.key not in seen:
                seen[st.key] = (st, c)
                continue
            first, fc = seen[st.key]
            fm = first.mention
            assert fm.yuan is not None
            if abs(fm.yuan - m.yuan) <= max(fm.half_step_yuan(), m.half_step_yuan()) * 2:
                continue
            # the same sentence printed twice with another number: no other reading of it is possible
            first_sentence, sentence = _sentence_of(fc.text, fm.text), _sentence_of(c.text, m.text)
            out.append(
                Finding(
                    "same_figure",
                    "info",
                    f"同一数字两处不同：「{st.key.describe()}」第{fc.page or '?'}页为{fm.text}，此处为{m.text}",
                    fm.text,
                    m.text,
                    c.page,
                    c.section,
                    sentence,
                    cells=(f"{first_sentence}（第{fc.page or '?'}页）",),
                    why="两处可能是不同口径、不同资金、不同单位或不同时期（同一句式常为各单位分别填写）",
                )
            )
    return out


def audit_report(store: Store, doc_id: str) -> AuditResult:
    """Every check of one report, with which ran and which could not."""
    meta = {r["doc_id"]: r for r in store.catalog.reports()}
    row = meta.get(doc_id, {})
    chunks = store.catalog.doc_chunks(doc_id)
    facts = store.facts.facts((doc_id,))  # read once: a city's report has tens of thousands of cells
    kf = KeyedFacts.of(
        doc_id,
        row.get("title") or doc_id,
        row.get("kind") or "other",
        row.get("year"),
        facts,
        store.facts.doubts(doc_id),
    )
    tables = store.facts.tables(doc_id)
    text = store.catalog.report_text(doc_id)
    kind, year = row.get("kind") or "", row.get("year")
    has_text = any(c.kind == "text" for c in chunks)
    ran: list[str] = []
    skipped: list[tuple[str, str]] = []
    findings: list[Finding] = []

    def run(name: str, ok: bool, why: str, fn) -> None:  # noqa: ANN001
        if ok:
            ran.append(name)
            findings.extend(fn())
        else:
            skipped.append((name, why))

    no_text, no_tables = "报告没有正文", "报告中没有读出表格"
    run("rates", has_text, no_text, lambda: rate_findings(chunks, kf.resolve, year))
    run("direction", has_text, no_text, lambda: direction_findings(chunks))
    run("parts", has_text, no_text, lambda: parts_findings(chunks))
    run(
        "narrative_table",
        has_text and bool(kf.facts),
        no_tables if has_text else no_text,
        lambda: _narrative_table(chunks, kf),
    )
    run("two_amounts", has_text, no_text, lambda: _two_amounts(chunks) + _same_figure(chunks, kf))
    run("row_sum", bool(facts), no_tables, lambda: row_sum_findings(facts))
    run("code_sum", any(f.code for f in facts), "表格没有科目编码", lambda: code_sum_findings(facts))
    run("cross_table", len(tables) > 1, "少于两张表", lambda: cross_table_findings(facts))
    run("empty_table", bool(tables), no_tables, lambda: empty_table_findings(tables, text))
    missing, why = missing_table_findings([t["title"] for t in tables], text, kind)
    if _government(kf.title):
        missing, why = [], "政府预决算报告没有统一的标准报表清单"
    run("missing_table", not why, why, lambda: missing)
    stage = "决算" if kind == "决算" else "预算" if kind == "预算" else ""
    run("year_ref", year is not None, "报告年度不详", lambda: year_findings(chunks, year, stage))
    run("placeholder", bool(chunks), "报告没有内容", lambda: placeholder_findings(chunks))
    order = {"error": 0, "warning": 1, "info": 2}
    findings = unique_findings(_rate_of_a_wrong_amount(findings))
    findings.sort(key=lambda f: order.get(f.severity, 3))
    return AuditResult(doc_id, tuple(findings), tuple(ran), tuple(skipped), _unread(tables, facts))


def _unread(tables: list[dict], facts: list[Fact]) -> tuple[str, ...]:
    """Tables with rows whose columns were not aligned (their cells are not summed) or whose title was
    not read (not compared with other tables): a check that ran did not cover them."""
    read = {f.table_id for f in facts}
    out = []
    for t in tables:
        if not t["rows"] or not any(re.search(r"\d", c) for r in t["rows"] for c in r):
            continue
        where = f"第{t['page']}页" if t.get("page") else ""
        title = re.sub(r"\s", "", t["title"])
        if not t.get("aligned", True) and t["table_id"] in read:
            out.append(f"{where}「{title or '无标题'}」（列未对齐，未核对合计）")
        elif len(re.sub(r"[\d年度]", "", title)) < 4:
            out.append(f"{where}的表（未读出标题，未与其他表核对）")
    return tuple(out)


def _rate_of_a_wrong_amount(findings: list[Finding]) -> list[Finding]:
    """A rate that fits when its amount is read from the table ("2024年预算安排352.67万元，比…增加0.53%" where
    the table says 350.35万元): the amount is the error, said once; the rate is not wrong."""
    wrong = {
        (f.page, re.sub(r"\s", "", f.found)): f
        for f in findings
        if f.kind == "narrative_table" and f.severity == "error"
    }
    out = []
    for f in findings:
        amounts = [a for a in f.cells if (f.page, a) in wrong]
        if f.kind not in ("budget_change", "growth_rate", "execution_rate") or not amounts:
            out.append(f)
            continue
        quote = f.quote
        for a in amounts:
            quote = quote.replace(a, wrong[(f.page, a)].expected, 1)
        redone = [d for d in derived_figures(quote) if f"{d.stated}%" == f.found]
        if not redone or redone[0].status == "mismatch":
            out.append(f)
    return out


def audit(store: Store, doc_id: str) -> list[Finding]:
    return list(audit_report(store, doc_id).findings)


def summary(result: AuditResult) -> str:
    """ "2 个错误，1 个提示；已核对：…；未核对：…（原因）" — the header of a report's audit, in Chinese."""
    errors = sum(1 for f in result.findings if f.severity == "error")
    hints = len(result.findings) - errors
    head = f"{errors} 个错误，{hints} 个提示" if result.findings else "未发现问题"
    ran = "、".join(CHECKS[c] for c in result.ran)
    out = f"{head}；已核对：{ran}" if ran else f"{head}；没有可核对的内容"
    if result.skipped:
        out += "；未核对：" + "；".join(f"{CHECKS[c]}（{why}）" for c, why in result.skipped)
    if result.unread:
        more = f"等{len(result.unread)}张" if len(result.unread) > 3 else ""
        out += f"；未能核对的表：{'、'.join(result.unread[:3])}{more}"
    return out


def finding_line(f: Finding) -> str:
    """One finding as a reader reads it: level, what, where, with the arithmetic and the likely fix."""
    page = f"第{f.page}页" if f.page else "页码不详"
    line = f"[{SEVERITY_LABELS.get(f.severity, f.severity)}] {KIND_LABELS.get(f.kind, f.kind)}：{f.message} · {page}"
    if f.section:
        line += f" · {f.section}"
    if f.arithmetic:
        line += f"\n      计算：{f.arithmetic}"
    if f.quote:
        line += f"\n      原文：「{f.quote[:160]}」"
    if f.fix:
        line += f"\n      可能应为：「{f.fix[:160]}」"
    if f.why:
        line += f"\n      说明：{f.why}"
    return line
