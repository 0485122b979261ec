"""The wide corpus (../shared/realdata-wide) as gold sets the harness reads.

facts   its verified facts (facts.jsonl of each folder), one lookup question each, as the b1 check writes them
cells   questions generated from each report's own keyed table cells: the report named as a person would
        (its body or place and year, from SOURCES.tsv — never from budgetqa's own reading), the row and
        column asked, the cell's value expected
families  doc_id → family (folder and file format: dept-pdf, gov-html, …) for per-family and leave-one-family-out

    python -m eval.wide facts OUT.jsonl [--shared ../shared]
    python -m eval.wide cells OUT.jsonl [--per-report 6]     (reads the index of BUDGETQA_HOME)
    python -m eval.wide families OUT.tsv
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from ingest.model import Fact

SHARED = Path(__file__).resolve().parents[2] / "shared"
FORMATS = {"pdf": "pdf", "html": "html", "htm": "html", "xlsx": "sheet", "xls": "sheet", "doc": "doc", "docx": "doc"}
# column names that only say "the amount" add nothing a person would say
PLAIN_COLUMN = re.compile(r"^(金额|数额|合计|决算数|预算数|本年预算|预算|决算|小计|总计|数|金额（万元）|金额\(万元\))$")
NUMBERING = re.compile(
    r"^[\s　]*(?:[一二三四五六七八九十]+[、.．]|（[一二三四五六七八九十]+）|\([一二三四五六七八九十]+\)|\d+[、.．])"
)
BODY_ENDS = ("局", "中心", "委员会", "办公室", "部", "院", "所", "站", "队", "学校", "政府")
CLEAN_LABEL = re.compile(r"^[\u4e00-\u9fff（）()“”\"、]{3,24}$")


def wide_dirs(shared: Path = SHARED) -> list[Path]:
    return sorted(p.parent for p in (shared / "realdata-wide").glob("*/facts.jsonl"))


def facts_gold(shared: Path = SHARED) -> list[dict]:
    """The verified facts as lookup questions (ids and fields as the b1 acceptance check writes them)."""
    out = []
    for folder in wide_dirs(shared):
        lines = (folder / "facts.jsonl").read_text(encoding="utf-8").splitlines()
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            x = json.loads(line)
            out.append(
                {
                    "id": f"w-{folder.name}-{i + 1:03d}",
                    "question": x["question"],
                    "doc": x["doc"],
                    "type": "lookup",
                    "expected_numbers": [{"value": x["value"], "unit": x.get("unit", "")}],
                    "evidence": [x["evidence"]],
                }
            )
    return out


def sources(shared: Path = SHARED) -> dict[str, dict]:
    """doc_id → its SOURCES.tsv row (with the folder under "folder")."""
    out: dict[str, dict] = {}
    for folder in wide_dirs(shared):
        with open(folder / "SOURCES.tsv", encoding="utf-8") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                name = row.get("file") or ""
                if name:
                    out[Path(name).stem] = {**row, "folder": folder.name, "ext": Path(name).suffix.lstrip(".").lower()}
    return out


def families(shared: Path = SHARED) -> dict[str, str]:
    return {d: f"{r['folder']}-{FORMATS.get(r['ext'], r['ext'])}" for d, r in sources(shared).items()}


def spoken_name(row: dict) -> str:
    """The report's body as a person names it: the department of a department's report, the place of a
    government's (both without bracketed notes)."""
    strip = lambda t: re.sub(r"[（(][^）)]*[）)]", "", t or "").strip()  # noqa: E731
    if row.get("folder") == "dept" and re.fullmatch(r"[\u4e00-\u9fff]{3,30}", strip(row.get("body"))):
        return strip(row.get("body"))
    return strip(row.get("place"))


def report_year(doc_id: str) -> int | None:
    m = re.search(r"-(20\d{2})-", doc_id + "-")
    return int(m.group(1)) if m else None


def _phrase(f: Fact) -> str | None:
    label = NUMBERING.sub("", f.row_label).strip()
    if not CLEAN_LABEL.match(label):
        return None
    last = f.column.split(">")[-1].strip() if f.column else ""
    if last and not PLAIN_COLUMN.match(last) and CLEAN_LABEL.match(last) and last not in label:
        return f"{label}（{last}）"
    return label


def cell_questions(facts: list[Fact], name: str, year: int, doc_id: str, per_report: int) -> Iterator[dict]:
    """Up to per_report questions, one per table, about cells whose row and column name them alone in the
    report (a phrase two different values share is ambiguous and never asked)."""
    by_phrase: dict[str, set] = {}
    for f in facts:
        p = _phrase(f)
        if p and f.value_yuan is not None:
            by_phrase.setdefault(p, set()).add(f.value_yuan)
    seen_tables: set[str] = set()
    n = 0
    for f in facts:
        if n >= per_report:
            return
        if f.flagged or f.key is None or f.unit not in ("元", "万元", "亿元") or not f.value or f.value <= 0:
            continue
        p = _phrase(f)
        if p is None or len(by_phrase.get(p, ())) != 1 or f.table_id in seen_tables:
            continue
        if p in name or name in p or p.endswith(BODY_ENDS):  # a unit's own row of a list of units, not an item
            continue
        seen_tables.add(f.table_id)
        n += 1
        yield {
            "id": f"c-{doc_id}-{n:02d}",
            "question": f"{name}{year}年{p}是多少？",
            "doc": doc_id,
            "type": "lookup",
            "expected_numbers": [{"value": str(f.value), "unit": f.unit}],
            "evidence": [],
        }


def generated_gold(per_report: int = 6, shared: Path = SHARED) -> list[dict]:
    from ingest.factstore import FactStore
    from ingest.pipeline import Store
    from ingest.settings import load_settings

    store = Store(load_settings(), write=False)
    known = set(store.catalog.doc_ids())
    facts = FactStore(store.catalog)
    out: list[dict] = []
    for doc_id, row in sorted(sources(shared).items()):
        year = report_year(doc_id)
        name = spoken_name(row)
        if doc_id not in known or not year or not name:
            continue
        out += list(cell_questions(facts.facts((doc_id,)), name, year, doc_id, per_report))
    return out


def _write_jsonl(rows: list[dict], path: Path) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m eval.wide", description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=("facts", "cells", "families"))
    ap.add_argument("out")
    ap.add_argument("--shared", default=str(SHARED))
    ap.add_argument("--per-report", type=int, default=6)
    ap.add_argument("--every", type=int, default=1, help="facts of every n-th report only (as eval.embed_probe)")
    a = ap.parse_args(argv)
    shared, out = Path(a.shared), Path(a.out)
    if a.what == "facts":
        rows = facts_gold(shared)
        keep = set(sorted({r["doc"] for r in rows})[:: max(1, a.every)])
        rows = [r for r in rows if r["doc"] in keep]
        _write_jsonl(rows, out)
    elif a.what == "cells":
        rows = generated_gold(a.per_report, shared)
        _write_jsonl(rows, out)
    else:
        fam = families(shared)
        out.write_text("".join(f"{d}\t{f}\n" for d, f in sorted(fam.items())), encoding="utf-8")
        rows = list(fam)
    print(f"wrote {len(rows)} rows to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
