"""What a question asks for, read from its wording: an amount, a change, a rate or share, a reason,
a list — several at once in a composite question ("是多少？为什么减少？", "安排多少？比上年增长多少？").
The answerer makes sure every part asked for is in the quoted passages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.statements import AMOUNT

WHY = re.compile(r"为什么|为何|原因|怎么会|\bwhy\b|\breasons?\b", re.I)
HOW_MUCH = re.compile(
    r"多少|几|金额|数额|how much|how many|what (?:was|is) the (?:amount|total)|\bamount\b|\btotal\b", re.I
)
CHANGE = re.compile(
    r"(?:增加|减少|增长|下降|增减|变化|变动|多了|少了|涨|降)(?:了)?(?:多少|几)|比.{0,12}(?:多|少)(?:了)?(?:多少|几)"
    r"|\bhow did\b.*\bchange\b|\b(?:increase|decrease|rise|fall|grow|drop)\b.*\bby how much\b",
    re.I,
)
RATE = re.compile(
    r"百分之|比例|比重|占比|占多少|各占|增长率|执行率|完成率|完成.{0,6}预算|几成|\bpercent|\bshare\b|\brate\b", re.I
)
LISTING = re.compile(r"哪些|哪几|构成|组成|主要用于|用在|用于什么|\bwhich\b|\bwhat (?:for|items)\b", re.I)

# what a quoted sentence must show for each part
SHOWS = {
    "amount": re.compile(AMOUNT + r"\s*(?:亿元|万元|千元|元|个|项|人|辆|台|次|家|分)"),
    "change": re.compile(r"(?:增加|减少|增长|下降|持平|增减)\s*(?:了)?\s*[\d-]|比.{0,20}(?:增加|减少|增长|下降|持平)"),
    "rate": re.compile(r"\d(?:[\d,]*)(?:\.\d+)?\s*[%％]|\d+(?:\.\d+)?\s*倍"),
    "reason": re.compile(r"主要原因|原因是|原因：|原因:|主要是|主要由于|由于|一是"),
    "listing": re.compile(r"主要用于|包括|其中|：一是|一是"),
}


@dataclass(frozen=True)
class Asks:
    parts: frozenset[str]

    @property
    def why(self) -> bool:
        return "reason" in self.parts

    @property
    def how_much(self) -> bool:
        return "amount" in self.parts and not self.why

    def missing(self, texts: list[str]) -> list[str]:
        """Parts asked for that none of the texts shows."""
        return [p for p in sorted(self.parts) if not any(SHOWS[p].search(t) for t in texts)]

    def missing_in(self, part: str, text: str) -> bool:
        return not SHOWS[part].search(text)


YEAR = re.compile(r"(?<!\d)(20\d\d)(?!\d)")
YEAR_RANGE = re.compile(r"(?<!\d)(20\d\d)\s*年?\s*(?:—|–|-|~|～|至|到)\s*(20\d\d)(?!\d)")


def years_in(text: str) -> set[int]:
    """The years a text names, a range ("2023—2025年", "2023至2025") counting every year in it."""
    years = {int(y) for y in YEAR.findall(text)}
    for a, b in YEAR_RANGE.findall(text):
        lo, hi = sorted((int(a), int(b)))
        if hi - lo <= 20:
            years |= set(range(lo, hi + 1))
    return years


def report_years(report: dict) -> set[int]:
    """The years an indexed report is about: both years of a government report on one year's execution
    and the next year's draft (its identity's `years`, corrections applied), else its year."""
    years = {int(y) for y in report.get("years") or () if y}
    return years or ({int(report["year"])} if report.get("year") else set())


# "2024年…比2023年多", "与2023年相比，2024年…": one year measured against another
YEAR_AGAINST = re.compile(
    r"(?<!\d)(20\d\d)(?!\d)[^\d。]{0,40}?(?:比|较|相比|相较|同比)\s*(20\d\d)(?!\d)"
    r"|(?:与|和|同|跟)\s*(20\d\d)\s*年?\s*(?:相比|相较|比较)[^\d。？?]{0,20}?(20\d\d)(?!\d)"
)


def compared_years(question: str) -> tuple[int, int] | None:
    """(year, against) when the question measures one year against another: the report of the later
    year is the one that speaks of both (a report compares its year with the one before)."""
    m = YEAR_AGAINST.search(question)
    if not m:
        return None
    if m.group(1):
        return int(m.group(1)), int(m.group(2))
    return int(m.group(4)), int(m.group(3))


def read_question(question: str) -> Asks:
    parts = set()
    if WHY.search(question):
        parts.add("reason")
    if HOW_MUCH.search(question):
        parts.add("amount")
    if CHANGE.search(question):
        parts.add("change")
    if RATE.search(question):
        parts.add("rate")
    if LISTING.search(question):
        parts.add("listing")
    return Asks(frozenset(parts))
