"""Idempotent, crash-safe ingest; bad files get one message each and the batch goes on."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ingest.parse import parse_file
from ingest.pipeline import IngestResult, Store
from ingest.settings import Settings
from tests.conftest import CORPUS


def _pdf(pages_text: list[str] | None, encrypt: str = "") -> bytes:
    """A small PDF made with pypdf: blank pages or, with encrypt, a password."""
    from pypdf import PdfWriter

    w = PdfWriter()
    for _ in pages_text or [""]:
        w.add_blank_page(width=595, height=842)
    if encrypt:
        w.encrypt(encrypt)
    buf = io.BytesIO()
    w.write(buf)
    return buf.getvalue()


def test_unchanged_reingest_does_nothing_and_change_replaces_chunks(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    src = CORPUS / "qujiang-gongxinju-2021-jixiao.txt"
    target = docs / src.name
    target.write_bytes(src.read_bytes())
    store = Store(Settings(home=tmp_path / "home"))
    first = store.ingest([docs])
    assert first.added == [target.stem] and first.chunks_embedded > 0
    before = store.catalog.chunk_ids(target.stem)

    again = store.ingest([docs])
    assert again.unchanged == [target.stem] and again.chunks_embedded == 0 and not again.changed

    text = target.read_text(encoding="utf-8").replace("韶关市曲江区工业和信息化局", "韶关市曲江区工信局", 1)
    target.write_text(text + "\n（四）新增段落：本段为测试追加的内容。\n", encoding="utf-8")
    changed = store.ingest([docs])
    assert changed.updated == [target.stem]
    after = store.catalog.chunk_ids(target.stem)
    assert after != before
    # old chunks are gone from the vector store too; only the new version is there
    assert set(store.vectors.ids_for_doc(target.stem)) == after
    assert 0 < changed.chunks_embedded < len(after) + 1


def test_crash_before_catalog_swap_keeps_old_version(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    target = docs / "qujiang-gongxinju-2021-jixiao.txt"
    target.write_bytes((CORPUS / target.name).read_bytes())
    store = Store(Settings(home=tmp_path / "home"))
    store.ingest([docs])
    old_ids = store.catalog.chunk_ids(target.stem)
    target.write_text(target.read_text(encoding="utf-8") + "\n新增一句话。\n", encoding="utf-8")

    def boom(*a: object, **k: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(store.catalog, "swap_report", boom)
    with pytest.raises(RuntimeError):
        store._store_report(
            parse_file(target),
            IngestResult(),
        )
    assert store.catalog.chunk_ids(target.stem) == old_ids  # still queryable as before


def test_prune_drops_reports_whose_file_is_gone(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("qujiang-gongxinju-2021-jixiao.txt", "baiyun-kegongshangxin-2023-jixiao.txt"):
        (docs / name).write_bytes((CORPUS / name).read_bytes())
    store = Store(Settings(home=tmp_path / "home"))
    store.ingest([docs])
    (docs / "baiyun-kegongshangxin-2023-jixiao.txt").unlink()
    kept = store.ingest([docs])
    assert kept.removed == [] and len(store.catalog.doc_ids()) == 2
    pruned = store.ingest([docs], prune=True)
    assert pruned.removed == ["baiyun-kegongshangxin-2023-jixiao"]
    assert store.catalog.doc_ids() == ["qujiang-gongxinju-2021-jixiao"]
    assert store.vectors.ids_for_doc("baiyun-kegongshangxin-2023-jixiao") == []


def test_bad_files_each_get_a_message_and_the_batch_goes_on(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_bytes((CORPUS / "qujiang-gongxinju-2021-jixiao.txt").read_bytes())
    (docs / "gbk.txt").write_bytes(
        "第一部分 概况\n一、部门职责\n本部门2024年度一般公共预算财政拨款收入100万元。\n".encode("gbk")
    )
    (docs / "empty.txt").write_bytes(b"")
    (docs / "scan.pdf").write_bytes(_pdf(["", ""]))
    (docs / "locked.pdf").write_bytes(_pdf([""], encrypt="secret"))
    (docs / "fake.pdf").write_bytes(b"this is not a pdf at all")
    (docs / "truncated.pdf").write_bytes(_pdf([""])[:60])
    store = Store(Settings(home=tmp_path / "home"))
    result = store.ingest([docs])
    assert sorted(result.added) == ["gbk", "good"]
    messages = {Path(e.path).name: e.reason for e in result.errors}
    assert set(messages) == {"empty.txt", "scan.pdf", "locked.pdf", "fake.pdf", "truncated.pdf"}
    assert "空的" in messages["empty.txt"]
    assert "没有可读的文字" in messages["scan.pdf"]  # blank pages: nothing for OCR either
    assert "已加密" in messages["locked.pdf"]
    assert "无法作为 PDF 读取" in messages["fake.pdf"] or "不完整" in messages["fake.pdf"]
    assert "不完整" in messages["truncated.pdf"] or "无法作为 PDF 读取" in messages["truncated.pdf"]


def test_a_new_parser_version_rereads_unchanged_files_without_reembedding(tmp_path: Path) -> None:
    from ingest import pipeline

    settings = Settings(home=tmp_path / "home")
    src = CORPUS / "beiguan-gongxinju-2024-juesuan.txt"
    first = Store(settings).ingest([src])
    assert first.added == ["beiguan-gongxinju-2024-juesuan"]
    assert Store(settings).ingest([src]).unchanged == ["beiguan-gongxinju-2024-juesuan"]
    store = Store(settings)
    store.catalog.set_meta("parser:beiguan-gongxinju-2024-juesuan", "0")  # as written by an older budgetqa
    again = store.ingest([src])
    assert again.updated == ["beiguan-gongxinju-2024-juesuan"] and again.chunks_embedded == 0
    assert store.catalog.meta("parser:beiguan-gongxinju-2024-juesuan") == pipeline.PARSER_VERSION
