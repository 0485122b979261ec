"""The offline answerer: picks the sentences and table rows that answer the question, quotes them
verbatim with [n] markers, and abstains when nothing matches well enough. Every number it states is
in a cited passage because it only ever quotes."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ingest.model import Answer, Citation, Retrieved
from rag.cellwords import row_in_words
from rag.question import read_question, years_in
from rag.tuning import DEFAULT_TUNING

CAUSE_CUE = re.compile(r"主要原因|主要变动情况|主要是|原因是|原因：|原因:|主要用于|主要包括|一是")
AMOUNT = re.compile(r"\d[\d,]*(?:\.\d+)?\s*(?:万元|亿元|元|%|个|家|人|辆|台|套|项|次|场|分)")
NONE_CUE = re.compile(r"没有|^无|本部门无|本单位无|年度无|不涉及|本表无数据|无此类")
# "表 6 基本支出构成情况。", "图5-2：…科目结构": a table's or chart's caption names an item but says nothing of it
CAPTION = re.compile(r"(?:表|图)\s*[\d一二三四五六七八九十]+(?:[-－.]\d+)?\s*[：:]?[^\d。]{0,40}[。.]?")
NEAR = 8  # an amount this many characters after the item's name is that item's amount
QUESTION_WORDS = re.compile(
    r"为什么|为何|是什么|什么|是多少|多少|哪些|哪个|哪里|怎么样|怎样|如何|请问|原因|情况|吗|呢|？|\?|。|，|,|的|是|有|了|年度|年"
)
MIN_COVERAGE = DEFAULT_TUNING.min_coverage
CONTEXT_WEIGHT = 0.5
# an enumeration of thirty amounts in one sentence contains every word by chance; quoting it answers nothing
LENGTH_PENALTY = 0.15
PAIR_WEIGHT = 0.9
ITEM_ROW_BONUS = 0.15  # a table row whose label is an item the question names word for word  # two sentences read together cover more by chance: they count a little less
LONG_UNIT = 400
OTHER_YEAR_PENALTY = 0.3  # a sentence (or its heading) of another year than the one asked
OTHER_LEVEL_PENALTY = 0.2
WHOLE = re.compile(r"全市|全省|全区|全县|全州|全地区")
OWN = re.compile(r"市本级|市级|省本级|省级|区本级|县本级|州本级|地区本级|本级")


def level_in(text: str) -> str:
    """全市 or 本级 when a text names exactly one of them ("" for none or both)."""
    whole, own = bool(WHOLE.search(text)), bool(OWN.search(text))
    return "全市" if whole and not own else "本级" if own and not whole else ""


# "比2025年执行数增长2%": the year a figure is compared with is not the sentence's own
COMPARED_YEAR = re.compile(r"(?:比|较|同比|相比|与|对比)\s*20\d\d\s*年?")
POOL_READ = 30  # passages the answerer reads: the fused ranking's top is often a table row list, not the sentence
SENT_SPLIT = re.compile(r"(?<=[。！？；!?])")


@dataclass
class _Unit:
    passage: int  # index into retrieved
    text: str
    score: float
    pos: int  # order inside the passage
    is_row: bool


def content_of(question: str, aliases: set[str], departments: list[str] | None = None) -> str:
    """The part of the question that names the item: no report or department names, years or
    question words."""
    q = question
    for a in sorted(aliases, key=len, reverse=True):  # before department words: "曲江区" whole, not "曲江"+"区"
        q = q.replace(a, " ")
    if departments:
        from ingest.index import words

        for w in words(q):
            if len(w) >= 2 and any(w in d for d in departments):
                q = q.replace(w, " ")
    q = re.sub(r"20\d\d\s*年?度?", " ", q)
    q = re.sub(r"(?<![0-9])[A-Za-z]+", " ", q)  # English words go; "5G" stays
    q = QUESTION_WORDS.sub(" ", q)
    q = re.sub(r"[“”\"‘’'「」《》()（）、：:；;！!]", "", q)  # quotes vary between reports; the words matter
    return " ".join(p for p in q.split() if len(p) >= 2 or p.isdigit())


def unknown_places(question: str, passages: list[Retrieved], departments: list[str]) -> list[str]:
    """Places the question names that neither the passages nor the reports' names mention ("深圳市南山区…"
    asked of a corpus without it): the reports don't speak of them, whatever else matches."""
    from ingest.parse import NOT_PLACE, strip_place_prefix
    from rag.names import PLACE, abbreviates, spelled_in

    hay = "\n".join([r.chunk.text for r in passages] + [r.chunk.title for r in passages] + departments)
    names = [r.chunk.title for r in passages] + departments
    out = []
    inner = NOT_PLACE | set("局委办部院处会室所站")  # a place name has none of these inside
    for m in PLACE.finditer(question):
        place = strip_place_prefix(m.group(0))
        if len(place) < 3 or set(place[:-1]) & inner:
            continue  # "局和北关区", "哈尔滨全市": not one place name
        if place not in hay and not any(abbreviates(place, n) for n in names):
            if any(spelled_in(place, r.chunk.doc_id) for r in passages):
                continue  # a report that never names its place, found by its file name
            out.append(place)
    return out


