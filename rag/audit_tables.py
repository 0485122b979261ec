"""Checks of a report's tables: row sums (合计 = its component columns, however many), 类 = Σ款 = Σ项,
the same item in two tables, empty tables without a note, and the standard tables of the report's kind.

Differences of one unit in the last place are rounding (尾数误差): 提示, not 错误.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from ingest.facts import UNIT_FACTOR
from ingest.keys import INCOME_SOURCES, LEVEL_MARK, SPEND_PARTS, fund_of, norm
from ingest.model import Fact
from rag.audit_model import Finding

TOTAL_WORDS = ("合计", "小计", "本年支出合计", "本年收入合计", "总计")
# columns a total is known to be made of: a row of only these is checked as a certain sum
KNOWN_PARTS = (
    set(SPEND_PARTS)
    | set(INCOME_SOURCES)
    | {
        "人员经费",
        "公用经费",
        "一般公共预算",
        "政府性基金预算",
        "国有资本经营预算",
        "一般公共预算财政拨款",
        "政府性基金预算财政拨款",
        "国有资本经营预算财政拨款",
        "购置费",
        "运行费",
        "公务用车购置费",
        "公务用车运行维护费",
        "财政拨款收入",
        "事业收入",
        "其他收入",
        "事业单位经营支出",
        "事业单位经营收入",
    }
)
NOT_A_PART = re.compile(
    r"%|％|比例|增减|增长|变动|上年(?!结转|结余)|年初(?!结转)|预算数|决算数|执行|完成|占|编码|代码|行次|科目|项目$|名称"
)


@lru_cache(maxsize=4096)
def _not_a_part(column: str) -> bool:
    return bool(NOT_A_PART.search(column))


def _step(values: list[Decimal]) -> Decimal:
    """The last printed place; "1,570,351.00" in a table of whole 万元 is printed to the unit."""
    d = max((len(str(v).split(".")[1].rstrip("0")) if "." in str(v) else 0) for v in values)
    return Decimal(10) ** -d


def _severity(diff: Decimal, step: Decimal, parts: int = 2) -> str:
    """One unit in the last place per summed part can be rounding of its parts (尾数): 提示; more: 错误."""
    return "info" if diff <= step * max(parts, 2) + Decimal("1e-9") else "error"


def _split(column: str) -> tuple[str, str]:
    parent, _, leaf = column.rpartition(" > ")
    return parent, leaf


def row_sum_findings(facts: list[Fact]) -> list[Finding]:
    """合计 = the sum of the columns beside it under the same header (基本支出 + 项目支出 + 单位预留机动经费…).
    A sum that differs is an 错误 when every column beside the total is a known part of it, else 提示."""
    out: list[Finding] = []
    # one printed row (its source line): rows of one label under other classifications are other rows
    rows: dict[tuple[str, str, str, int | None, str], dict[str, Fact]] = {}
    for f in facts:
        if f.flagged or not f.column or f.unit == "%":
            continue
        rows.setdefault((f.table_id, f.row_label, f.code, f.page, f.source), {})[f.column] = f
    for (_, label, _code, _page, _src), cols in rows.items():
        for column, total in cols.items():
            parent, leaf = _split(column)
            if leaf not in TOTAL_WORDS:
                continue
            # every leaf under the total's header, nested groups included ("财政拨款收入 > 一般公共预算" beside
            # "上级补助收入"); a group's own 小计 is not a part
            prefix = f"{parent} > " if parent else ""
            sibs = [
                (c[len(prefix) :], f)
                for c, f in cols.items()
                if c != column and c.startswith(prefix) and _split(c)[1] not in TOTAL_WORDS
            ]
            sibs = [(lf, f) for lf, f in sibs if not _not_a_part(lf)]
            # a group's own total column ("一般公共预算" above its 基本支出 | 项目支出) is not a part beside them
            sibs = [(lf, f) for lf, f in sibs if not any(o.startswith(lf + " > ") for o, _ in sibs)]
            numbers = sorted({f.value for f in cols.values()})
            counting = (
                len(numbers) >= 3
                and all(v == int(v) for v in numbers)
                and numbers == list(map(Decimal, range(int(numbers[0]), int(numbers[0]) + len(numbers))))
            )
            if len(sibs) < 2 or counting:
                continue  # a 栏次 row (1 2 3 …) numbers the columns
            values = [total.value] + [f.value for _, f in sibs]
            s = sum((f.value for _, f in sibs), Decimal(0))
            step = _step(values)
            diff = abs(total.value - s)
            # a cell printed with fewer decimals ("22,118,861" beside "86,959,408.34") hides up to half its unit
            hidden = sum((_step([v]) / 2 for v in values), Decimal(0))
            if diff <= step / 2 or (diff <= hidden and any(_step([v]) > step for v in values)):
                continue
            known = all(_split(lf)[1] in KNOWN_PARTS for lf, _ in sibs)
            severity = _severity(diff, step, len(sibs)) if known else "info"
            names = "+".join(lf for lf, _ in sibs)
            out.append(
                Finding(
                    "row_sum",
                    severity,
                    f"「{label}」{leaf}不等于各列之和（{names}）",
                    f"{s}",
                    f"{total.value}",
                    total.page,
                    total.table_title,
                    total.source,
                    cells=tuple(f"{lf} {f.value}" for lf, f in sibs),
                    arithmetic=" + ".join(str(f.value) for _, f in sibs) + f" = {s}",
                    why="" if known else f"不能确定「{names}」就是「{leaf}」的全部组成部分",
                )
            )
    return out


def code_sum_findings(facts: list[Fact]) -> list[Finding]:
    """类 = Σ款, 款 = Σ项 by 科目编码, per table and column (a table continued on later pages is one table)."""
    out: list[Finding] = []
    groups: dict[tuple[str, str], dict[str, Fact]] = {}
    dup: set[tuple[str, str, str]] = set()
    for f in facts:
        if f.flagged or not f.code or not f.column or f.unit == "%" or NOT_A_PART.search(f.column):
            continue
        if not re.fullmatch(r"[2-5]\d{2}(\d{2}){0,2}", f.code):
            continue  # 功能分类 2xx, 经济分类 3xx/5xx; a 绩效 table's "100" is a target, not a code
        if re.search(r"绩效|指标", f.table_title + f.column):
            continue
        g = groups.setdefault((f.table_id, f.column), {})
        if f.code in g and g[f.code].value != f.value:
            dup.add((f.table_id, f.column, f.code))  # one code twice with two values: the rows can't be summed
        g.setdefault(f.code, f)
    codes: dict[str, set[str]] = {}
    for (table, _), by_code in groups.items():
        codes.setdefault(table, set()).update(by_code)
    # the code a table ends on, and the pages holding tables: a table ending inside a 类 whose next page
    # holds another table may go on there (a continuation read as a table of its own)
    last_code: dict[str, str] = {}
    last_page: dict[str, int] = {}
    pages_of: dict[int, set[str]] = {}
    for f in facts:
        if f.code and f.table_id in codes:
            last_code[f.table_id] = f.code
        if f.page is not None:
            last_page[f.table_id] = max(last_page.get(f.table_id, 0), f.page)
            pages_of.setdefault(f.page, set()).add(f.table_id)
    for (table, column), by_code in groups.items():
        for code, parent in by_code.items():
            if len(code) not in (3, 5):
                continue
            kids = [f for c, f in by_code.items() if len(c) == len(code) + 2 and c.startswith(code)]
            if not kids:
                continue
            # a 项 of the table whose cell in this column was not read: the column can't be summed
            if len([c for c in codes[table] if len(c) == len(code) + 2 and c.startswith(code)]) != len(kids):
                continue
            s = sum((k.value for k in kids), Decimal(0))
            step = _step([parent.value] + [k.value for k in kids])
            diff = abs(parent.value - s)
            if diff > step / 2:
                level = "类" if len(code) == 3 else "款"
                why = (
                    "同一科目编码在表中出现两次，数值不同" if any(t == table and c == column for t, c, _ in dup) else ""
                )
                page = last_page.get(table)
                if (
                    not why
                    and last_code.get(table, "").startswith(code)
                    and page is not None
                    and pages_of.get(page + 1, set()) - {table}
                ):
                    why = f"表格在第{page}页结束于本{level}之内，下级科目可能续在下一页（未与本表连在一起）"
                out.append(
                    Finding(
                        "code_sum",
                        "info" if why else _severity(diff, step, len(kids)),
                        f"{code} {parent.row_label}（{level}）的「{column}」不等于下级科目之和",
                        f"{s}",
                        f"{parent.value}",
                        parent.page,
                        parent.table_title,
                        parent.source,
                        cells=tuple(f"{k.code} {k.row_label} {k.value}（第{k.page}页）" for k in kids),
                        arithmetic=" + ".join(str(k.value) for k in kids) + f" = {s}，表中为{parent.value}",
                        why=why,
                    )
                )
    return out


@lru_cache(maxsize=4096)
def _label_key(label: str) -> str:
    """A row label in the normal form of ingest/keys.py, without year and verbs."""
    label = LEVEL_MARK.sub("", norm(label))
    label = re.sub(r"^20\d\d年度?", "", label)
    return re.sub(r"决算数?为?$|为$", "", label)


TOTAL_COLUMNS = {"合计", "本年支出合计", "决算数", "支出决算数", "小计", "金额", "预算数", "总计"}
NOT_COMPARABLE_TABLES = re.compile(r"基本支出|三公|项目支出|经济分类|绩效|机关运行|采购|项目")
GENERIC_ROWS = re.compile(r"合计|总计|小计|结转|结余|^其中")


AREA = re.compile(
    r"^(?:20\d\d\s*年度?)?([\u4e00-\u9fff]{2,12}?(?:新区|[省市区县州旗盟]))(?=一般公共|政府性基金|国有资本|社会保险|本级|全)"
)


def area_of(title: str) -> str:
    """The place a government's table is of ("2026年济南高新区政府性基金…" → 济南高新区): tables of two areas
    count different money. A department's table names no place before its fund: ""."""
    m = AREA.match(re.sub(r"\s+", "", title))
    return m.group(1) if m else ""


