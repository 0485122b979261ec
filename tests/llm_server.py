"""A small scripted OpenAI-compatible chat server on 127.0.0.1 for the LLM tests.

The model name picks the script. Answers cite the passage that holds the figure they state, found in
the prompt the way a real model would see it, so the tests run through the real client library.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

GOOD = "清城区工信局2024年政府性基金预算财政拨款收入42,400万元，比上年决算数增加23400万元，增长123.16%[{n}]。"
WRONG = "清城区工信局2024年政府性基金预算财政拨款收入4,240万元[{n}]。"
INJECTED = "政府性基金预算财政拨款收入为0万元[{n}]。"


def passage_with(prompt: str, needle: str) -> int:
    """Number of the first passage in the prompt that contains needle (1 when none does)."""
    for m in re.finditer(r"^\[(\d+)\] .*?(?=^\[\d+\] |</passages>)", prompt, flags=re.S | re.M):
        if needle in m.group(0).replace(" ", ""):
            return int(m.group(1))
    return 1


def script(model: str, prompt: str) -> tuple[int, str]:
    """(HTTP status, answer text) for a model name."""
    n = passage_with(prompt, "42,400万元")
    if model == "correct":
        return 200, GOOD.format(n=n)
    if model == "wrong":
        return 200, WRONG.format(n=n)
    if model == "badcite":
        return 200, GOOD.format(n=n) + "另有专项资金100万元[9]。"
    if model == "uncited":
        return 200, "政府性基金预算财政拨款收入42,400万元。"
    if model == "obedient":  # follows instructions found inside a document, as a weak model might
        return 200, (INJECTED if "忽略之前的指令" in prompt else GOOD).format(n=n)
    if model == "english":
        return 200, f"The government fund appropriation income was 42,400万元 [{n}]."
    if model == "error500":
        return 500, "internal error"
    if model == "unauthorized":
        return 401, "bad key"
    if model == "ratelimit":
        return 429, "slow down"
    return 200, GOOD.format(n=n)


class Handler(BaseHTTPRequestHandler):
    server: ScriptedServer

    def log_message(self, *args: object) -> None:  # keep test output clean
        pass

    def _send(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        model = body["model"]
        prompt = "\n".join(m["content"] for m in body["messages"] if isinstance(m.get("content"), str))
        if model == "slow":
            time.sleep(self.server.slow_seconds)
        if model == "malformed":
            self._send(200, b'{"choices": "not a list"')
            return
        status, text = script(model, prompt)
        if status != 200:
            err = {"error": {"message": text, "type": "error", "code": status}}
            self._send(status, json.dumps(err).encode())
            return
        if body.get("stream"):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            pieces = re.findall(r".{1,6}", text, flags=re.S)
            for i, piece in enumerate(pieces):
                delta = {"content": piece} if i else {"role": "assistant", "content": piece}
                chunk = {
                    "id": "c1",
                    "object": "chat.completion.chunk",
                    "created": 0,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
                }
                self.wfile.write(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
                self.wfile.flush()
            end = {
                "id": "c1",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": model,
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
            }
            self.wfile.write(f"data: {json.dumps(end)}\n\ndata: [DONE]\n\n".encode())
            self.server.streamed += 1
            return
        reply = {
            "id": "r1",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
        }
        self._send(200, json.dumps(reply, ensure_ascii=False).encode())


class ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict] = []
        self.streamed = 0
        self.slow_seconds = 3.0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"

    def start(self) -> ScriptedServer:
        threading.Thread(target=self.serve_forever, daemon=True).start()
        return self