# words whose absence from the reports says nothing about the question's subject: adverbs, adjectives,
# particles, pronouns, numerals, measure words ("大幅", "一共", "得了")
FILLER_FLAGS = ("d", "a", "u", "p", "c", "r", "m", "q", "y", "e", "o", "z")


def known_content(content: str, texts: list[str]) -> tuple[str, float]:
    """The content without filler words the texts never use, and the share of its other words (of two
    or more characters) that the texts use. Unknown nouns and verbs stay: they are what is asked about."""
    from ingest.index import tagged_words

    hay = "\n".join(texts)
    pieces: list[str] = []
    total = known = 0
    for p in content.split(" "):
        run = ""
        for w, flag in tagged_words(p):
            found = w in hay
            if not found and flag.startswith(FILLER_FLAGS):
                if run:
                    pieces.append(run)
                run = ""
                continue
            if len(w) >= 2:
                total += len(w)
                known += len(w) if found else 0
            run += w
        if run:
            pieces.append(run)
    if not total:
        return " ".join(pieces), 1.0 if pieces else 0.0
    return " ".join(pieces), known / total


def coverage(content: str, text: str) -> float:
    """Share of the content's characters found in the text as common substrings of 2+ characters."""
    return _runs(content, text)[0]


def contiguity(content: str, text: str) -> float:
    """The longest run of the content found in one piece, as a share of the content: "部门整体支出绩效
    自评得分" matches "部门整体支出绩效自评" better than scattered "部门整体…绩效…自评得分"."""
    return _runs(content, text)[1]


def states_none(text: str) -> bool:
    """The sentence says the item is nil ("本部门没有政府性基金…"), not a reason that something is nil
    ("…主要变动情况：…本年度无相关资金安排"): the cue stands before any cause."""
    none, cause = NONE_CUE.search(text), CAUSE_CUE.search(text)
    return none is not None and (cause is None or none.start() < cause.start())


GAP_WORDS = set("为是：:共计达约数额")


def amount_follows(content: str, text: str) -> float:
    """How much of the item's name stands right before an amount ("收入预算37,151.47万元",
    "总收入 18547952.93 元"): the longest such run over its piece's length, 0 when none."""
    best = 0.0
    for p in [p for p in content.split(" ") if len(p) >= 3]:
        for size in range(len(p), 2, -1):
            if size / len(p) <= best:
                break
            for i in range(len(p) - size + 1):
                at = text.find(p[i : i + size])
                while at >= 0:
                    end = at + size
                    m = AMOUNT.search(text, end, end + NEAR + 20)
                    gap = re.sub(r"\s", "", text[end : m.start()]) if m else "x" * 9
                    if m and len(gap) <= 2 and set(gap) <= GAP_WORDS:
                        best = max(best, size / len(p))
                    at = text.find(p[i : i + size], at + 1)
    return best


@functools.lru_cache(maxsize=4096)  # coverage and contiguity read the same runs of each unit
def _runs(content: str, text: str) -> tuple[float, float]:
    pieces = [p for p in content.split(" ") if p]
    total = sum(len(p) for p in pieces)
    if not total:
        return 0.0, 0.0
    covered = 0
    longest = 0
    for p in pieces:
        i = 0
        while i < len(p):
            j = i + 1
            best = 0
            while j <= len(p) and p[i:j] in text:
                best = j - i
                j += 1
            if best >= 2:
                covered += best
                longest = max(longest, best)
                i += best
            else:
                i += 1
    return covered / total, longest / total