@lru_cache(maxsize=4096)
def _other_stage_column(column: str) -> bool:
    return bool(re.search(r"增减|增长|比上年|%|％|上年|调整|执行|变动|完成", column))


@lru_cache(maxsize=4096)
def _table_group(title: str) -> tuple[str, str] | None:
    """(fund, level + area + stage) of the money a table counts; None for a table not compared."""
    if NOT_COMPARABLE_TABLES.search(title) or ("收入" in title and "支出" not in title):
        return None
    if len(re.sub(r"[\s\d年度]", "", title)) < 4:
        return None  # a table whose title was not read: what money it counts is not known
    # 全区 and 本级 tables of a government's report count different money; 市级/省级 tables are the 本级's,
    # and a budget 代编 (compiled for the whole area, lower levels included) is not the 本级's either
    level = "".join(
        "本级" if w.endswith("级") else w
        for w in re.findall(r"本级|[省市县区]级|全市|全省|全区|全县|全地区|全州|汇总|代编", title)
    )
    # …and so do a year's 执行情况 and the next year's 草案 (a title whose year was lost still says its stage)
    stage = "".join(re.findall(r"执行|草案|调整|决算|预计|快报|完成", title))
    return fund_of(title) or "全部", level + area_of(title) + stage


def cross_table_findings(facts: list[Fact]) -> list[Finding]:
    """The same 功能分类 item (a 支出 row) in two tables of one report that count the same money (all funds,
    财政拨款, or one fund), with different totals: 科学技术支出 in 收入支出决算总表 and in 支出决算表."""
    out: list[Finding] = []
    groups: dict[tuple[str, str, str], dict[str, Fact]] = {}
    rows_of: dict[tuple[str, str], set[str]] = {}
    for f in facts:
        rows_of.setdefault((f.table_id, _label_key(f.row_label)), set()).add(f.source)
    for f in facts:
        leaf = f.column.split(" > ")[-1] if f.column else ""
        if f.flagged or leaf not in TOTAL_COLUMNS or f.unit == "%" or _other_stage_column(f.column):
            continue  # a change, a rate or another stage's column: not the item's total
        label = _label_key(f.row_label)
        if not label.endswith("支出") or GENERIC_ROWS.search(label):
            continue
        if re.match(r"[35]", f.code or "") or len(rows_of[(f.table_id, label)]) > 1:
            continue  # 经济分类 rows, or a label on many rows of its table (one per 功能分类): not one item
        group = _table_group(f.table_title)
        if group is not None:
            groups.setdefault((*group, label), {}).setdefault(f.table_id, f)
    for (_, _, label), by_table in groups.items():
        first, *others = by_table.values()
        for other in others:
            if first.value_yuan is None or other.value_yuan is None:
                continue
            years = {t: set(re.findall(r"20\d\d", t)) for t in (first.table_title, other.table_title)}
            if all(years.values()) and not years[first.table_title] & years[other.table_title]:
                continue  # tables of two years
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
                        cells=(
                            f"{first.table_title}「{first.row_label}」{first.value}{first.unit}（第{first.page}页）",
                            f"{other.table_title}「{other.row_label}」{other.value}{other.unit}（第{other.page}页）",
                        ),
                    )
                )
    return out


