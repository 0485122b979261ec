"""What a figure means: its key, not its label.

The one place that knows the standard tables, the fund scopes, stages, measures and classification
paths of Chinese budget reports. Table cells (ingest/facts.py) and narrative statements
(ingest/statements.py) are both read into a `FigureKey` here, and the number check, audit, answerer
and compare compare keys — never labels or values alone.

A key field left empty means "not said": it matches anything when a figure is looked up, but a
contradiction is only claimed between figures whose keys were fully told (see `rag/numbers.py`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

# Fund scopes, most specific first. "全部" is all funds (收入支出决算总表, 收入决算表, 支出决算表).
FUNDS = (
    ("一般公共预算", re.compile(r"一般公共预算")),
    ("政府性基金", re.compile(r"政府性基金")),
    ("国有资本经营", re.compile(r"国有资本经营")),
    ("社会保险基金", re.compile(r"社会保险基金")),
    ("财政拨款", re.compile(r"财政拨款")),
)
# the fund names with their "预算" so that "一般公共预算" does not read as the stage 预算
FUND_WORDS = re.compile(
    r"(?:一般公共预算|政府性基金预算|政府性基金|国有资本经营预算|国有资本经营|社会保险基金预算|社会保险基金)"
    r"(?:财政拨款|资金|拨款)?|财政拨款"
)

# Parts of a whole: spending by kind, 基本支出 by 人员/公用, income by source.
PROJECT = "项目"  # the part a project table's rows are: each a project of the 项目支出
SPEND_PARTS = ("基本支出", "项目支出", "上缴上级支出", "经营支出", "对附属单位补助支出")
COST_PARTS = ("人员经费", "公用经费")
INCOME_SOURCES = (
    "上级补助收入",
    "事业单位经营收入",
    "事业收入",
    "经营收入",
    "附属单位上缴收入",
    "其他收入",
    "使用非财政拨款结余",
    "用事业基金弥补收支差额",
)
CARRY = ("年初结转和结余", "年末结转和结余", "结余分配")

# The "三公" family and 机关运行经费, with the ways reports spell them.
SPECIAL_ITEMS = (
    ("三公经费", re.compile(r"[“\"”]?三公[”\"“]?经费(?!和)")),
    ("公务用车购置及运行维护费", re.compile(r"公务用车购置及运行(?:维护)?(?:费|支出)")),
    ("公务用车购置费", re.compile(r"公务用车购置(?:费|支出)|^购置费$")),
    ("公务用车运行维护费", re.compile(r"公务用车运行(?:维护)?(?:费|支出)|^运行(?:维护)?费$")),
    ("因公出国（境）费", re.compile(r"因公出国[（(]?境[）)]?(?:费|经费|支出)")),
    ("公务接待费", re.compile(r"公务接待(?:费|支出)")),
    ("机关运行经费", re.compile(r"机关运行经费")),
)
THREE_PUBLIC = {
    "三公经费",
    "公务用车购置及运行维护费",
    "公务用车购置费",
    "公务用车运行维护费",
    "因公出国（境）费",
    "公务接待费",
}

TOTAL_ROW = re.compile(r"^(?:本年)?(?:收入|支出|收支)?(?:合计|小计)$|^本年(?:收入|支出)$")
GRAND_TOTAL = re.compile(r"总计$|^总(?:收入|支出)$|(?:收入|支出)总量$")
NUMBERING = re.compile(
    r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[、.．]\s*|[①-⑳])\s*"
)
LEVEL_MARK = re.compile(r"[（(][类款项][）)]")

Kind = str  # level | change | rate | share | execution_rate | count | score


@dataclass(frozen=True)
class FigureKey:
    """What a figure is. `item` "" with a scope is the scope's whole ("一般公共预算财政拨款支出");
    `path` holds the classification names from 类 down to the item when known."""

    scope: str = ""  # 全部 | 财政拨款 | 一般公共预算 | 政府性基金 | 国有资本经营 | 社会保险基金 | "" (not said)
    flow: str = ""  # 收入 | 支出 | ""
    part: str = ""  # "" whole | 基本支出 | 项目支出 | 人员经费 | 公用经费 | an income source
    item: str = ""  # classification item, 三公 item, 总计, a carry-over row, or "" (the whole of the scope)
    path: tuple[str, ...] = ()
    stage: str = ""  # 决算 | 预算 | 调整预算 | 上年 | 执行 | ""
    kind: Kind = "level"
    level: str = ""  # city reports: 全市 (the whole city) | 本级 (the city's own budget) | ""

    def describe(self) -> str:
        bits = [
            self.level,
            self.scope if self.scope not in ("", "全部") else "",
            "（" + " > ".join(self.path) + "）" if self.path else self.item,
            self.part,
            self.flow if not self.item else "",
            self.stage,
        ]
        return " ".join(b for b in bits if b) or "（未能确定）"


def norm(text: str) -> str:
    """Label normal form: NFKC, full-width brackets, no spaces, quotes or numbering."""
    t = unicodedata.normalize("NFKC", text or "")
    t = t.replace("(", "（").replace(")", "）")
    t = re.sub(r"[\s\"“”‘’'`]", "", t)
    t = NUMBERING.sub("", t)
    t = NUMBERING.sub("", t)  # "1.（1）"
    return t.strip("：:").strip()


def fund_of(text: str) -> str:
    for name, pat in FUNDS:
        if pat.search(text):
            return name
    return ""


def special_item(text: str) -> str:
    """The 三公 item (or 机关运行经费) a text names; of several, the one named last — "“三公”经费预算中
    因公出国（境）费" is the 因公出国（境）费 — and of two ending together, the longer."""
    best: tuple[int, int, str] | None = None
    for name, pat in SPECIAL_ITEMS:
        for m in pat.finditer(text):
            cand = (m.end(), -m.start(), name)
            if best is None or cand[:2] > best[:2]:
                best = cand
    return best[2] if best else ""