NOTE = re.compile(r"^\s*(?:注|说明|备注)\s*\d*[：:.、]")  # a table's note row says how to read it, not a figure
LIST_START = re.compile(
    r"^(?:[（(]?[一二三四五六七八九十\d]+[)）、.．]|[一二三四五六七八九十]+是|其[一二三四五六七八九十])"
)
NOTE_POS = 10_000  # a table's note, read after its rows
HEADING_POS = -1  # a heading that states an amount stands before its passage's first sentence


def _units(retrieved: list[Retrieved]) -> list[_Unit]:
    units: list[_Unit] = []
    headings: set[str] = set()
    for pi, r in enumerate(retrieved):
        heading = (r.chunk.section or "").split(" > ")[-1].strip()
        broken = r.chunk.kind != "table" and _broken_sentence(heading, r.chunk.text)
        if broken:
            pass  # the heading is the start of the passage's first sentence: joined to it below
        elif r.chunk.kind != "table" and AMOUNT.search(heading) and heading not in headings:
            # "（二）财政预算总支出2832万元": a report's heading can be the statement itself, read like a sentence
            headings.add(heading)
            units.append(_Unit(pi, heading, 0.0, HEADING_POS, False))
        if r.chunk.kind == "table":
            lines = r.chunk.text.split("\n")
            for li, line in enumerate(lines[1:], start=1):
                if NOTE.match(line):
                    # a note under a table is prose: "注：…如剔除上述因素，市本级…“三公”经费支出4775万元"; one that
                    # only says how to read the table ("注：1.本表反映…") holds no figure and is left out
                    if AMOUNT.search(line):
                        sentences = [x.strip() for x in SENT_SPLIT.split(line) if x.strip()]
                        units += [_Unit(pi, x, 0.0, NOTE_POS + k, False) for k, x in enumerate(sentences)]
                elif not line.startswith("表头："):
                    units.append(_Unit(pi, line, 0.0, li, True))
        else:
            pos = 0
            text = broken + r.chunk.text if broken else r.chunk.text
            paras = text.split("\n")
            for k, para in enumerate(paras):
                for s in SENT_SPLIT.split(para):
                    if s.strip() and not CAPTION.fullmatch(s.strip()):
                        units.append(_Unit(pi, s.strip(), 0.0, pos, False))
                        pos += 1
                nxt = paras[k + 1].strip() if k + 1 < len(paras) else ""
                if not (para.rstrip().endswith(("；", "，", ";", ",")) and nxt and not LIST_START.match(nxt)):
                    # sentences of different paragraphs are never "next" to each other; a line that ends on
                    # "；" and goes on without a list number is the same paragraph, broken by the page
                    pos += PARAGRAPH_GAP
    return units


Positions = dict[tuple[int, int], "_Unit"]
PARAGRAPH_GAP = 100


def _positions(units: list[_Unit]) -> Positions:
    """Sentences by (passage, position): neighbours are looked up, not searched for."""
    return {(u.passage, u.pos): u for u in units if not u.is_row}


def _follow_ups(at: Positions, chosen: _Unit) -> list[_Unit]:
    """The sentences right after the amount sentence up to and including its cause ("…完成年初预算的 5%。
    决算数与年初预算数存在差异的主要原因是…"), at most two."""
    after = [u for d in (1, 2) if (u := at.get((chosen.passage, chosen.pos + d))) is not None]
    for n, u in enumerate(after):
        if CAUSE_CUE.search(u.text):
            return after[: n + 1]
    return []


CONTINUES = re.compile(r"^(?:与|比|较|同比|其中|增长|下降|增加|减少)")


def _continuation(at: Positions, chosen: _Unit) -> list[_Unit]:
    """The next sentence when it goes on about the same amount ("…4,919.93万元。与2023年度相比，减少…")."""
    u = at.get((chosen.passage, chosen.pos + 1))
    return [u] if u is not None and CONTINUES.match(u.text) else []


def _rest_of_list(at: Positions, chosen: _Unit, most: int = 8) -> list[_Unit]:
    """For a list question, the clauses after the chosen one up to the end of its sentence: "；" parts one
    sentence ("…主要用于以下方面：科学技术支出88.00万元；…支出…；…。"), so the list is not cut at its first item."""
    out: list[_Unit] = []
    last = chosen
    while len(out) < most and last.text.endswith(("；", ";", "：", ":")):
        # the next clause, in this paragraph or at the start of the next (a list item per line)
        nxt = at.get((chosen.passage, last.pos + 1)) or at.get((chosen.passage, last.pos + 1 + PARAGRAPH_GAP))
        if nxt is None:
            break
        out.append(nxt)
        last = nxt
    return out


