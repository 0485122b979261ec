"""A file on disk → Report. Pure apart from reading the file."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from ingest.chunking import render_table
from ingest.decode import decode_text
from ingest.errors import DocumentError
from ingest.identity import UNKNOWN, Identity, coarse_kind, places_in, read_identity
from ingest.lines import Line, strip_markdown, text_to_lines
from ingest.model import Report, ReportKind
from ingest.readers import SUPPORTED as SUPPORTED  # every suffix a reader reads (re-exported for callers)
from ingest.readers import read_report
from ingest.structure import events_to_blocks, lines_to_events

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
PDF_SUFFIXES = {".pdf"}


def _kind_in(text: str) -> ReportKind:
    if "绩效" in text or "自评" in text or "jixiao" in text:
        return "绩效自评"
    if "决算" in text or "juesuan" in text:
        return "决算"
    if "预算" in text or "yusuan" in text:
        return "预算"
    return "other"


def guess_kind(title: str, text: str = "", stem: str = "") -> ReportKind:
    """The kind the report's own title says; failing that the kind its pages speak of (a 决算 says 决算
    nearly as often as 预算, a 预算 hardly ever); the file name last (a renamed file keeps its kind)."""
    kind = _kind_in(title)
    if kind != "other":
        return kind
    body = text[:20000]
    self_eval, final, budget = body.count("自评"), body.count("决算"), body.count("预算")
    if self_eval >= 3 and self_eval >= final:  # a 决算 may hold a 绩效自评 section; then it says 决算 more
        return "绩效自评"
    if final >= 5 and final >= 0.4 * budget:  # a 决算 compares with 年初预算 all along
        return "决算"
    if budget >= 5 and final < 0.15 * budget:
        return "预算"
    return _kind_in(stem)


TITLE_WORDS = re.compile(r"决算|预算|自评报告|绩效|报告")


def cover_title(lines: list[Line]) -> str:
    """The title set in the largest type at the top of the first page, however many lines it is
    broken over ("关于2021年市本级决算草案和" / "2022年上半年预算执行情况的报告"). Text files carry no
    type sizes: empty then."""
    first = [ln for ln in lines[:30] if ln.table is None and ln.page == lines[0].page and ln.meta.get("size")]
    if not first:
        return ""
    big = max(ln.meta["size"] for ln in first)
    block: list[str] = []
    for ln in first:
        if ln.meta["size"] >= big - 0.5:
            block.append(ln.text.strip())
        elif block:
            break
    title = re.sub(r"\s+", "", "".join(block))
    return title if 6 <= len(title) <= 80 and TITLE_WORDS.search(title) else ""


def guess_title(lines: list[Line], stem: str) -> str:
    """The report's own title: the cover's title block, else the first of its opening lines naming a
    决算/预算/自评 report."""
    cover = cover_title(lines)
    if cover:
        return cover
    for ln in lines[:40]:
        text = strip_markdown(ln.text.strip())[0]
        compact = re.sub(r"\s+", "", text)
        if 4 <= len(compact) <= 60 and re.search(r"(决算|预算|自评报告|绩效)", compact) and "表" not in compact[-2:]:
            if not re.match(r"^[一二三四五六七八九十]+、", compact):
                return re.sub(r"(?<=[\u4e00-\u9fff（）])\s+(?=[\u4e00-\u9fff（）])", "", text).strip()
    return stem


ORG = re.compile(
    r"(?:[\u4e00-\u9fff]{2,4}[省市])?[\u4e00-\u9fff]{2,4}[市区县](?:人民政府)?[\u4e00-\u9fff]{2,16}?"
    r"(?:局|委员会|办公室|办事处|工作部|部|中心|院|委)"
)
# Characters that begin no place name: a match starting with one is a sentence ("我受市政府委托"), or
# a place glued to the word before it ("年哈尔滨市本级").
NOT_PLACE = set("年我受向在对的和与及了为由经将按从各全本该其是市省区县")
_LEADING_NOT_PLACE = "".join(sorted(NOT_PLACE - set("市省区县")))
PLACE_LEVEL = re.compile(r"([\u4e00-\u9fff]{2,5}?[省市区县])(?=本级|全市|全省|全区|全县|级)")
GOVERNMENT_REPORT = re.compile(r"^关于.*(?:决算|预算).*报告$|草案")


def strip_place_prefix(name: str) -> str:
    """A place name matched with the word before it glued on ("年哈尔滨市") → "哈尔滨市"."""
    return name.lstrip(_LEADING_NOT_PLACE)


def _org_matches(text: str) -> list[str]:
    """Department names in the text; a match starting on a NOT_PLACE character is tried again one
    character later ("年度清远市清城区…局" → "清远市清城区…局")."""
    found, pos = [], 0
    while m := ORG.search(text, pos):
        if m.group(0)[0] in NOT_PLACE:
            pos = m.start() + 1
            continue
        found.append(m.group(0))
        pos = m.end()
    return found


def find_place(text: str) -> str:
    """The government a city or provincial report is about: the place its tables name with a level
    ("2021年哈尔滨市本级一般公共预算…") most often."""
    names = Counter()
    for m in PLACE_LEVEL.finditer(text):
        name = strip_place_prefix(m.group(1))
        if len(name) >= 3:
            names[name] += 1
    return names.most_common(1)[0][0] if names else ""


ORG_LABEL = re.compile(r"(?:预算主管部门|预算单位|部门名称|单位名称|部门|单位)\s*[：:]\s*([\u4e00-\u9fff（）()]{4,40})")
KIND_TITLES = {"决算": "部门决算", "预算": "部门预算", "绩效自评": "部门整体支出绩效自评报告", "other": "报告"}


# Bump when parsing changes what a report yields from the same bytes: `ingest` then re-reads every
# file once (unchanged chunks keep their vectors, their ids being content hashes).
PARSER_VERSION = "22"


def find_org(text: str) -> str:
    """The department a report is about: a labelled line ("预算主管部门：…") or the name it uses most."""
    for m in ORG_LABEL.finditer(text[:5000]):
        if found := _org_matches(m.group(1)):
            return found[0]
    names = Counter(_org_matches(text[:8000]))
    return names.most_common(1)[0][0] if names else ""


def complete_title(title: str, stem: str, text: str, year: int | None, kind: str) -> str:
    """Titles without the department ("部门整体支出绩效自评报告") or missing (text starts at 第一部分)
    get the department the report names for itself, so every citation says whose report it is."""
    if _org_matches(title):
        return title
    if GOVERNMENT_REPORT.search(title):  # the government's report to the 人大: the place is its author
        place = find_place(text)
        return f"{place}人民政府{title}" if place and place not in title else title
    org = find_org(text)
    if not org:
        return title
    base = title if title != stem else KIND_TITLES[kind]
    common = 0
    while common < min(len(org), len(base)) and org[common] == base[common]:
        common += 1
    if common >= 2:  # "上海市普陀区" + "2025年区级部门预算": say the place once
        base = base[common:]
    year_part = f"{year}年度" if year and str(year) not in base else ""
    return f"{org}{year_part}{base}"


def guess_year(title: str, stem: str, text: str) -> int | None:
    """The year of the title, else of the cover (the text's opening), else the file name's when the report
    names that year too, else the year its pages name most (a later one named nearly as often wins: a 预算
    discusses the year before at length), else the file name's (a renamed file keeps its year)."""
    for source in (title, text[:600]):
        m = re.search(r"(20[0-4]\d)\s*年?", source)
        if m:
            return int(m.group(1))
    years = Counter(int(y) for y in re.findall(r"(20[0-4]\d)\s*年", text[:10000]))
    named = re.search(r"(20[0-4]\d)", stem)
    if named and int(named.group(1)) in years:
        return int(named.group(1))
    if years:
        top, n = years.most_common(1)[0]
        return max(y for y, k in years.items() if y >= top and k >= 0.6 * n)
    return int(named.group(1)) if named else None


def guess_department(title: str) -> str:
    """ "上海市普陀区司法局2026年区级部门预算" → "上海市普陀区司法局" (the level word 区级/市级 is not part of the name);
    "哈尔滨市人民政府关于…的报告" → "哈尔滨市人民政府"."""
    if m := re.match(r"^(.{2,12}?人民政府)关于", title):
        return m.group(1)
    d = re.sub(
        r"20\d\d\s*年度?|(?:区级|市级|县级|省级|本级)?(?:部门决算|部门预算|单位决算|单位预算)"
        r"|部门整体支出绩效自评报告|绩效自评报告|决算|预算",
        "",
        title,
    )
    d = re.sub(r"(?:区级|市级|县级|省级)$", "", d.strip(" 　:：")).strip(" 　:：")
    # what is left of a table's or a report's title ("地方政府债务限额及余额情况表") names no body
    return "" if NOT_A_BODY.search(d) else d


NOT_A_BODY = re.compile(r"表$|情况|执行|草案|报告|公开|[一二三四五六七八九十]、|^关于|^[\x00-\x7f]*$")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def report_title(identity: Identity, fallback: str, text: str) -> str:
    """The title a citation shows: the printed title, with whose report it is in front when the title
    does not say ("上海市2026年市级单位预算" → "上海交通职业技术学院 上海市2026年市级单位预算")."""
    title = identity.title
    who = identity.body if identity.body != UNKNOWN else (identity.place if identity.place != UNKNOWN else "")
    if not title:
        if not who:
            return complete_title(fallback, fallback, text, identity.year, coarse_kind(identity.kind))
        year = f"{identity.year}年度" if identity.year else ""
        kind = identity.kind if identity.kind != UNKNOWN else "报告"
        return f"{who}{year}{kind}"
    if not who or who in title or any(s in title for s in identity.short_names):
        return title
    if identity.kind in ("政府预算报告", "政府决算报告") and identity.place in title:
        return title
    lead = "".join(places_in(title))
    if lead and who.startswith(lead):  # "上海市普陀区财政局" + "上海市普陀区2025年区级部门预算": the place once
        return who + title[len(lead) :]
    return f"{who}{title}" if title.startswith("关于") else f"{who} {title}"


def report_from_lines(lines: list[Line], *, doc_id: str, path: str, sha256: str, encoding: str, pages: int) -> Report:
    events = lines_to_events(lines)
    text, sections, blocks = events_to_blocks(events, render_table)
    identity = read_identity(lines, text, doc_id)
    title = report_title(identity, guess_title(lines, doc_id), text)
    kind = coarse_kind(identity.kind)
    if kind == "other" and identity.kind in ("附表", "债务", "审计报告", UNKNOWN):
        kind = guess_kind(identity.title, text, doc_id)  # the rest of the code knows 预算/决算/绩效自评
    department = identity.body if identity.body != UNKNOWN else guess_department(title)
    return Report(
        doc_id=doc_id,
        title=title,
        year=identity.year,
        department=department,
        kind=kind,
        path=path,
        sha256=sha256,
        text=text,
        encoding=encoding,
        pages=pages,
        sections=tuple(sections),
        blocks=tuple(blocks),
        identity=identity,
    )


def parse_text_bytes(data: bytes, *, doc_id: str, path: str, sha256: str = "") -> Report:
    text, encoding = decode_text(data, path)
    lines = text_to_lines(text)
    if not lines:
        raise DocumentError(path, "文件中没有文字；请从原文档重新导出")
    pages = max((ln.page or 0 for ln in lines), default=0)
    return report_from_lines(
        lines,
        doc_id=doc_id,
        path=path,
        sha256=sha256 or hashlib.sha256(data).hexdigest(),
        encoding=encoding,
        pages=pages,
    )


def parse_file(path: Path, on_page: Callable[[int, int], None] | None = None) -> Report:
    """Read one report. Raises DocumentError with the file's name and what to do about it. on_page(i, n)
    is told as each PDF page (or sheet) is read. The reader is chosen by the suffix (ingest.readers)."""
    return read_report(path, on_page)