# ---------------------------------------------------------------------------------------- presence
# the standard tables of a department's 决算 and 预算 (names vary by province; each a pattern over the title)
STANDARD = {
    "决算": (
        ("收入支出决算总表", r"^(?!.*财政拨款).*收入支出决算总表"),
        ("收入决算表", r"^(?!.*(?:支出|财政拨款)).*收入决算表"),
        ("支出决算表", r"^(?!.*(?:收入|财政拨款|基本支出|三公|项目支出)).*支出决算表"),
        ("财政拨款收入支出决算总表", r"财政拨款收入支出决算总表"),
        ("一般公共预算财政拨款支出决算表", r"一般公共预算财政拨款支出决算表"),
        ("一般公共预算财政拨款基本支出决算(明细)表", r"基本支出决算(?:明细)?表"),
        ("政府性基金预算财政拨款收入支出决算表", r"政府性基金"),
        ("国有资本经营预算财政拨款支出决算表", r"国有资本经营"),
        ("“三公”经费支出决算表", r"三公"),
    ),
    # a 部门预算's tables, named alike by the provinces' templates (收支总表 / 财务收支预算总表 / 部门收支总体情况表…)
    "预算": (
        ("收支总表", r"^(?!.*(?:财政拨款|政府性基金|国有资本)).*收支(?:预算)?总(?:体情况)?表"),
        ("收入总表", r"^(?!.*(?:支出|财政拨款)).*收入(?:预算)?总(?:体情况)?表"),
        (
            "支出总表",
            r"^(?!.*(?:收入|财政拨款|基本支出|项目支出|三公|一般公共|政府性基金|国有资本)).*支出(?:预算)?总(?:体情况)?表",
        ),
        ("财政拨款收支总表", r"财政拨款收支(?:预算)?总(?:体情况)?表"),
        (
            "一般公共预算支出表",
            r"^(?!.*(?:基本支出|三公|经济|项目支出|机关运行)).*一般公共预算(?:拨款)?支出|财政拨款支出表",
        ),
        ("一般公共预算基本支出表", r"基本支出(?!总表)|一般公共预算支出[^表]*表[（(]按经济"),
        ("政府性基金预算支出表", r"政府性基金"),
        ("国有资本经营预算支出表", r"国有资本经营"),
        ("“三公”经费支出表", r"三公"),
    ),
}
ABSENCE_NOTE = re.compile(
    r"无数据|空表|没有(?:使用|安排)?[^。；，]{0,20}(?:收入|支出|收支|经费)|无[^。；，]{0,12}(?:收入|支出|收支)|不涉及"
)