STATES_CHANGE = re.compile(r"增加|减少|增长|下降|持平|增减")


def _lead_in(units: list[_Unit], chosen: _Unit, content: str, min_coverage: float) -> list[_Unit]:
    """For a reason that names no amount ("财政拨款收入支出增加的主要原因是：…"), the sentence before it,
    within a few paragraphs, that states the item's amount and change: a report states the change first
    and gives its reason after."""
    if AMOUNT.search(chosen.text) or chosen.is_row:
        return []
    before = [
        u for u in units if u.passage == chosen.passage and not u.is_row and 0 < chosen.pos - u.pos < 5 * PARAGRAPH_GAP
    ]
    fits = [u for u in before if AMOUNT.search(u.text) and STATES_CHANGE.search(u.text)]
    scored = [(coverage(content, u.text), contiguity(content, u.text), u.pos, u) for u in fits]
    best = max(scored, key=lambda t: t[:3], default=None)  # the item asked, named most fully; then the nearest
    return [best[3]] if best is not None and best[0] >= min_coverage else []


def _broken_sentence(heading: str, text: str) -> str:
    """The start of a sentence a page break made a heading ("…。截至2023年底，我省地方政府债务余额预计执行数为"
    over "22732.83亿元。其中…"): a heading that ends mid-sentence before a passage that starts with a figure."""
    if not heading or heading.endswith(tuple("。；;！？!?：:）)")) or not re.match(r"\s*\d", text):
        return ""
    tail = re.split(r"[。；;！？!?]", heading)[-1]
    return tail if len(tail) >= 4 and re.search(r"[为是达至到]$", tail) else ""


def _table_context(r: Retrieved) -> str:
    """What a table row is read under: the table's title and its column headers ("2025年政府债务余额（预计数）")."""
    c = r.chunk
    if c.kind != "table":
        return ""
    heads = [line[3:] for line in c.text.split("\n") if line.startswith("表头：")]
    return "\n".join([c.table_title or "", *heads])


def _label(row: str) -> str:
    """The row's label: its first cell that is not a sequence number or a code ("1 | 行政运行 | 2,135")."""
    cells = row.split(" | ")
    return next(
        (c for c in cells if c.strip() and not re.fullmatch(r"[\d.（）()一二三四五六七八九十、]+", c.strip())), cells[0]
    )


def _names_row(question: str, content: str, label: str) -> bool:
    """The question names the row's place or body, which the content leaves out as a report name ("防城港市
    …政府债务余额" asks for the row 防城港市 of a table by place, not 防城区 or 市本级)."""
    from ingest.keys import norm

    item = norm(re.sub(r"^其中[：:]", "", label))
    return len(item) >= 3 and item in question and item not in content


def names_item(content: str, label: str) -> bool:
    """The question names this row's item as a whole word ("本级 增值税 决算数" names 增值税, not 土地增值税)."""
    from ingest.index import words
    from ingest.keys import norm

    item = norm(label)
    if len(item) < 2:
        return False
    for piece in content.split(" "):
        ws = words(piece)
        for i in range(len(ws)):
            joined = ""
            for w in ws[i:]:
                joined += w
                if joined == item:
                    return True
                if len(joined) >= len(item):
                    break
    return False


