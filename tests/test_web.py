"""The web app in a real browser (Debian chromium driven by Playwright) and through gradio_client.

Screenshots land in tests/artifacts/ (kept out of git) so a person can look at what the tests saw.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import REALDATA, free_port, wait_for_port

from ingest.pipeline import Store
from ingest.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
QUESTION = "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？"
PDF = "putuo-sifaju-2026-danwei-yusuan.pdf"
HOSTILE = (
    "测试区恶意样本局2024年度部门决算\n\n第一部分 情况说明\n\n"
    "恶意样本局2024年度收入合计12.50万元。<script>window.__pwned = 1</script>"
    '<img src=x onerror="window.__pwned2 = 1">说明结束。\n'
)


@pytest.fixture(scope="module")
def server(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> str:
    home = tmp_path_factory.mktemp("web") / "home"
    shutil.copytree(corpus_settings.home, home)  # uploads must not change the shared index
    if (REALDATA / PDF).exists():  # a real PDF, so that a citation opens a rendered page
        store = Store(corpus_settings.with_(home=home))
        assert not store.ingest([REALDATA / PDF]).errors
        store.close()
    port = free_port()
    env = dict(os.environ, BUDGETQA_HOME=str(home), GRADIO_ANALYTICS_ENABLED="False")
    log = (tmp_path_factory.mktemp("weblog") / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    wait_for_port(proc, port, "budgetqa serve")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def page(server: str):  # noqa: ANN201
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: install Debian's chromium package (.ci/run does)")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        pg = context.new_page()
        pg.set_default_timeout(60_000)
        pg.goto(server)
        pg.wait_for_selector("#question textarea")
        yield pg
        browser.close()


def _tab(page, name: str) -> None:  # noqa: ANN001
    page.get_by_role("tab", name=name).click()


def _see(page, elem_id: str, text: str) -> None:  # noqa: ANN001
    """Wait until the component shows the text (answers stream and ingest takes a while)."""
    from playwright.sync_api import expect

    expect(page.locator(f"#{elem_id}")).to_contain_text(text, timeout=120_000)


def _pick(page, elem_id: str, text: str) -> None:  # noqa: ANN001
    """Choose an option of a Gradio dropdown by typing part of its label."""
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill(text)
    page.get_by_role("option", name=text, exact=False).first.click()


def _ask(page, question: str, answers_before: int) -> None:  # noqa: ANN001
    page.locator("#question textarea").fill(question)
    page.locator("#ask-button").click()
    page.wait_for_function(
        f"document.querySelectorAll('#chat details.sources').length > {answers_before}", timeout=120_000
    )


@pytest.mark.browser
def test_ask_shows_a_cited_answer_and_a_follow_up_keeps_the_report(page) -> None:  # noqa: ANN001
    page.locator("#question textarea").fill("清城区工信局2024年政府性基金预算财政拨款收入是多少？")
    page.locator("#ask-button").click()
    page.wait_for_selector("#chat details.sources", timeout=120_000)
    chat = page.locator("#chat").inner_text()
    assert "[1]" in chat and "✓" in chat and "42,400" in chat
    _ask(page, "那一般公共预算呢？", 1)
    last = page.locator("#chat .understood").last.inner_text()
    assert "清城区工信局2024年一般公共预算" in last
    last_answer = page.locator("#chat details.sources").last
    last_answer.locator("summary").click()
    sources = last_answer.inner_text()
    assert "清城区" in sources and "6,268.57" in sources
    # the first answer keeps its own sources
    assert "42,400" in page.locator("#chat details.sources").first.inner_html()
    page.screenshot(path=str(ARTIFACTS / "ask-follow-up.png"), full_page=True)


@pytest.mark.browser
def test_citation_opens_the_pdf_page_with_the_quote_boxed(page, tmp_path: Path) -> None:  # noqa: ANN001
    if not (REALDATA / PDF).exists():
        pytest.skip(f"{REALDATA / PDF} is absent: the real PDFs live in ../shared/realdata")
    from PIL import Image

    before = page.locator("#chat details.sources").count()
    _ask(page, "普陀区司法局2026年单位预算“三公”经费预算是多少？", before)
    page.locator("#chat a.cite").last.click()
    _see(page, "page-caption", "红框")
    img = page.locator("#page-image img")
    img.wait_for()
    page.wait_for_function("document.querySelector('#page-image img').complete")
    shot = tmp_path / "page.png"
    img.screenshot(path=str(shot))
    page.screenshot(path=str(ARTIFACTS / "page-boxed.png"), full_page=True)
    px = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    red = int(((px[..., 0] > 180) & (px[..., 1] < 80) & (px[..., 2] < 80)).sum())
    assert red > 50, f"no red box visible on the rendered page ({red} red pixels)"


@pytest.mark.browser
def test_copy_and_word_export_carry_the_sources(page, tmp_path: Path) -> None:  # noqa: ANN001
    if page.locator("#chat details.sources").count() == 0:
        _ask(page, QUESTION, 0)
    page.locator("#chat a.copy").first.click()
    page.wait_for_function("document.querySelector('#copy-text textarea').value.includes('来源')")
    copied = page.locator("#copy-text textarea").input_value()
    assert copied.startswith("问：") and "[1] 《" in copied and "与表格中同一项一致" in copied
    with page.expect_download() as dl:
        page.locator("#export-docx").click()
        page.locator("#exported a").first.click()
    path = tmp_path / "conv.docx"
    dl.value.save_as(str(path))
    import docx

    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "来源" in text and "《" in text and "第" in text


@pytest.mark.browser
def test_locate_finds_a_figure_across_formats(page) -> None:  # noqa: ANN001
    _tab(page, "引用查找")
    page.locator("#locate-text textarea").fill("42400")
    page.locator("#locate-button").click()
    _see(page, "locate-status", "找到")
    hits = page.locator("#locate-hits").inner_text()
    assert "清城区工业和信息化局" in hits and "qingcheng-gongxinju" not in hits  # the title, never the id
    page.locator("#check-text textarea").fill("清城区工信局2024年政府性基金预算财政拨款收入4,240万元")
    page.locator("#check-button").click()
    _see(page, "check-numbers", "与表格中同一项不符")
    page.screenshot(path=str(ARTIFACTS / "locate.png"), full_page=True)
    # the columns wrap inside 1400 px: nothing runs off the right edge
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    right = page.evaluate(
        "Math.max(...[...document.querySelectorAll('#locate-hits td')].map(td => td.getBoundingClientRect().right))"
    )
    assert right <= 1400


@pytest.mark.browser
def test_tables_tab_shows_a_report_table_with_unit(page) -> None:  # noqa: ANN001
    _tab(page, "报表")
    _pick(page, "tables-doc", "清城区工业和信息化局")
    _see(page, "tables-info", "单位")
    assert "收入支出决算总表" in page.locator("#tables-info").inner_text()
    assert "6,268.57" in page.locator("#tables-frame").inner_text()
    page.screenshot(path=str(ARTIFACTS / "tables.png"), full_page=True)


@pytest.mark.browser
def test_upload_lists_the_file_and_hostile_text_stays_text(page, tmp_path: Path) -> None:  # noqa: ANN001
    f = tmp_path / "hostile-sample.txt"
    f.write_text(HOSTILE, encoding="utf-8")
    _tab(page, "上传")
    page.locator("#upload-files input[type=file]").set_input_files(str(f))
    page.locator("#upload-button").click()
    _see(page, "upload-results", "已加入")
    _see(page, "upload-results", "恶意样本局")  # the report's title as read, in the result line
    page.screenshot(path=str(ARTIFACTS / "upload.png"), full_page=True)
    _tab(page, "问答")
    _ask(page, "恶意样本局2024年度收入合计是多少？", page.locator("#chat details.sources").count())
    page.locator("#chat details.sources").last.locator("summary").click()
    shown = page.locator("#chat details.sources").last.inner_text()
    assert "恶意样本局" in shown and "<script>" in shown  # displayed as characters
    assert page.evaluate("window.__pwned === undefined && window.__pwned2 === undefined")
    assert page.locator("#chat script").count() == 0 and page.locator("#chat img[src=x]").count() == 0
    page.screenshot(path=str(ARTIFACTS / "hostile.png"), full_page=True)


@pytest.mark.browser
def test_upload_shows_progress_before_it_ends(page) -> None:  # noqa: ANN001
    pdf = REALDATA / "putuo-fuliyuan-2024-danwei-yusuan.pdf"
    if not pdf.exists():
        pytest.skip(f"{pdf} is absent: the real PDFs live in ../shared/realdata")
    from playwright.sync_api import expect

    _tab(page, "上传")
    page.locator("#upload-files input[type=file]").set_input_files(str(pdf))
    page.locator("#upload-button").click()
    expect(page.locator("#upload-results").get_by_text("正在").first).to_be_visible(timeout=60_000)
    assert "福利院" not in page.locator("#upload-results").inner_text()  # shown while it runs
    page.screenshot(path=str(ARTIFACTS / "upload-progress.png"), full_page=True)
    _see(page, "upload-results", "福利院")  # the report's title, never its internal id
    _tab(page, "问答")
    docs_choices = page.evaluate("document.body.innerText")
    assert docs_choices  # the page is still alive after the upload


def test_gradio_client_asks_and_locates(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    asked = json.loads(client.predict(QUESTION, api_name="/ask"))  # the HTTP API (ui/web_api.py)
    assert "42,400万元" in asked["answer"] and "来源：" in asked["text"] and asked["citations"]
    hits = json.loads(client.predict("42400", api_name="/locate"))["hits"]
    assert any(h["doc_id"] == "qingcheng-gongxinju-2024-juesuan" for h in hits)


def test_upload_names_cannot_leave_the_folder_or_overwrite(tmp_path: Path) -> None:
    from ingest.errors import BadInputError
    from ui.render import safe_name, unused_path

    assert safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert safe_name("..\\..\\x\\报告 2024<b>.PDF") == "报告_2024_b.pdf"
    assert safe_name(".hidden.md") == "hidden.md"
    with pytest.raises(BadInputError, match="不能加入「.exe」文件"):
        safe_name("evil.exe")
    (tmp_path / "a.txt").write_bytes(b"one")
    assert unused_path(tmp_path, "a.txt", b"one") == tmp_path / "a.txt"  # same bytes: reuse
    assert unused_path(tmp_path, "a.txt", b"two") == tmp_path / "a-1.txt"  # other bytes: new name
    assert unused_path(tmp_path, "b.txt", b"x", taken={"b"}) == tmp_path / "b-1.txt"  # a report has that doc_id


def test_sources_panel_escapes_document_text() -> None:
    from decimal import Decimal

    from ingest.model import Answer, CheckedNumber, Citation
    from ui.render import answer_message, sources_html

    c = Citation(1, "d", "<b>t</b>", "s", 3, "c1", "text", "收入12.50万元。<script>x()</script>", "收入12.50万元。")
    n = CheckedNumber("12.50万元", Decimal("12.5"), "万元", "quoted")
    a = Answer("q", "收入12.50万元。[1]<img src=x onerror=y()>", "extractive", False, (c,), (), (n,))
    html = sources_html(a, 0) + answer_message(a, 0)
    assert "<script>" not in html and "<img" not in html and "<b>t</b>" not in html
    assert "&lt;script&gt;" in html and "<mark>收入12.50万元。</mark>" in html
    assert 'data-cite="0:1"' in html and html.count('class="mark mark-quoted"') == 1


def test_upload_reports_each_bad_file_plainly(corpus_settings: Settings, tmp_path: Path) -> None:
    """Too large, wrong type, undecodable: one plain line each; the good file still goes in."""
    from types import SimpleNamespace

    from ui.web import App, upload

    home = tmp_path / "home"
    shutil.copytree(corpus_settings.home, home)
    app = App(corpus_settings.with_(home=home, max_upload_mb=1))
    files = tmp_path / "in"
    files.mkdir()
    (files / "big.txt").write_bytes(b"x" * (2 * 1024 * 1024))
    (files / "tool.exe").write_bytes(b"MZ")
    (files / "garbage.txt").write_bytes(bytes(range(256)) * 40)
    (files / "ok.txt").write_text(HOSTILE, encoding="utf-8")
    uploads = [SimpleNamespace(name=str(p), orig_name=p.name) for p in sorted(files.iterdir())]
    result, listing = upload(app, uploads, lambda *a, **k: None)
    rows = {r[0]: (r[1], r[2]) for r in result.values.tolist()}
    assert rows["big.txt"][0] == "失败" and "超过 1 MB 的上限" in rows["big.txt"][1]
    assert rows["tool.exe"][0] == "失败" and "不能加入「.exe」文件" in rows["tool.exe"][1]
    assert rows["garbage.txt"][0] == "失败"
    assert rows["ok.txt"][0] == "已加入" and any("恶意样本局" in t for t in listing["报告"])
    assert sorted(p.name for p in (home / "uploads").iterdir()) == ["ok.txt"]


def test_chat_error_lines_quote_input_as_text(corpus_settings: Settings) -> None:
    """The chat renders HTML: an error that quotes what the user typed must show it as characters."""
    from ui.web import App
    from ui.web_ask import ask_stream

    app = App(corpus_settings)
    *_, (chat, answers, turn, status) = ask_stream(app, "<b>问题</b>", [], [], None, ["<script>x()</script>"], 5, False)
    assert chat[0]["content"] == "&lt;b&gt;问题&lt;/b&gt;"
    last = chat[-1]["content"]
    assert last.startswith("⚠") and "<script>" not in last and "&lt;script&gt;" in last
    assert answers == [] and turn is None
