"""Follow-up questions: what the previous question named (report, year, fund scope, measure, item)
carries into a question that leaves it out. Rule-based, so the interpretation shown is the question
answered ("理解为：清城区工信局2024年一般公共预算财政拨款收入是多少？").

A follow-up is a question that names no indexed report. An elliptical one ("那一般公共预算呢？",
"2023年呢？", "支出呢？") swaps one part of the previous question; a full one without a report
("三公经费是多少？") gets the previous report and year in front; a bare predicate ("为什么？",
"比上年增长多少？") is asked of the previous question's item.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from ingest.errors import BadInputError
from rag.figures import ALL_REPORTS_CUE

# a fund scope as a question names it; keys.FUND_WORDS adds 财政拨款/资金 to the name, a follow-up swaps the name
FUND_NAME = re.compile(r"一般公共预算|政府性基金(?:预算)?|国有资本经营(?:预算)?|社会保险基金(?:预算)?")
MEASURE = re.compile(r"收入|支出")
STAGE = re.compile(r"(?<!一般公共)(?<!基金)(?<!经营)预算数?|决算数?")
YEAR_WORD = re.compile(r"(?<!\d)20\d\d\s*年度?")
LEAD = re.compile(r"^(?:那么|那|还有|另外|再问一下|再问|请问|and\s+)", re.I)
ELLIPSIS_END = re.compile(r"(?:的情况|情况)?(?:呢|又如何|又是多少|怎么样)?[？?。！!\s]*$")
# where the question part of a question starts: "是多少", "为什么", "比上年…"
PREDICATE = re.compile(
    r"(?:是|为|共)?(?:多少|几|为什么|为何|什么|哪些|怎么|如何|是否|有没有)"
    r"|比上年|较上年|同比|增长了|减少了|增加了|占(?:比|多少)"
)
QUESTION_ONLY = re.compile(
    r"^(?:那么|那|这|它|其|该项?|这项|这个)?(?:为什么|为何|原因是什么|原因|什么原因)?"
    r"(?:是|有|共|为)?(?:(?:比上年|较上年|同比)?(?:增加|减少|增长|下降|变化)了?(?:多少|几成|多少万元)?)?"
    r"(?:是多少|多少|占比多少|占多少)?(?:呢|吗)?[？?。！!\s]*$"
)

NamesIn = Callable[[str], set[str]]  # the words of a text that name an indexed report


@dataclass(frozen=True)
class Turn:
    """What a question was understood to ask, kept to read the next one."""

    asked: str
    understood: str
    subject: str  # the words naming the report(s): "清城区工信局"
    doc_ids: tuple[str, ...] = ()

    @property
    def rewritten(self) -> bool:
        return self.asked.strip() != self.understood


def _year(text: str) -> str:
    m = YEAR_WORD.search(text)
    return m.group().replace(" ", "") if m else ""


def _subject(question: str, names: set[str]) -> str:
    """The span of the question naming the report(s): from the first to the end of the last name."""
    spans = [(m.start(), m.end()) for n in names for m in re.finditer(re.escape(n), question)]
    if not spans:
        return ""
    return question[min(s for s, _ in spans) : max(e for _, e in spans)]


def _swap(pattern: re.Pattern[str], text: str, new: str) -> str | None:
    """The last match of pattern in text replaced by new (an item's scope word stands last)."""
    found = list(pattern.finditer(text))
    if not found:
        return None
    m = found[-1]
    return text[: m.start()] + new + text[m.end() :]


def _predicate_at(text: str) -> int:
    m = PREDICATE.search(text)
    return m.start() if m else len(text.rstrip("？?。"))


def _item_span(previous: Turn) -> tuple[int, int]:
    """Where the previous question's item stands: after its subject and year, before its predicate."""
    q = previous.understood
    start = 0
    for anchor in (previous.subject, _year(q)):
        if anchor and anchor in q:
            start = max(start, q.index(anchor) + len(anchor))
    end = _predicate_at(q[start:]) + start
    return start, end


def _fragment(question: str) -> str | None:
    """The words of an elliptical follow-up ("那一般公共预算呢？" → "一般公共预算"); None for a full question."""
    q = question.strip()
    if not re.search(r"呢|又如何|又是多少|怎么样[？?]?$", q) and not LEAD.match(q):
        return None
    core = ELLIPSIS_END.sub("", LEAD.sub("", q)).strip(" ，,的")
    if not core or PREDICATE.search(core):
        return None
    return core


def interpret(question: str, previous: Turn | None, names_in: NamesIn) -> Turn:
    """The question as it will be asked: itself when it names a report or there is nothing before it,
    else completed from the previous turn."""
    q = question.strip()
    names = names_in(q)
    fragment = _fragment(q)
    if previous is not None and fragment and names and _only_names(fragment, names):
        subject = _subject(fragment, names)  # "那北关区工信局呢？": the same question of another report
        prev = previous.understood
        if previous.subject and previous.subject in prev:
            understood = prev.replace(previous.subject, subject, 1)
        else:
            understood = subject + prev
        if _year(fragment):
            understood = _swap(YEAR_WORD, understood, _year(fragment)) or understood
        return Turn(q, understood, subject)
    if names or previous is None or ALL_REPORTS_CUE.search(q):
        return Turn(q, q, _subject(q, names))
    prev = previous.understood
    if fragment is not None:
        understood = _elliptical(fragment, previous, names_in)
    elif QUESTION_ONLY.match(q):
        start, end = _item_span(previous)
        head = prev[:end].rstrip("，, ")
        understood = head + q.lstrip("那这它其该项个么")
    else:
        year = "" if _year(q) else _year(prev)
        understood = previous.subject + year + q
    return Turn(q, understood, previous.subject, previous.doc_ids)


def _only_names(fragment: str, names: set[str]) -> bool:
    rest = YEAR_WORD.sub("", fragment)
    for n in sorted(names, key=len, reverse=True):
        rest = rest.replace(n, "")
    return not rest.strip(" 的和及、")


def _elliptical(fragment: str, previous: Turn, names_in: NamesIn) -> str:
    prev = previous.understood
    if YEAR_WORD.fullmatch(fragment) or re.fullmatch(r"20\d\d", fragment):
        year = fragment if fragment.endswith(("年", "年度")) else fragment + "年"
        return _swap(YEAR_WORD, prev, year) or previous.subject + year + prev[len(previous.subject) :]
    if FUND_NAME.fullmatch(fragment):
        return _swap(FUND_NAME, prev, fragment) or _insert_item_prefix(previous, fragment)
    if MEASURE.fullmatch(fragment):
        return _swap(MEASURE, prev, fragment) or prev
    if STAGE.fullmatch(fragment):
        return _swap(STAGE, prev, fragment) or _insert_item_prefix(previous, fragment)
    start, end = _item_span(previous)
    return prev[:start] + fragment + prev[end:]


def _insert_item_prefix(previous: Turn, word: str) -> str:
    start, _ = _item_span(previous)
    q = previous.understood
    return q[:start] + word + q[start:]


# --- sessions for scripts: `budgetqa ask --session NAME` ------------------------------------
SESSION_NAME = re.compile(r"^[\w\-]{1,64}$")


def session_path(folder: Path, name: str) -> Path:
    if not SESSION_NAME.match(name):
        raise BadInputError(f"对话名称「{name}」不能用；请只用字母、数字、“-”或“_”（最多 64 个）")
    return folder / f"{name}.json"


def load_turn(path: Path) -> Turn | None:
    """The last turn of a session; None when the session is new. A damaged file starts afresh."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Turn(data["asked"], data["understood"], data["subject"], tuple(data.get("doc_ids", ())))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_turn(path: Path, turn: Turn) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(turn), ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