def answer_extractive(
    question: str,
    retrieved: list[Retrieved],
    aliases: set[str],
    top_k: int,
    departments: list[str] | None = None,
    named: tuple[str, ...] = (),
    min_coverage: float = MIN_COVERAGE,
) -> Answer:
    """named: the reports the question names; with two or more (a comparison, or one department's
    reports of several years) each gets its own best sentence."""
    passages = retrieved[: max(POOL_READ, top_k * 2)]
    asks = read_question(question)
    why, how_much = asks.why, asks.how_much
    units = _units(passages)
    # words the retrieved passages never use ("大幅", "得了") can't tell sentences apart: coverage counts
    # the rest, provided most of the question is found (else the reports don't speak of it)
    # indicator names are headings; a table's measures are in its title and column headers
    texts = [u.text for u in units] + [p.chunk.section for p in passages] + [_table_context(p) for p in passages]
    content, known_share = known_content(content_of(question, aliases, departments), texts)
    if known_share < min_coverage or unknown_places(question, passages, departments or []):
        return _abstain(question, retrieved)
    at = _positions(units)
    asked_years = years_in(question)
    asked_level = level_in(question)
    own = {id(u): coverage(content, u.text) for u in units}  # each unit's words alone, also read for its neighbour
    for u in units:
        cov = own[id(u)]
        if u.is_row:
            cov = max(cov, coverage(content, _label(u.text)) * 0.95)
        # a sentence is read under its heading, a row under its table's title ("市本级…收入决算表"):
        # words found only there count half
        chunk = passages[u.passage].chunk
        context = _table_context(passages[u.passage]) if u.is_row else chunk.section
        cov += CONTEXT_WEIGHT * max(0.0, coverage(content, f"{context}\n{u.text}") - cov)
        bonus = 0.1 * contiguity(content, u.text) - LENGTH_PENALTY * min(1.0, len(u.text) / LONG_UNIT)
        if how_much:
            bonus += 0.1 * amount_follows(content, u.text)
            if u.is_row and (names_item(content, _label(u.text)) or _names_row(question, content, _label(u.text))):
                bonus += ITEM_ROW_BONUS
        if states_none(u.text) and cov >= min_coverage:  # "本部门没有政府性基金…": the answer to a trap
            bonus += 0.3
        if why and (CAUSE_CUE.search(u.text) or _follow_ups(at, u)):
            bonus += 0.15
        if how_much and AMOUNT.search(u.text) or how_much and u.is_row and re.search(r"\d", u.text):
            bonus += 0.1
        u.pair = None  # type: ignore[attr-defined]
        nxt = None if u.is_row else at.get((u.passage, u.pos + 1))
        if nxt is not None and own[id(nxt)] < own[id(u)]:
            # an item named in one sentence and its figures in the next ("…社会福利事业单位（项）”738.66万元。
            # 2023年当年预算执行数为711.34万元，…增加3.84%。"): read as one — when the first is the one
            # naming the item, not a sentence about another item followed by one that names it
            both = coverage(content, f"{context}\n{u.text}{nxt.text}")
            if both * PAIR_WEIGHT > cov + 1e-9:
                cov, u.pair = both * PAIR_WEIGHT, nxt  # type: ignore[attr-defined]
        if asked_years:
            # a report of two periods (last year's execution, next year's draft): the sentence of the
            # year asked, read from its own words or else its heading, never the other year's
            said = years_in(COMPARED_YEAR.sub("", u.text)) or years_in(context)
            if said and not said & asked_years:
                bonus -= OTHER_YEAR_PENALTY
        if asked_level:
            # 全市 (the whole city) and 市本级 (the city's own budget) are different figures of one report
            level = level_in(u.text) or level_in(context)
            if level and level != asked_level:
                bonus -= OTHER_LEVEL_PENALTY
        rank_prior = 0.05 / (1 + u.passage)
        u.score = cov + bonus + rank_prior
        u.score_cov = cov  # type: ignore[attr-defined]
    if how_much:  # an amount question is answered by a sentence or row with a number in it
        units = [
            u
            for u in units
            if AMOUNT.search(u.text)
            or u.pair is not None
            and AMOUNT.search(u.pair.text)  # type: ignore[attr-defined]
            or u.is_row
            and re.search(r"\d", u.text)
        ] or units
        at = _positions(units)  # neighbours among the sentences still in play
    ranked = sorted(units, key=lambda u: -u.score)
    best = ranked[0] if ranked else None
    if best is None or best.score_cov < min_coverage or not content:  # type: ignore[attr-defined]
        return _abstain(question, retrieved)
    chosen: list[_Unit] = [best] + ([best.pair] if best.pair is not None else [])  # type: ignore[attr-defined]
    if why:
        chosen = _lead_in(units, best, content, min_coverage) + chosen + _follow_ups(at, best)
        if not any(CAUSE_CUE.search(u.text) for u in chosen):
            for u in ranked[1:6]:
                if CAUSE_CUE.search(u.text) and u.score_cov >= min_coverage * 0.6:  # type: ignore[attr-defined]
                    chosen.append(u)
                    chosen += _follow_ups(at, u)
                    break
    elif len(named) >= 2:
        chosen += _continuation(at, best)
        for doc in named:
            if doc == passages[best.passage].chunk.doc_id:
                continue
            own = [u for u in ranked if passages[u.passage].chunk.doc_id == doc]
            if own and own[0].score_cov >= min_coverage:  # type: ignore[attr-defined]
                chosen += [own[0], *_continuation(at, own[0])]
    else:
        chosen += _continuation(at, best)
        for u in ranked[1:4]:
            if u.score >= best.score - 0.05 and u.text != best.text and len(chosen) < 3 and u.passage != best.passage:
                chosen.append(u)
    chosen += _missing_parts(asks, chosen, ranked, at, min_coverage)
    if "listing" in asks.parts and not why:
        chosen = [v for u in chosen for v in (u, *_rest_of_list(at, u))]
    unique = list({id(u): u for u in chosen}.values())  # a pair's second sentence may also be a follow-up
    return _compose(question, passages, retrieved, unique, content)


