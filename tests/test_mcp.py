"""`budgetqa serve` is open to other tools: an MCP server (the real `mcp` client) and an HTTP API
(gradio_client) with ask, check, locate, compare and audit — and both keep out whoever `--auth` does."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ingest.settings import Settings
from tests.conftest import ROOT, free_port, wait_for_port

TOOLS = {"ask", "check", "locate", "compare", "audit"}
QUESTION = "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？"
USER = ("reporter", "s3cret")


def _serve(home: Path, *args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, BUDGETQA_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_port(proc, port, "budgetqa serve", tries=240)
    return proc, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def open_server(corpus_settings: Settings) -> Iterator[str]:
    proc, url = _serve(corpus_settings.home)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def locked_server(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    users = tmp_path_factory.mktemp("auth") / "users.auth"
    made = subprocess.run(  # the way a newsroom makes its logins: hashed, readable by its owner only
        [sys.executable, "-m", "ui.cli", "user", "add", USER[0], "--file", str(users)],
        input=USER[1] + "\n",
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    proc, url = _serve(corpus_settings.home, "--auth", str(users))
    yield url
    proc.terminate()
    proc.wait(timeout=20)


async def _mcp(url: str, auth: tuple[str, str] | None = None) -> tuple[dict, dict, dict]:
    """The tool list, then ask and check called through the MCP protocol (streamable HTTP)."""
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async with httpx.AsyncClient(auth=auth, timeout=120) as http:
        async with streamable_http_client(f"{url}/gradio_api/mcp/", http_client=http) as (read, write, _):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = {t.name: t for t in (await session.list_tools()).tools}
                asked = await session.call_tool("ask", {"question": QUESTION})
                checked = await session.call_tool(
                    "check", {"sentence": "清城区工信局2024年政府性基金预算财政拨款收入42,000万元"}
                )
                refused = await session.call_tool("check", {"sentence": "某某单位2024年三公经费支出5万元"})
    return tools, _content(asked), _content(checked) | {"refused": refused}


def _content(result) -> dict:  # noqa: ANN001
    assert not result.isError, result.content
    return json.loads(result.content[0].text)


def test_mcp_tools_answer_in_chinese_with_their_sources(open_server: str) -> None:
    schema = json.loads(urllib.request.urlopen(f"{open_server}/gradio_api/mcp/schema").read())
    names = {t["name"] for t in schema}
    assert TOOLS <= names, names
    tools, asked, checked = asyncio.run(_mcp(open_server))
    assert TOOLS <= set(tools)
    assert "核对" in tools["check"].description and "question" in tools["ask"].inputSchema["properties"]
    assert "42,400万元" in asked["answer"] and asked["citations"][0]["doc_id"] == "qingcheng-gongxinju-2024-juesuan"
    assert any(n["status"] == "verified" for n in asked["numbers"])
    assert [n["status"] for n in checked["numbers"]][0] == "mismatch"
    refused = checked["refused"]  # bad input: the Chinese line, flagged as an error
    assert refused.isError and "看不出句子说的是" in refused.content[0].text


def test_http_api_serves_the_same_tools(open_server: str) -> None:
    from gradio_client import Client

    client = Client(open_server, verbose=False)
    api = client.view_api(print_info=False, return_format="dict")["named_endpoints"]
    assert {f"/{t}" for t in TOOLS} <= set(api), api.keys()  # and nothing of the page's own handlers
    assert len(api) == len(TOOLS), api.keys()
    hits = json.loads(client.predict("42400", api_name="/locate"))["hits"]
    assert any(h["doc_id"] == "qingcheng-gongxinju-2024-juesuan" for h in hits)
    rows = json.loads(client.predict("三公经费", "", False, api_name="/compare"))["rows"]
    assert len(rows) >= 2
    findings = json.loads(client.predict("qingcheng-gongxinju-2024-juesuan", api_name="/audit"))["reports"]
    assert findings[0]["doc_id"] == "qingcheng-gongxinju-2024-juesuan"
    with pytest.raises(Exception, match="问题是空的"):  # noqa: B017 - gradio_client's AppError
        client.predict("", api_name="/ask")


def test_auth_keeps_strangers_out_of_both(locked_server: str) -> None:
    from gradio_client import Client

    with pytest.raises(urllib.error.HTTPError, match="401"):
        urllib.request.urlopen(f"{locked_server}/gradio_api/mcp/schema")
    with pytest.raises(Exception) as refused:  # noqa: B017 - the mcp client wraps the HTTP error in a group
        asyncio.run(_mcp(locked_server, ("reporter", "wrong")))
    assert "401" in repr(refused.value)
    with pytest.raises(Exception):  # noqa: B017 - gradio_client raises its own types for a refused login
        Client(locked_server, verbose=False)
    tools, asked, _ = asyncio.run(_mcp(locked_server, USER))
    assert TOOLS <= set(tools) and "42,400万元" in asked["answer"]
    client = Client(locked_server, auth=USER, verbose=False)
    assert json.loads(client.predict("42400", api_name="/locate"))["hits"]