def stage_of(text: str, default: str = "") -> str:
    """The stage a label speaks of; fund names ("一般公共预算") are not the stage 预算."""
    rest = FUND_WORDS.sub("", text)
    if "上年" in rest:
        return "上年"
    if "调整预算" in rest:
        return "调整预算"
    if re.search(r"执行数|执行情况|预算执行|快报数?|完成数", rest) and ("预算" in rest or default != "决算"):
        return "执行"  # the year's outturn (快报数: as first reported); in a 决算 report that is its 决算
    if "决算" in rest:
        return "决算"
    if "预算" in rest:
        return "预算"
    return default


GOV_LEVEL = re.compile(r"(?:[市省区县州旗盟]|地区)本级|本级(?:财政|预算|政府)|全[市省区县]")


def gov_level_of(text: str) -> str:
    """The level a sentence or heading names as a government's ("市本级", "地区本级财政", "全市"), not a
    department's own unit ("清城区工业和信息化局（本级）"): what a figure in the text is keyed with."""
    m = GOV_LEVEL.search(text)
    return ("本级" if "本级" in m.group(0) else "全市") if m else ""


def report_stage(report_kind: str) -> str:
    # a 绩效自评 report speaks of the year's actual spending, like a 决算
    return {"决算": "决算", "预算": "预算", "绩效自评": "决算"}.get(report_kind, "")


# ---------------------------------------------------------------------------------------- tables
@dataclass(frozen=True)
class TableProfile:
    """What a standard table counts, told by its title (and header): cells inherit these."""

    name: str  # 总表 | 收入表 | 支出表 | 财政拨款总表 | 基本支出表 | 三公表 | 绩效表 | 转移支付表 | 债务表 | ""
    scope: str
    flow: str
    part: str
    stage: str
    level: str = ""

    @property
    def known(self) -> bool:
        return bool(self.name)


def table_profile(title: str, report_kind: str, year: int | None = None) -> TableProfile:
    profile = _profile(norm(title), report_kind)
    years = {int(y) for y in re.findall(r"(?<!\d)(20\d\d)年", title)}
    if year and len(years) == 1 and year not in years:
        # "市本级2025年一般公共预算收支平衡情况表" in a 2026 budget report: that year's figures, its stage
        # told by the title or the column ("快报数"), else unknown (ingest/statements.py keys the text alike)
        profile = replace(profile, stage=f"{years.pop()}年{stage_of(norm(title))}")
    # a city's 附表 are either the whole city's or its own (本级); department tables are neither
    level = (
        "本级"
        if "本级" in title
        else "全市"
        if profile.known
        and (
            re.search(r"全[市省区县]", norm(title))
            or re.search(r"[市省](?:一般公共|政府性基金|国有资本|社会保险|本级)", norm(title))
        )
        else ""
    )
    return replace(profile, level=level)