NUMBERED_ONLY = re.compile(r"^(?:公开|预算|决算)?(?:表)?\d+表?$|^表\d+$")


def missing_table_findings(titles: list[str], text: str, kind: str) -> tuple[list[Finding], str]:
    """The standard tables of the report's kind that are not in it; ("", reason) when it can't be told.
    A 决算's nine tables are one national set: a missing one is an 错误 unless the text explains it or it
    is a fund's table (left out when empty in some templates). A 预算's set varies by province: 提示."""
    standard = STANDARD.get(kind)
    if not standard:
        return [], f"没有{kind or '此类报告'}的标准报表清单"
    flat = [re.sub(r"[\s“”\"]", "", t) for t in titles]
    present = [name for name, pat in standard if any(re.search(pat, t) for t in flat)]
    if len(present) < len(standard) - 3:
        return [], f"只读出{len(present)}张标准报表，表格可能未读出，不判断缺表"
    numbered = [t for t in flat if NUMBERED_ONLY.match(t)]
    out = []
    for name, pat in standard:
        if name in present:
            continue
        core = re.sub(r"^\^\(\?!.*?\)\)\.\*", "", pat)  # the title's words, without "not a …" guards
        said = [m.group(0) for m in re.finditer(r"[^。\n]{0,60}(?:" + core + r")[^。\n]{0,60}", text)]
        explained = any(ABSENCE_NOTE.search(s) for s in said)
        # 政府性基金 and 国有资本经营 tables are left out when empty in some years' and provinces' templates
        optional = "政府性基金" in name or "国有资本" in name
        why = (
            "正文说明了没有这类收支，可能是按规定不公开空表"
            if explained
            else "部分年份和地区的公开模板在没有这类资金时不列此表"
            if optional
            else f"报告中有只写表号的表（{'、'.join(numbered[:3])}），可能就是此表"
            if numbered
            else "各地部门预算的公开报表不尽相同，此表可能以其他名称或合并在别的表中"
            if kind == "预算"
            else ""
        )
        out.append(
            Finding(
                "missing_table",
                "info" if why else "error",
                f"缺少标准报表「{name}」",
                name,
                "（未见此表）",
                None,
                "",
                (said[0] if said else "")[:300],
                why=why,
                fix=f"补上「{name}」（无数据时公开空表并注明）",
            )
        )
    return out, ""


