"""What a question may call a report: place names, the department's name and its abbreviations.

People shorten Chinese body names by keeping characters in order — 工业和信息化局 → 工信局,
规划和自然资源局 → 规资局, 淄博高新技术产业开发区 → 淄博高新区 — so an abbreviation is recognised by
that rule, not looked up in a list of known short names.
"""

from __future__ import annotations

import functools
import importlib.util
import json
import re
import unicodedata
from pathlib import Path

PLACE = re.compile(r"[\u4e00-\u9fff]{2,4}?[省市区县]")
# characters a body's name ends with; an abbreviation keeps the last one ("…信息化局" → "…局")
NAME_ENDS = set("局委办部院处会室所站心队校区县市")
CJK = re.compile(r"[\u4e00-\u9fff]+")
MIN_ABBREVIATION = 3
# a word of a body's name starts after a place or level marker: 区|规划…, 人民|政府…, 区委|社会工作部
WORD_STARTS_AFTER = set("省市区县府民委")  # two characters in order match far too much ("城区" of any 区)


def department_core(department: str) -> str:
    """The body's own name without the places before it: "上海市普陀区人民政府办公室" →
    "人民政府办公室", "淄博高新技术产业开发区工业信息化和商务局" stays whole (no 市/区 ends a place there)."""
    core = re.sub(r"^(?:中共)?(?:[\u4e00-\u9fff]{2,4}?[省市])?(?:[\u4e00-\u9fff]{2,4}?[区县])?", "", department)
    return re.sub(r"（[^）]*）$", "", core)


def report_names(doc: dict) -> set[str]:
    """Names a question may use for a report as written: places and department words of its title,
    its identity's body, short forms and place, and the pinyin parts of its doc_id for English questions. Abbreviations are matched per question
    (see `abbreviations_in`)."""
    title = doc.get("title") or ""
    names = {m.group(0) for m in PLACE.finditer(title)}
    full = re.sub(r"\d{4}.*$", "", doc.get("department") or title)
    if 4 <= len(full) <= 20:
        names.add(full)  # "上海市财政局" names that body, though "财政局" alone names several
    # after the first place name, and after the last: "普陀区人民政府万里街道办事处" and "万里街道办事处"
    for dept in (re.sub(r"^.*?[市区县](?:人民政府)?", "", full), re.sub(r"^.*[市区县](?:人民政府)?", "", full)):
        if 2 <= len(dept) <= 16 and not dept.startswith("委"):
            names.add(dept)
            if dept.endswith("街道办事处"):
                names.add(dept.removesuffix("办事处"))
    # the identity read from the document (corrections applied): its body, the short forms people use
    # ("清城区工业和信息化局", "省检察院") and its place — found in the pages when the title names none
    for name in [doc.get("body"), *(doc.get("short_names") or ())]:
        if name and name != "未知" and 3 <= len(name) <= 30:
            names.add(name)
    place = doc.get("place") or ""
    if place != "未知" and 2 <= len(place) <= 12 and re.search(r"(?:省|市|区|县|州|盟|旗|镇|乡|街道)$", place):
        names.add(place)
        # a place within a place ("平潭综合实验区潭城镇"): its own part is a name people use ("潭城镇"); the
        # parent's part is not (a question on 平潭 is not on each of its towns)
        parts = PLACE_PART.findall(place)
        if len(parts) > 1 and len(parts[-1]) >= 3:
            names.add(parts[-1])
    for part in doc["doc_id"].split("-"):
        if part.isalpha() and len(part) >= 4:
            names.add(part.lower())
    return names


PLACE_PART = re.compile(r"[\u4e00-\u9fff]+?(?:综合实验区|自治州|自治县|新区|街道|省|市|区|县|州|盟|旗|镇|乡)")
SPELLED_SUFFIX = re.compile(r"(?:维吾尔|壮族|回族)?(?:自治区|自治州)$|地区$|[省市州县]$")


@functools.lru_cache(maxsize=1)
def _readings_table() -> dict[str, str]:
    """pypinyin's reading table (code point → "zhòng,chóng"), read as data: importing pypinyin loads its
    phrase dictionary and trains a segmenter (0.5 s of a cold ask) that a file-name match never needs."""
    spec = importlib.util.find_spec("pypinyin")
    if spec is None or not spec.submodule_search_locations:
        return {}
    path = Path(next(iter(spec.submodule_search_locations))) / "pinyin_dict.json"
    return json.loads(path.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=4096)
def readings(char: str) -> tuple[str, ...]:
    """Every reading of a character as a file name writes it, without tones: 重 → zhong, chong;
    绿 → lv, lu (ü written either way)."""
    out: dict[str, None] = {}
    for r in _readings_table().get(str(ord(char)), "").split(","):
        plain = unicodedata.normalize("NFD", r).replace("u\u0308", "v")
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        if plain:
            out[plain] = None
            if "v" in plain:
                out[plain.replace("v", "u")] = None
    return tuple(out)