def _profile(t: str, report_kind: str) -> TableProfile:
    stage = stage_of(t, report_stage(report_kind))
    if not t:
        return TableProfile("", "", "", "", stage)
    if re.search(r"绩效|指标", t):
        return TableProfile("绩效表", "", "", "", stage)
    if re.search(r"债务|债券", t):
        return TableProfile("债务表", "", "", "", stage)
    if re.search(r"转移支付|对下|返还", t):
        # its 卫生健康支出 is the part of that spending paid to lower governments, not the whole
        return TableProfile("转移支付表", fund_of(t), "支出", "转移支付", stage)
    if "三公" in t:
        return TableProfile("三公表", "财政拨款", "支出", "", stage)
    if "机关运行经费" in t:
        return TableProfile("三公表", "财政拨款", "支出", "", stage)
    fund = fund_of(t) or "全部"
    if "项目支出" in t and not re.search(r"基本支出|收支|收入", t):
        return TableProfile("支出表", fund, "支出", PROJECT, stage)  # its rows are projects
    if "基本支出" in t:
        return TableProfile("基本支出表", fund if fund != "全部" else "一般公共预算", "支出", "基本支出", stage)
    has_in, has_out = "收入" in t or "收支" in t, "支出" in t or "收支" in t
    if has_in and has_out:
        name = "财政拨款总表" if fund == "财政拨款" else "总表"
        return TableProfile(name, fund, "", "", stage)
    if has_in:
        return TableProfile("收入表", fund, "收入", "", stage)
    if has_out:
        return TableProfile("支出表", fund, "支出", "", stage)
    if re.search(r"决算表|预算表|总表", t):
        return TableProfile("其他表", fund, "", "", stage)
    return TableProfile("", "", "", "", stage)


PERCENT_COLUMN = re.compile(r"%|％|比例|增长|增减|完成预算|执行率|比重")
TOTAL_COLUMN = re.compile(
    r"^(?:本年)?(?:收入|支出)?(?:合计|小计|总计)$|^(?:决算|预算|执行)数?$|^金额$|^本年(?:收入|支出)$"
)


def column_key(column_path: str, profile: TableProfile, year: int | None = None) -> dict[str, str]:
    """Key fields a column adds: a part (基本支出 …), a fund (一般公共预算财政拨款 …), a stage
    (预算数 / 决算数 / 上年), an item (三公 tables name items in columns), or a percentage kind."""
    out: dict[str, str] = {}
    parts = [norm(p) for p in column_path.split(" > ") if norm(p)]
    joined = "".join(parts)
    if PERCENT_COLUMN.search(joined):
        out["kind"] = "execution_rate" if "完成" in joined or "执行率" in joined else "rate"
        return out
    for p in parts:
        carry = carry_item(p)
        if carry:
            out["item"] = carry
        elif p in ("本年收入", "收入"):
            out["flow"] = "收入"
        elif p in ("本年支出", "支出"):
            out["flow"] = "支出"
        if p in SPEND_PARTS or p in COST_PARTS:
            out["part"] = p
        elif p in INCOME_SOURCES:
            out["part"] = p
        elif fund_of(p) and profile.name in ("财政拨款总表", "收入表", "总表", "其他表"):
            out["scope"] = fund_of(p)
        item = special_item(p)
        if item:
            out["item"] = item
    st = stage_of(joined, "")
    if st:
        out["stage"] = st
    dated = re.search(r"(20\d\d)年", joined)
    if dated:
        out["year"] = dated.group(1)
    if dated and year and int(dated.group(1)) < year:
        out["stage"] = "上年"  # "2020年决算" in a 2021 report
    return out


def carry_item(label: str) -> str:
    """ "年初财政拨款结转和结余" / "年末结转和结余" → the carry-over item it is."""
    lab = label.replace("财政拨款", "")
    return next((c for c in CARRY if lab.startswith(c)), "")


