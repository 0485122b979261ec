"""Where a sentence stands: the period it speaks of (another year, half a year, several years added
up), the fund and level its heading names, and the part (项目支出) its paragraph opens with — read from
its own words first, then from the headings above it. The number check, the audit and the probe read
sentences through ingest/statements.py, which keys each amount with these."""

from __future__ import annotations

import re

from ingest.keys import FUNDS, SPEND_PARTS, gov_level_of

_NUMBERED_PART = r"[（(][一二三四五六七八九十\d]+[)）]\s*(" + "|".join(SPEND_PARTS) + ")"
PART_HEAD = re.compile(r"\s*" + _NUMBERED_PART + "[：:]")  # "（二）项目支出：" opening a paragraph
HEAD_PART = re.compile(_NUMBERED_PART + "$")  # the same, as the last heading of a sentence's context


def paragraph_head(text: str, start: int) -> str:
    """The heading a paragraph opens with on its own line ("（二）项目支出：…"), for the sentence at `start`:
    a caller checking that sentence alone adds it to the sentence's context (its items are of that part)."""
    line = text[text.rfind("\n", 0, start) + 1 :]
    m = PART_HEAD.match(line)
    return m.group(0).strip().rstrip("：:") if m else ""


def sentence_context(section: str, text: str, start: int) -> str:
    """The context of the sentence at `start` of a passage under `section`, checked alone: the section
    path, and the part its paragraph opens with."""
    head = paragraph_head(text, start)
    return f"{section} > {head}" if head else section


PARTIAL_YEAR = re.compile(r"上半年|[1一][-—~至到][6六]月|前三季度|[一二三]季度|1[-—~至到]\d{1,2}月")
YEAR = re.compile(r"(?<!\d)(20\d\d)年")


# several years added up ("累计获批…", "五年来累计发放…", "“十四五”时期…"): no one year's table holds it
CUMULATIVE = re.compile(r"累计|[两三四五六七八九十\d]+年来|十[一二三四五六七八九]五(?:”)?(?:时期|期间|以来)")


def other_period(text: str, context: str, year: int | None, clause: str = "", upto: int | None = None) -> str:
    """The stage a sentence speaks of when it is not the report's year: "期中" for half a year or a
    quarter, "累计" for several years added up, "2025年" for another year — a 2026 budget report also
    tells 2025's execution, a city 决算 report the next year's first months. The figure's own clause
    decides first ("2026年…7.61万元，2025年预算数为9.23万元"), then the sentence before the figure (up to
    `upto`), then the nearest heading that names a year. A year compared with ("比2025年预算增加") is the
    base, not the figure's year; a report's title quoted in the text names no period."""
    text = re.sub(r"《[^》]*》", "", text)
    clause = re.sub(r"《[^》]*》", "", clause)
    if CUMULATIVE.search(clause):
        return "累计"
    if PARTIAL_YEAR.search(text) or not YEAR.search(text) and PARTIAL_YEAR.search(context):
        return "期中"
    before = COMPARED_YEAR.sub("", text if upto is None else text[:upto])
    heading_years = next((YEAR.findall(h) for h in headings(context) if YEAR.search(h)), [])
    for said in (YEAR.findall(COMPARED_YEAR.sub("", clause)), YEAR.findall(before), heading_years):
        years = {int(y) for y in said}
        if years:
            other = years.pop() if len(years) == 1 else None
            return f"{other}年" if other and year and other != year else ""
    return ""


# "比2025年预算增加", "与2023年度决算数相比": the year of the base a figure is compared with
COMPARED_YEAR = re.compile(r"(?:比|较|与|同|对比|相比|超过|低于)\s*(?:20\d\d)年")


# "（3）国有资本经营预算拨款收入0万元，与上年预算数相": a sentence a PDF's layout made a heading
STATED = re.compile(r"\d[\d,.]*\s*(?:亿元|万元|元|%)")


def headings(context: str) -> list[str]:
    """The headings of a section path, nearest first, without those that state an amount: a heading
    holds no figure, so such a line is a misread sentence and names no period, fund or level."""
    return [h for h in reversed(context.split(" > ")) if h.strip() and not STATED.search(h)]


def context_scope(context: str) -> tuple[str, str]:
    """The fund and the level (全市 / 本级) the nearest heading names, when it names only one: a sentence
    under "（四）市本级2026年一般公共预算支出预算草案" speaks of that fund and level unless it says otherwise."""
    fund = level = ""
    for heading in headings(context):
        funds = [name for name, pat in FUNDS if name != "财政拨款" and pat.search(heading)]
        if not fund and len(funds) == 1:
            fund = funds[0]
        if not level:
            level = gov_level_of(heading)
        if fund and level:
            break
    return fund, level


# 专项债务 is the debt of the 政府性基金 budget (一般债务 that of the 一般公共预算): a sentence adding up
# "专项债券收入" with other income, and naming no fund, speaks of the 政府性基金 budget
SPECIAL_DEBT = re.compile(r"专项债券|专项债务")


def sentence_fund(sentence: str) -> str:
    """The fund a sentence's own words imply when it names none: 政府性基金 for one counting 专项债券."""
    if any(pat.search(sentence) for _, pat in FUNDS) or re.search(r"一般债券|一般债务", sentence):
        return ""
    return "政府性基金" if SPECIAL_DEBT.search(sentence) else ""
