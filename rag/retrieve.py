"""Hybrid retrieval: dense (Chroma) + sparse (BM25) fused by reciprocal rank, with filters and
report scoping from the question ("清城区…" → that report's passages first)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ingest.errors import BadInputError
from ingest.index import tokenize
from ingest.model import Chunk, Retrieved
from ingest.pipeline import Store
from ingest.snapshots import top_rows
from rag.names import GENERIC_BODY, abbreviations_in, department_core, report_names, spelled_in, spelled_names
from rag.question import compared_years, report_years, years_in
from rag.tuning import DEFAULT_TUNING, Tuning

RRF_K = 60
POOL = 30
PLACE_ONLY_WEIGHT = 0.3
# "2023年和2024年…", "2021—2025年": every year listed is asked for
YEARS_LISTED = re.compile(r"20\d\d\s*年?(?:度)?\s*(?:和|与|、|及|至|到|—|－|-|~|～)\s*20\d\d")
FILE_PLACE = re.compile(r"[\u4e00-\u9fff]{2,4}?(?:自治区|自治州|省|市|州|县|地区)")
OPENING = 3000  # characters of a report's text read for the place it names
PLACE = re.compile(r"[\u4e00-\u9fff]{2,4}?(?:省|市|州|县|地区)")
# a name that is only a place, or its stem ("平潭", "迪庆"): no body's name ending
PLACE_NAME = re.compile(
    r"^[\u4e00-\u9fff]{1,7}(?:省|市|区|县|州|盟|旗|镇|乡)$|^[\u4e00-\u9fff]{1,3}[^局委办部院处会室所站心队校厅司府]$"
)
# the body of a government's own report: its government, its finance bureau
GOVERNMENT_END = re.compile(r"(?:人民政府|行政公署|管理委员会|管委会)$")
GOVERNMENT_CORE = re.compile(r"(?:人民)?政府|财政局|财政厅|本级政府|行政公署|地区行政公署|财政金融局")
# what the title-place rule also catches: "2025年全市…" → "年全市", level words, a bare "政府"
NOT_A_NAME = re.compile(r"^年|全市|全省|全区|全县|全州|本级|市级|省级|^政府$|^人民政府$|^附表$")
PLACE_SUFFIX = re.compile(r"(?:综合实验区|藏族自治州|自治州|地区|新区|市|县|区|州|省)$")


def sane_names(names: set[str], report: dict) -> set[str]:
    """The names a report can be asked by: without level words and fragments the title rules catch
    ("年全市", "政府"), with each place's stem as people say it ("平潭综合实验区" → "平潭", "北京市" → "北京")."""
    out = {n for n in names if not NOT_A_NAME.search(n) and not GENERIC_BODY.match(n) and (len(n) > 2 or n.isascii())}
    for n in list(out):
        if n.isascii() or not PLACE_SUFFIX.search(n) or len(n) > 8:
            continue
        stem = PLACE_SUFFIX.sub("", n)
        if len(stem) >= 2 and not NOT_A_NAME.search(stem) and not re.search(r"[省市县区]", stem):
            out.add(stem if len(stem) <= 4 else stem[:2])
    return out


@dataclass(frozen=True)
class Filters:
    doc_ids: tuple[str, ...] = ()
    year: int | None = None
    kind: str | None = None