def row_key(label: str, profile: TableProfile, half_flow: str) -> dict[str, str]:
    """Key fields a row label adds: fund totals ("一般公共预算财政拨款收入"), parts, carry-over and
    grand totals, or a classification item (the label itself)."""
    lab = LEVEL_MARK.sub("", norm(label))
    out: dict[str, str] = {}
    if not lab:
        return out
    flow = "收入" if lab.endswith("收入") else "支出" if lab.endswith("支出") else ""
    if GRAND_TOTAL.search(lab):
        out["item"] = "总计"
        out["flow"] = flow or ("收入" if "收入" in lab else "支出" if "支出" in lab else half_flow)
        return out
    if TOTAL_ROW.match(lab) or lab in ("合计", "小计"):
        out["item"] = ""
        out["total_row"] = "1"
        if flow:
            out["flow"] = flow
        return out
    carry = carry_item(lab)
    if carry:
        out["item"] = carry
        return out
    for part in SPEND_PARTS + COST_PARTS:
        if lab in (part, part + "合计", part + "小计"):
            out["part"] = part
            out["item"] = ""
            return out
    for src in INCOME_SOURCES:
        if lab == src:
            out["part"] = src
            out["item"] = ""
            out["flow"] = "收入"
            return out
    special = special_item(lab)
    if special and profile.name in ("三公表", "") and not re.search(r"\d{3}", lab):
        out["item"] = special
        return out
    fund = fund_of(lab)
    rest = FUND_WORDS.sub("", lab)
    if fund and re.fullmatch(r"(?:收入|支出|资金|拨款|预算)?(?:合计|小计)?", rest):
        out["scope"] = fund
        out["item"] = ""
        if flow or rest.startswith(("收入", "支出")):
            out["flow"] = flow or rest[:2]
        if rest.endswith(("合计", "小计")):
            out["total_row"] = "1"
        return out
    out["item"] = re.sub(r"(?<=..)(?:小计|合计)$", "", lab)  # "(一)税收收入小计" is 税收收入
    if flow:
        out["flow"] = flow
    return out


def cell_key(
    profile: TableProfile,
    row_label: str,
    path: tuple[str, ...],
    column_path: str,
    half_flow: str,
    report_kind: str,
    year: int | None = None,
    under: str = "",
) -> FigureKey | None:
    """The key of one table cell, or None when the table is not one whose cells can be keyed."""
    if profile.name in ("绩效表", ""):
        return None
    col = column_key(column_path, profile, year)
    row = row_key(row_label, profile, half_flow) if row_label else {}
    item = row.get("item", "")
    if under and row.get("scope") and not item:
        item = under  # "一般公共预算财政拨款" listed under "年初财政拨款结转和结余"
    if col.get("item") in CARRY:
        item = col["item"]
    if not row_label and col.get("item"):
        item = col["item"]  # 三公 tables: items in columns, one row of values
    elif not row_label:
        item = ""
        last = norm(column_path.split(" > ")[-1]) if column_path else ""
        if (
            profile.name == "三公表"
            and last
            and not TOTAL_COLUMN.search(last)
            and not re.search(r"三公|合计|小计|总计", last)
        ):
            item = last  # "会议费", "培训费": columns beside the 三公 items in one table, not part of them
    if profile.name == "三公表" and not item:
        item = "三公经费"
    if profile.name == "三公表" and row.get("total_row") and col.get("item"):
        item = col["item"]
    # a 收入 table lists income by the 功能分类 (支出) item it funds: the table's flow wins there
    flow = profile.flow or row.get("flow") or col.get("flow") or half_flow
    scope = row.get("scope") or col.get("scope") or profile.scope
    part = row.get("part") or col.get("part") or profile.part
    if profile.name == "转移支付表" and re.search(r"转移支付|返还|补助", row_label):
        part = ""  # "三、专项转移支付", "返还性支出": the transfers themselves
    if profile.name == "基本支出表" and part == "基本支出" and col.get("part") in COST_PARTS and item == "":
        part = col["part"]  # the 合计 row's 人员经费 / 公用经费 column
    stage = col.get("stage") or profile.stage or report_stage(report_kind)
    dated = YEAR_STAGE.fullmatch(profile.stage)
    if dated and col.get("year") and col["year"] != dated.group(1):  # its "2024年决算数" column
        stage = f"{col['year']}年{stage_of(column_path)}"
    elif dated:  # a table of another year: its year, with the title's or else the column's stage
        base = col.get("stage", "")
        stage = profile.stage if dated.group(2) or base in ("", "上年") else profile.stage + base
    if item in THREE_PUBLIC:
        scope = "财政拨款"  # 三公 figures are reported for 财政拨款 spending only
    return FigureKey(
        scope=scope,
        flow=flow,
        part=part,
        item=item,
        path=path if item and item not in THREE_PUBLIC else (),
        stage=stage,
        kind=col.get("kind", "level"),
        level=profile.level,
    )