def spelled_by(run: str, word: str, shortest: int = 2, longest: int = 8) -> set[str]:
    """The pieces of run ({shortest}–{longest} characters) that spell word in some reading of each
    character: "重庆市" → {"重庆"} for "chongqing". Every reading counts: a file name may read a
    character either way, and a piece must spell the whole word."""
    out: set[str] = set()
    for i in range(len(run)):
        todo = [(i, 0)]
        while todo:
            j, at = todo.pop()
            if at == len(word):
                if shortest <= j - i <= longest:
                    out.add(run[i:j])
                continue
            if j < len(run) and j - i < longest:
                todo += [(j + 1, at + len(r)) for r in readings(run[j]) if word.startswith(r, at)]
    return out


# words a file name spells that are no body's name ("shibenji" is 市本级, "tiaozheng" 调整)
NOT_SPELLED = re.compile(r"本级|全[省市区县]|[省市区县]级|预算|决算|部门|单位|报告|附表|债务|绩效|执行|调整|公开")
MIN_SPELLED_NAME = 8  # letters of a file name's part spelled by a body's short name ("shoudulvhuawei")


def file_name_parts(doc_id: str) -> list[str]:
    """The parts a file name is spelled in ("jiangxi-nanchang-2025-fubiao" → jiangxi, nanchang, 2025, fubiao)."""
    return re.split(r"[-_.\s]+", doc_id.lower())


@functools.lru_cache(maxsize=256)
def _spelled_pieces(question: str, part: str) -> frozenset[str]:
    """The question's name-like pieces of 3 to 8 characters that spell a part of a file name; kept, as a
    question is matched against every report's file name."""
    pieces = {p for run in CJK.findall(question) for p in spelled_by(run, part, 3, 8)}
    return frozenset(p for p in pieces if not NOT_SPELLED.search(p))


def spelled_names(question: str, doc_id: str) -> set[str]:
    """The short names of bodies in the question that the file name spells as one of its parts (首都绿化委
    → beijing-shoudulvhuawei-2026-…): long parts only, a short one matches by chance."""
    parts = {p for p in file_name_parts(doc_id) if len(p) >= MIN_SPELLED_NAME and p.isalpha()}
    if not parts:
        return set()
    return {piece for p in parts for piece in _spelled_pieces(question, p)}


def spelled_bodies(question: str, doc_id: str) -> list[str]:
    """The body names of the question around the short names its file name spells, read on to the end
    of the name ("首都绿化委" → "首都绿化委员会办公室"): they name the report, not the item asked."""
    out = []
    for short in spelled_names(question, doc_id):
        i = question.find(short)
        end = i + len(short)
        for j in range(end + 1, min(len(question), end + 6) + 1):
            if question[j - 1] in NAME_ENDS and CJK.fullmatch(question[end:j]):
                end = j
        out.append(question[i:end])
    return out


def spelled_in(place: str, doc_id: str) -> bool:
    """The report's file name spells the place as one of its parts (jiangxi-nanchang-2025-fubiao)."""
    core = SPELLED_SUFFIX.sub("", place)
    return len(core) >= 2 and any(
        core in spelled_by(core, p, len(core)) for p in file_name_parts(doc_id) if p.isalpha()
    )


def abbreviates(short: str, full: str) -> bool:
    """short keeps characters of full in order (a piece of it, or skipping some), starts where a word of full starts (its first
    character, or after a place) and ends on a name-ending character that full also ends a word with."""
    if len(short) < MIN_ABBREVIATION or short[-1] not in NAME_ENDS or short[-1] not in full:
        return False
    starts = [i for i, c in enumerate(full) if c == short[0] and (i == 0 or full[i - 1] in WORD_STARTS_AFTER)]
    for i in starts:
        rest = iter(full[i + 1 :])
        if all(c in rest for c in short[1:]):
            return True
    return False


# what every body's name may end with: alone it names none of them ("首都绿化委员会办公室" is not "北京市委员会宣传部")
GENERIC_BODY = re.compile(r"^(?:管理)?(?:委员会|办公室|管理局|人民政府|政府|服务中心|中心|研究院|研究所|领导小组)$")


def abbreviations_in(question: str, full: str) -> set[str]:
    """The longest pieces of the question that abbreviate the name full."""
    found: set[str] = set()
    if not full:
        return found
    chars = set(full)
    ends = chars & NAME_ENDS  # a piece must start with a character of full and end on one of these
    for run in CJK.findall(question):
        i = 0
        while i < len(run):
            best = ""
            for j in range(min(len(run), i + 9), i + MIN_ABBREVIATION - 1, -1) if run[i] in chars else ():
                if run[j - 1] in ends and abbreviates(run[i:j], full):
                    best = run[i:j]
                    break
            if best and not GENERIC_BODY.match(best):
                found.add(best)
                i += len(best)
            else:
                i += 1
    return found