class Retriever:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.reports = {r["doc_id"]: r for r in store.catalog.reports()}
        if not self.reports:
            raise BadInputError(
                f"{store.settings.home} 中还没有读入任何报告；请先运行 budgetqa ingest 报告文件或文件夹"
            )
        self.sparse = store.sparse()
        self._aliases = {d: sane_names(report_names(r), r) for d, r in self.reports.items()}
        self._cores = {d: department_core(r.get("department") or "") for d, r in self.reports.items()}
        self._names_memo: tuple[str, dict[str, set[str]]] = ("", {})
        self._catalog_ids = set(self.sparse.ids)
        self._openings: dict[str, str] | None = None

    def check_doc(self, doc_id: str) -> None:
        if doc_id not in self.reports:
            known = ", ".join(sorted(self.reports)[:8])
            raise BadInputError(f"没有报告编号为「{doc_id}」的报告；已有：{known}（全部见 budgetqa docs）")

    def scope(self, question: str) -> tuple[str, ...]:
        """Reports the question names. Each matched name scores by how few reports share it; a year
        in the question must match. Empty when the question names none."""
        years = years_in(question)
        scores: dict[str, float] = {}
        named = self.names_in(question)
        if years:
            # a name is as telling as it is rare among the reports of the years asked ("wanli" is one
            # report of 2025, though three in all)
            of_year = {d: h for d, h in named.items() if years & report_years(self.reports[d])}
            if named and not of_year:
                # "长春市本级2023年…" when only 长春's 2026 report carries the name: a report of 2023 whose
                # pages name 长春市 (the province's table by city) is the one asked about
                in_text = self._named_in_text(question, years, same_year=True)
                if in_text:
                    return in_text
            named = of_year or named
        against = compared_years(question)
        if against:  # "2024年…比2023年多": the later year's report speaks of both years
            later = max(against)
            named = {d: h for d, h in named.items() if self.reports[d].get("year") == later} or named
        for doc_id, hits in named.items():
            share = {n: sum(1 for other in named.values() if n in other) for n in hits}
            scores[doc_id] = sum(1.0 / share[n] for n in hits)
            if self._places_only(doc_id, hits, question):
                # "长沙市2025年全市…收入": the city's own report, not each 长沙市 department's
                scores[doc_id] *= PLACE_ONLY_WEIGHT
        if not scores:
            return self._named_in_text(question, years) or self._named_in_file_name(question, years)
        best = max(scores.values())
        # half the best score keeps every report a comparison names ("清城区…和淄博高新区…") and drops
        # reports that only share a common word with it ("工信局")
        return tuple(sorted(d for d, s in scores.items() if s >= best / 2 - 1e-9))

    def _named_in_text(self, question: str, years: set[int], same_year: bool = False) -> tuple[str, ...]:
        """When no report's identity matches, the reports whose opening text names the place the question
        does ("衡阳市…" of a sheet whose title says only "全市地方政府一般债务…"): read lazily, once."""
        places = [p for p in PLACE.findall(question) if not NOT_A_NAME.search(p)]
        if not places:
            return ()
        if self._openings is None:
            rows = self.store.catalog.db.execute("SELECT doc_id, substr(text, 1, ?) FROM reports", (OPENING,))
            self._openings = {d: t or "" for d, t in rows if d in self.reports}
        hits = [d for d, text in self._openings.items() if any(p in text for p in places)]
        if years:
            of_year = [d for d in hits if years & report_years(self.reports[d])]
            hits = of_year if same_year else of_year or hits
        return tuple(sorted(hits)) if 0 < len(hits) <= 3 else ()

    def _named_in_file_name(self, question: str, years: set[int]) -> tuple[str, ...]:
        """Last, the file name: the reports whose name spells in pinyin a place or a body's short name
        the question names ("南昌市…" → jiangxi-nanchang-2025-fubiao, a sheet whose pages never say
        which city)."""
        places = [p for p in FILE_PLACE.findall(question) if not NOT_A_NAME.search(p)]
        hits = [d for d in self.reports if any(spelled_in(p, d) for p in places) or spelled_names(question, d)]
        if years:
            hits = [d for d in hits if years & report_years(self.reports[d])]
        return tuple(sorted(hits)) if 0 < len(hits) <= 3 else ()

    def _places_only(self, doc_id: str, hits: set[str], question: str) -> bool:
        """The question names only the place of a department's report, not the department (its core
        name, abbreviated or not, is absent): a weak match next to the place's own government report."""
        core = self._cores.get(doc_id) or ""
        government = GOVERNMENT_CORE.fullmatch(core) or GOVERNMENT_END.search(core)  # "平潭综合实验区人民政府"
        if not core or government or not all(PLACE_NAME.search(h) for h in hits):
            return False
        return not abbreviations_in(question, core) and core not in question

    def names_in(self, question: str) -> dict[str, set[str]]:
        """Per report, the names of it the question uses: as written or abbreviated ("工信局"). One ask
        reads it four times (scope, BM25 query, answerer, named reports): the last question's is kept."""
        memo = self._names_memo  # read once: the web app may ask from two threads
        if memo[0] == question:
            return memo[1]
        q = question.lower()
        out: dict[str, set[str]] = {}
        for doc_id, names in self._aliases.items():
            hits = {n for n in names if n in q or n in question} | abbreviations_in(question, self._cores[doc_id])
            if hits:
                out[doc_id] = hits
        self._names_memo = (question, out)
        return out

    def uncovered_years(self, question: str, doc_ids: tuple[str, ...] = ()) -> list[int]:
        """Years the question asks about that no candidate report covers. A report of year Y speaks
        of Y and of Y-1 (决算 compare with last year, 预算 with last year's execution), and of every
        year its title names."""
        asked = sorted(years_in(question))
        if not asked:
            return []
        candidates = doc_ids or self.scope(question) or tuple(self.reports)
        covered = set()
        for d in candidates:
            y = self.reports[d].get("year")
            if y:
                covered |= {y, y - 1}
            # a city's 决算 report also reports "2022年上半年预算执行情况": the years its title names
            covered |= years_in(self.reports[d].get("title") or "")
        if not covered:
            return []
        missing = [y for y in asked if y not in covered]
        if len(missing) < len(asked) and not compared_years(question) and not YEARS_LISTED.search(question):
            # "平潭2017年末政府债务中2025年到期的有多少": the report's year is asked; the other year is a date
            # the report speaks of (a maturity, a plan's end), not a second report asked for
            return []
        return missing

    def retrieve(
        self,
        question: str,
        top_k: int = 5,
        filters: Filters = Filters(),
        auto_scope: bool = True,
        tuning: Tuning = DEFAULT_TUNING,
    ) -> list[Retrieved]:
        for d in filters.doc_ids:
            self.check_doc(d)
        doc_ids = filters.doc_ids or (self.scope(question) if auto_scope else ())
        allowed = self._allowed(doc_ids, filters)
        sparse = self._sparse(self._sparse_query(question, doc_ids), allowed)  # while the embedder loads
        dense = self._dense(question, doc_ids, filters)
        fused: dict[str, float] = {}
        for weight, ranking in zip((1.0, tuning.sparse_weight), (dense, sparse), strict=True):
            for rank, (cid, _) in enumerate(ranking):
                fused[cid] = fused.get(cid, 0.0) + weight / (RRF_K + rank + 1)
        ranked = sorted(fused.items(), key=lambda kv: -kv[1])
        keep = max(top_k * 3, POOL)  # the answerer reads this deeper pool and puts what it cites first
        ids = [cid for cid, _ in ranked if cid in self._catalog_ids][:keep]
        chunks = self.store.catalog.chunks(ids)
        out = [Retrieved(chunks[cid], round(score, 6)) for cid, score in ranked if cid in chunks]
        return out[:keep]

    def _sparse_query(self, question: str, doc_ids: tuple[str, ...]) -> str:
        """Within named reports, the report's own name only adds noise to BM25 (every passage that
        prints the department's name outranks the one about the item), so it is left out."""
        if not doc_ids:
            return question
        from rag.extractive import content_of

        named = self.names_in(question)
        names = set().union(*(self._aliases.get(d, set()) | named.get(d, set()) for d in doc_ids))
        # the body's name only: a title without one ("2023年地方政府债务限额及余额决算情况表") holds the
        # very measure words the question asks about
        departments = [self.reports[d].get("department") or "" for d in doc_ids]
        return content_of(question, names, departments) or question

    def _allowed(self, doc_ids: tuple[str, ...], f: Filters) -> np.ndarray | None:
        return self.sparse.meta.mask(doc_ids, f.year, f.kind)

    def _dense(self, question: str, doc_ids: tuple[str, ...], f: Filters) -> list[tuple[str, float]]:
        snapshot = self.store.dense()
        if snapshot is not None:  # exact search over the catalog's vectors, without loading chromadb
            vec = self.store.embedder.embed_query([question])[0]
            return snapshot.query(vec, POOL, doc_ids, f.year, f.kind)
        clauses: list[dict] = []
        if doc_ids:
            clauses.append({"doc_id": {"$in": list(doc_ids)}})
        if f.year is not None:
            clauses.append({"year": f.year})
        if f.kind is not None:
            clauses.append({"report_kind": f.kind})
        where = clauses[0] if len(clauses) == 1 else ({"$and": clauses} if clauses else None)
        vec = self.store.embedder.embed_query([question])[0]
        return self.store.vectors.query(vec, POOL, where)

    def _sparse(self, question: str, allowed: np.ndarray | None) -> list[tuple[str, float]]:
        scores = self.sparse.scores(tokenize(question))
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        if not len(scores):
            return []
        top = top_rows(scores, POOL * 4)
        out: dict[str, float] = {}  # a chunk counts once, at its best row
        for i in top:
            if scores[i] <= 0 or len(out) >= POOL:
                break
            out.setdefault(self.sparse.ids[i], float(scores[i]))
        return list(out.items())

    def chunk(self, chunk_id: str) -> Chunk | None:
        return self.store.catalog.chunks([chunk_id]).get(chunk_id)