# ---------------------------------------------------------------------------------------- phrases
STAGE_ONLY = re.compile(
    r"^(?:20\d\d年度?)?(?:完成)?(?:当年|全年|年初|本年|调整)?(?:支出)?"
    r"(?:预算执行数|预算安排|预算数?|决算数?|执行数|调整预算数?)(?:为|是)?$"
)
# a name may hold one bracketed word of its own: "中医（民族）医院（项）"
_PATH_NAME = r"(?:[^（）“”\"]|（(?![类款项]）)[^（）“”\"]{1,8}）)"
PATH_FORM = re.compile(rf"({_PATH_NAME}{{2,30}}?)（类）({_PATH_NAME}{{1,30}}?)（款）(?:({_PATH_NAME}{{1,30}}?)（项）)?")


def phrase_key(phrase: str, report_kind: str, items: frozenset[str] = frozenset()) -> FigureKey | None:
    key = _phrase_key(phrase, report_kind, items)
    return replace(key, level=gov_level_of(phrase)) if key is not None else None


def _phrase_key(phrase: str, report_kind: str, items: frozenset[str]) -> FigureKey | None:
    """The key of the figure a narrative phrase names ("一般公共预算财政拨款基本支出", "“三公”经费
    财政拨款支出决算", "一般公共服务支出（类）组织事务（款）一般行政管理事务（项）"), or None when the
    phrase names nothing a table could hold. `items` are the report's own classification names."""
    raw = unicodedata.normalize("NFKC", phrase).replace("(", "（").replace(")", "）")
    raw = re.sub(r"[\s\"“”‘’']", "", raw)
    raw = re.sub(r"（类）支出", "支出（类）", raw).replace("支出支出", "支出")  # "科学技术（类）支出"
    m = PATH_FORM.search(raw)
    stage = stage_of(raw, report_stage(report_kind))
    if m and not m.group(3) and "（项）" in raw[m.end() :]:
        return None  # a 项 named but not read: its 款 is not the figure's item
    if m:
        path = tuple(x for x in (m.group(1), m.group(2), m.group(3)) if x)
        path = tuple(NUMBERING.sub("", p) for p in path)
        return FigureKey(
            scope=fund_of(raw[: m.start()]),
            flow="支出" if path[0].endswith("支出") else "",
            item=path[-1],
            path=path,
            stage=stage,
        )
    lab = LEVEL_MARK.sub("", norm(raw)).replace("支出支出", "支出")
    lab = re.sub(r"^.*?(?:20\d\d年度?|本年度?|全年)", "", lab) or lab
    lab = re.sub(r"^(?:全市|全省|全区|全县|市本级|区本级|县本级|本级)", "", lab)
    lab = re.sub(r"(?:决算|预算)?(?:数)?(?:为|是|完成|规模达到|达到?|共计|合计为|总额为|总额|共)$", "", lab)
    lab = re.sub(r"(?:决算|预算)(?:数)?$", "", lab)
    if not lab:
        return None
    special = special_item(lab)
    if special:
        scope = "财政拨款"
        part = "基本支出" if "基本支出" in lab and special not in THREE_PUBLIC else ""
        return FigureKey(scope=scope, flow="支出", part=part, item=special, stage=stage)
    fund = fund_of(lab)
    flow = "收入" if re.search(r"收入", lab) else "支出" if re.search(r"支出", lab) else ""
    if GRAND_TOTAL.search(lab) or re.search(r"收入支出总计|收支总计", lab):
        return FigureKey(
            scope=fund, flow=flow if not re.search(r"收入支出|收支", lab) else "", item="总计", stage=stage
        )
    part = next((p for p in SPEND_PARTS + COST_PARTS if p in lab), "")
    rest = FUND_WORDS.sub("", lab)
    if part:
        rest = rest.replace(part, "")
    rest = re.sub(r"^(?:本年|当年)", "", rest)
    rest = re.sub(r"(?:收入|支出)?(?:合计|小计|总额)?$", "", rest) if rest not in INCOME_SOURCES else rest
    if rest in INCOME_SOURCES:
        return FigureKey(scope=fund or "全部", flow="收入", part=rest, stage=stage)
    if not rest:
        if not fund and not part and not re.search(r"本年|合计", lab):
            return None  # "收入" alone names no figure
        return FigureKey(scope=fund, flow=flow, part=part, item="", stage=stage)
    # a classification item the report's tables hold: "科学技术支出", "社会保障和就业支出"
    # the label's suffixes looked up in the items (a city report holds thousands of items; a label has ~20 suffixes)
    candidates = [lab[k:] for k in range(len(lab) - 2) if lab[k:] in items]
    if candidates:
        item = max(candidates, key=len)
        head = lab[: -len(item)]
        if head and not starts_word(lab, len(head)):
            return None  # "普通教育支出", "其他科学技术支出": a narrower item than the table's 教育支出
        return FigureKey(
            scope=fund_of(head),
            flow="支出" if item.endswith("支出") else flow,
            part=part if part in head else "",
            item=item,
            stage=stage,
        )
    return None