def _missing_parts(asks, chosen: list[_Unit], ranked: list[_Unit], at: Positions, min_coverage: float) -> list[_Unit]:  # noqa: ANN001
    """Every part of a composite question answered: for a part no quoted sentence shows (the rate of
    "安排多少？比上年增长多少？"), the next sentences of the same passage, then the best-ranked others."""
    added: list[_Unit] = []
    for part in asks.missing([u.text for u in chosen]):
        first = chosen[0]
        pool = [u for d in (1, 2) if (u := at.get((first.passage, first.pos + d))) is not None]
        pool += [u for u in ranked[1:8] if u.score_cov >= min_coverage * 0.8]  # type: ignore[attr-defined]
        for u in pool:
            if u not in chosen and u not in added and not asks.missing_in(part, u.text):
                added.append(u)
                break
    return added


def _compose(
    question: str, passages: list[Retrieved], retrieved: list[Retrieved], chosen: list[_Unit], content: str = ""
) -> Answer:
    numbering: dict[int, int] = {}
    citations: list[Citation] = []
    quotes: dict[int, list[str]] = {}
    for u in chosen:
        if u.passage not in numbering:
            numbering[u.passage] = len(numbering) + 1
        quotes.setdefault(u.passage, []).append(u.text)
    parts: list[str] = []
    last_passage = None
    years = sorted(years_in(question))
    for u in chosen:
        n = numbering[u.passage]
        text = u.text
        row_title = ""
        if u.is_row:  # a row is said in words (its item and figure); the cited quote keeps the row as printed
            c = passages[u.passage].chunk
            heads = [line[3:] for line in c.text.split("\n") if line.startswith("表头：")]
            words = row_in_words(
                text,
                heads,
                c.unit or "",
                lambda label: coverage(label, question),
                lambda item, col: (coverage(content or question, item + col), coverage(col, question)),
            )
            unit = f"（单位：{c.unit}）" if c.unit else ""
            row_title = c.table_title or "表格"
            # the year is said only when it is the report's own (a 预算 report's table also holds last year's)
            one_figure = bool(words) and "、" not in words and "，" not in words
            said_year = f"{c.year}年" if one_figure and years == [c.year] and "决算" in (c.table_title or "") else ""
            text = f"{said_year}{words}" if words else f"{unit}{text}"
        if not text.endswith(tuple("。；！？!?;")):
            text += "。"  # a row ends in a figure: "816.20" must not run into the next quote's "1."
        if last_passage is None:
            title = passages[u.passage].chunk.title
            lead = f"据《{title}》{row_title}，" if row_title else f"据《{title}》，"
            parts.append(f"{lead}{text}[{n}]")
        else:
            parts.append(f"{row_title}，{text}[{n}]" if row_title else f"{text}[{n}]")
        last_passage = u.passage
    for pi, n in sorted(numbering.items(), key=lambda kv: kv[1]):
        c = passages[pi].chunk
        citations.append(
            Citation(
                n=n,
                doc_id=c.doc_id,
                title=c.title,
                section=c.section,
                page=c.page,
                chunk_id=c.chunk_id,
                kind=c.kind,
                text=c.text,
                quote="……".join(quotes[pi]),
                locator=c.locator,
            )
        )
    return Answer(
        question=question,
        answer="".join(_sep(p) for p in parts).strip(),
        mode="extractive",
        abstained=False,
        citations=tuple(citations),
        retrieved=tuple(retrieved),
    )


def _sep(part: str) -> str:
    return part if part.endswith(("。", "]")) else part + "。"


def _abstain(question: str, retrieved: list[Retrieved]) -> Answer:
    return Answer(
        question=question,
        answer="语料中未找到能回答这个问题的内容。下面列出最接近的段落供核对。",
        mode="extractive",
        abstained=True,
        citations=(),
        retrieved=tuple(retrieved),
    )
