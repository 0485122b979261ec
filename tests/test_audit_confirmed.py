"""audit on real reports: every 错误 it raises is held as real in eval/audit_confirmed.tsv (each read on
its page by a person), and the real errors named in the issues are found.

A fixed small set: corpus/ (in the repo) and a few PDFs of ../shared/realdata and ../shared/realdata-wide
(skipped, with the reason, when ../shared is absent)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from ingest.pipeline import Store
from rag.audit import Finding, audit
from tests.conftest import CORPUS, REALDATA, ingested_home

ROOT = Path(__file__).resolve().parent.parent
TSV = ROOT / "eval" / "audit_confirmed.tsv"
WIDE = REALDATA.parent / "realdata-wide"
SHARED = (
    REALDATA / "putuo-sifaju-2026-bumen-yusuan.pdf",
    REALDATA / "putuo-caizhengju-2024-juesuan.pdf",
    REALDATA / "putuo-caizhengju-2025-bumen-yusuan.pdf",
    REALDATA / "putuo-shehuigongzuobu-2024-juesuan.pdf",
    WIDE / "dept" / "zhongyang-guojiaxinfangju-2024-bumen-juesuan.pdf",
    WIDE / "dept" / "guangdong-foshan-guidaojiaotongju-2019-bumen-juesuan.pdf",
)


def figures(f: Finding) -> str:
    """How a finding is named in the file: what the report says against what it should be."""
    return f"文中{f.found} / 应为{f.expected}"


def confirmed() -> dict[tuple[str, str, str, str], str]:
    with TSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return {(r["report"], r["page"], r["check"], r["figures"]): r["verdict"] for r in rows}


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> Store:
    paths = [p for p in CORPUS.iterdir() if p.suffix in (".txt", ".md")]
    present = [p for p in SHARED if p.exists()]
    if not present:
        pytest.skip(f"{REALDATA.parent} is absent: the real PDFs live in ../shared and are never committed")
    settings = ingested_home(tmp_path_factory.mktemp("confirmed"), paths + present)
    return Store(settings, write=False)


def test_audit_errors_are_confirmed(real: Store) -> None:
    """Each 错误 of these reports is a line of eval/audit_confirmed.tsv with the verdict real."""
    held = confirmed()
    unconfirmed = []
    for doc in real.catalog.doc_ids():
        for f in audit(real, doc):
            if f.severity != "error":
                continue
            key = (doc, str(f.page or ""), f.kind, figures(f))
            if held.get(key) != "real":
                unconfirmed.append((*key, held.get(key, "not in the file"), f.quote[:80]))
    assert not unconfirmed, "\n".join(map(str, unconfirmed))


def test_confirmed_file_holds_only_real_or_false_verdicts() -> None:
    verdicts = set(confirmed().values())
    assert verdicts <= {"real", "false"} and "real" in verdicts


def test_confirmed_budget_form_rate_is_found(real: Store) -> None:
    """ "2025年当年预算执行数为43269.3万元，2026年预算安排3845.49万元，比2025年预算执行数增加17.62%": a fall."""
    if "putuo-sifaju-2026-bumen-yusuan" not in real.catalog.doc_ids():
        pytest.skip("putuo-sifaju-2026-bumen-yusuan.pdf is absent")
    hits = [f for f in audit(real, "putuo-sifaju-2026-bumen-yusuan") if f.found == "17.62%"]
    assert hits and hits[0].severity == "error" and hits[0].expected.startswith("减少")


def test_confirmed_growth_rate_of_the_sentence_before_is_found(real: Store) -> None:
    """北关: "…总计均为395.87万元。与上年度相比，…各减少417.27万元，下降54.35%" — the amounts give 51.32%."""
    hits = [f for f in audit(real, "beiguan-gongxinju-2024-juesuan") if f.found == "54.35%"]
    assert hits and all(f.expected == "51.32%" and f.severity == "error" for f in hits)