FIGURE = re.compile(r"[1-9]\d{2,}|[1-9]\d*\.\d|0\.\d*[1-9]")
EMPTY_NOTE = re.compile(
    r"无数据|空表|无发生|未发生|无收支|无(?:此|相关)|没有|不涉及|未发生|无[^，。；]{0,10}(?:收入|支出|经费)"
)


# a sentence saying the body has no money of a fund (not "收入0万元，比上年减少…", a change of it)
ABSENT = re.compile(
    r"无[^。；，,]{0,16}(?:收入|支出|收支|资金)|没有[^。；，,]{0,16}(?:收入|支出|收支|资金)|空表|不涉及"
)


def empty_table_findings(tables: list[dict], text: str) -> list[Finding]:
    """A table with no figure in it and no note ("本表无数据", "本部门没有…") in the table or near its title
    in the text; or whose note names another kind of money (a 政府性基金 table noting 国有资本经营)."""
    out: list[Finding] = []
    flat, sentences = "", []  # the text without spaces, read only when a table is empty (most are not)
    for t in tables:
        cells = [c for r in t["rows"] for c in r]
        if FIGURE.search(" ".join(cells)):
            continue  # it holds figures (also a row read as one cell: "泰山区… 36796 20656 …")
        if len(re.sub(r"\s", "", t["title"])) < 4 or any(re.search(r"%|％|指标", c) for c in cells):
            continue  # an untitled table, or a table of targets: not one of the report's money tables
        numbers = [c for c in cells if re.fullmatch(r"-?[\d,]+(?:\.\d+)?", c.strip() or "x")]
        if not t["rows"] or any(re.sub(r"[0.,\-]", "", c) for c in numbers):
            continue
        if any(not re.fullmatch(r"[\d,.\-—\s]*", c) and len(c) > 25 for c in cells):
            continue  # a table of text (a narrative row), not a table of figures
        notes = [c for c in cells + [t["title"]] if EMPTY_NOTE.search(c)]
        if not flat:
            flat = re.sub(r"[ \t]", "", text)
            sentences = re.split(r"[。\n]", flat)
        title = re.sub(r"\s", "", t["title"])
        near = [flat[m.start() : m.end() + 600] for m in re.finditer(re.escape(title), flat)] if len(title) >= 4 else []
        notes += [s for s in near if EMPTY_NOTE.search(s)]
        fund = fund_of(title)
        if fund and fund != fund_of("一般公共预算"):
            # "本部门无当年政府性基金预算收支，并已公开空表。" under the narrative's own heading for that fund
            notes += [s for s in sentences if fund_of(s) == fund and ABSENT.search(s)]
        other = [n for n in notes if fund and fund_of(n) and fund_of(n) != fund]
        if notes and not other:
            continue
        out.append(
            Finding(
                "empty_table",
                "info" if other else "error",
                f"空表「{t['title']}」" + ("的说明讲的是另一类资金" if other else "没有说明（如“本表无数据”）"),
                "注明本表为空的原因",
                other[0][:80] if other else "（无说明）",
                t.get("page"),
                t["title"],
                " ".join(" ".join(r) for r in t["rows"][:3])[:300],
                why="说明可能指本表" if other else "",
            )
        )
    return out