def starts_word(text: str, i: int) -> bool:
    """Does a word start at text[i]? Not after 其他 (the classification's residual item of what follows)
    and not inside a word jieba reads across it ("普通|教育支出" is 普通教育 + 支出)."""
    if text[:i].endswith("其他"):
        return False
    from ingest.index import words

    at = 0
    for w in words(text):
        if at >= i:
            return at == i
        at += len(w)
    return at == i


# "万里街道办事处收入预算16497.86万元", "支出决算总额…": a body's whole income or spending, its 总计 row
FLOW_TOTAL = re.compile(r"(?:^|[局会处府室院所心部站队])(收入|支出)(?:预算|决算)?(?:总额|总计|合计)?数?(?:为|是|共)?$")


def flow_total(phrase: str) -> str:
    """The flow (收入 / 支出) whose whole a phrase names by the body's name alone, or ""."""
    m = FLOW_TOTAL.search(norm(phrase))
    return m.group(1) if m else ""


def stage_only(phrase: str) -> str:
    """ "完成全年预算" / "年初预算为" / "支出决算数为" / "2023年当年预算执行数为": a figure of the subject
    named before (in the sentence or the paragraph), at this stage; "" when the phrase names more."""
    p = norm(phrase)
    if not STAGE_ONLY.match(p):
        return ""
    if "执行数" in p:
        return "执行"
    if "调整预算" in p:
        return "调整预算"
    return "决算" if "决算" in p else "预算"


# ---------------------------------------------------------------------------------------- matching
YEAR_STAGE = re.compile(r"(20\d\d)年(.*)")


def stages_agree(said: str, cell: str) -> bool:
    """Can a figure of stage `said` be a cell of stage `cell`? Either unknown, or equal; a year's stage
    ("2025年", "2025年执行") needs the same year and, when both say one, the same stage."""
    if not said or not cell or said == cell:
        return True
    a, b = YEAR_STAGE.fullmatch(said), YEAR_STAGE.fullmatch(cell)
    if not a or not b or a.group(1) != b.group(1):
        return False
    return not a.group(2) or not b.group(2) or a.group(2) == b.group(2)


def _names_equal(a: str, b: str) -> bool:
    return LEVEL_MARK.sub("", norm(a)) == LEVEL_MARK.sub("", norm(b))


def compatible(said: FigureKey, cell: FigureKey) -> bool:
    """Could `cell` be the figure `said` names? Fields the statement leaves empty match anything,
    except the part: a figure with no part named is the whole, never its 基本支出 column — but a project
    table's row is named by the project alone. Stages of another year match by year (`stages_agree`)."""
    if said.kind != cell.kind:
        return False
    if said.scope and cell.scope and said.scope != cell.scope:
        return False
    if said.flow and cell.flow and said.flow != cell.flow:
        return False
    if said.part != cell.part and not (cell.part == PROJECT and said.part in ("", "项目支出") and not said.path):
        return False  # a project is named by its own name; a classification path is never a project row
    if not stages_agree(said.stage, cell.stage):
        return False
    if said.level and cell.level and said.level != cell.level:
        return False
    if not _names_equal(said.item, cell.item):
        return False
    if said.path and cell.path:
        n = len(said.path)
        if len(cell.path) < n or not all(_names_equal(a, b) for a, b in zip(said.path, cell.path[-n:], strict=True)):
            return False
    return True
