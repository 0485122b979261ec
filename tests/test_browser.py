"""A Chinese data journalist's journey in a real browser (Debian chromium driven by Playwright): the
report library and a correction, the conversation back after a reload, an answer's permalink, feedback,
compare rows and audit findings opening their pages, the audit table on a phone — and the functions
behind them (delete and read again, the printed page number, answers kept as JSON).

`budgetqa serve` runs in a fixture against a small home: the text corpus and three real PDFs."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REALDATA, ROOT, free_port, wait_for_port

from ingest.pipeline import Store
from ingest.settings import Settings

WIDE = ROOT.parent / "shared" / "realdata-wide"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
WANLI = ["putuo-wanli-2024-bumen-yusuan.pdf", "putuo-wanli-2025-bumen-yusuan.pdf"]
WUXI = WIDE / "dept" / "jiangsu-wuxi-yingjizhifajiandu-2026-danwei-yusuan.pdf"  # prints its page numbers
QUESTION = "清城区工信局2024年政府性基金预算财政拨款收入是多少？"


def _pdfs() -> list[Path]:
    found = [REALDATA / n for n in WANLI if (REALDATA / n).exists()] + [WUXI] * WUXI.exists()
    if len(found) < 3:
        pytest.skip("the real PDFs live in ../shared/realdata and ../shared/realdata-wide, never committed")
    return found


@pytest.fixture(scope="module")
def home(corpus_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    pdfs = _pdfs()
    home = tmp_path_factory.mktemp("browser") / "home"
    shutil.copytree(corpus_settings.home, home)
    settings = corpus_settings.with_(home=home)
    store = Store(settings)
    assert not store.ingest(pdfs).errors
    store.close()
    return settings


@pytest.fixture(scope="module")
def server(home: Settings, tmp_path_factory: pytest.TempPathFactory) -> str:
    port = free_port()
    env = dict(os.environ, BUDGETQA_HOME=str(home.home), GRADIO_ANALYTICS_ENABLED="False")
    log = (tmp_path_factory.mktemp("browserlog") / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    wait_for_port(proc, port, "budgetqa serve")
    yield f"http://127.0.0.1:{port}/"
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser(server: str):  # noqa: ANN201
    if not CHROMIUM.exists():
        pytest.skip("/usr/bin/chromium is absent: install Debian's chromium package to run the browser tests")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="module")
def context(browser):  # noqa: ANN001, ANN201
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    yield ctx
    ctx.close()


def _open(context, url: str):  # noqa: ANN001, ANN202
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector("#question textarea")
    return page


@pytest.fixture(scope="module")
def page(context, server: str):  # noqa: ANN001, ANN201
    return _open(context, server)


def _tab(page, name: str) -> None:  # noqa: ANN001
    tab = page.get_by_role("tab", name=name)
    if tab.count() and tab.is_visible():
        tab.click()
    else:  # a narrow screen folds the tabs that don't fit into a menu
        page.locator("button[aria-label='More tabs']").click()
        page.locator(".overflow-dropdown button", has_text=name).click()


def _rows(page, elem_id: str) -> list[str]:  # noqa: ANN001
    """A Gradio table's rows as text (its first four columns), in the order shown."""
    return page.evaluate(
        f"""() => {{
          const rows = {{}};
          for (const c of document.querySelectorAll('#{elem_id} [role=gridcell]')) {{
            const r = +c.dataset.row, k = +c.dataset.col;
            if (k < 4) (rows[r] = rows[r] || []).push(c.innerText);
          }}
          return Object.keys(rows).sort((a, b) => a - b).map(r => rows[r].join(' | '));
        }}"""
    )


def _click_cell(page, elem_id: str, row: int, col: int) -> None:  # noqa: ANN001
    page.locator(f"#{elem_id} [data-testid='cell-{row}-{col}']").click()


def _see(page, elem_id: str, text: str) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    expect(page.locator(f"#{elem_id}")).to_contain_text(text, timeout=120_000)


def _pick(page, elem_id: str, text: str) -> None:  # noqa: ANN001
    box = page.locator(f"#{elem_id} input")
    box.click()
    box.fill(text)
    page.get_by_role("option", name=text, exact=False).first.click()


def _ask(page, question: str) -> None:  # noqa: ANN001
    before = page.locator("#chat details.sources").count()
    page.locator("#question textarea").fill(question)
    page.locator("#ask-button").click()
    page.wait_for_function(f"document.querySelectorAll('#chat details.sources').length > {before}", timeout=120_000)


def _image_shown(page, elem_id: str) -> str:  # noqa: ANN001
    img = page.locator(f"#{elem_id} img")
    img.wait_for(timeout=60_000)
    page.wait_for_function(f"document.querySelector('#{elem_id} img').complete")
    return img.get_attribute("src") or ""


# --- in the browser --------------------------------------------------------------------------
@pytest.mark.browser
def test_library_lists_reports_without_internal_ids(page) -> None:  # noqa: ANN001
    _tab(page, "报告库")
    _see(page, "library", "万里")
    text = page.locator("#library").inner_text()
    assert "putuo-wanli-2024-bumen-yusuan" not in text and "doc_id" not in text  # titles, never ids
    for head in ("单位", "地区", "年度", "类别", "页数", "表格", "格式", "读入时间", "存疑"):
        assert head in text
    assert "PDF" in text and "文本" in text
    coverage = page.locator("#library-coverage").inner_text()
    assert "预算✓" in coverage and "决算缺" in coverage  # 万里街道 has budgets, no 决算: it shows
    page.screenshot(path=str(ARTIFACTS / "library.png"), full_page=True)


@pytest.mark.browser
def test_library_correction_reaches_the_list(page) -> None:  # noqa: ANN001
    _tab(page, "报告库")
    _pick(page, "library-doc", "万里")
    page.wait_for_function("document.querySelector('#fix-body textarea, #fix-body input').value.length > 0")
    box = page.locator("#fix-body textarea, #fix-body input").first
    box.fill("上海市普陀区人民政府万里街道办事处（更正）")
    page.locator("#fix-save").click()
    _see(page, "library-status", "已更正")
    _see(page, "library", "万里街道办事处（更正）")
    assert any("已更正：单位" in r for r in page.locator("#library [role=gridcell][data-col='9']").all_inner_texts())


@pytest.mark.browser
def test_history_comes_back_after_reload(page) -> None:  # noqa: ANN001
    _tab(page, "问答")
    _ask(page, QUESTION)
    assert "42,400" in page.locator("#chat").inner_text()
    page.reload()
    page.wait_for_selector("#question textarea")
    page.wait_for_function("document.querySelectorAll('#chat details.sources').length > 0", timeout=60_000)
    chat = page.locator("#chat").inner_text()
    assert "清城区工信局" in chat and "42,400" in chat
    _see(page, "ask-status", "已恢复")
    # the reopened answer's sources still open their page
    page.locator("#chat a.cite").first.click()
    _see(page, "page-caption", "《")


@pytest.mark.browser
def test_permalink_opens_the_answer_in_another_browser(page, browser, server: str) -> None:  # noqa: ANN001
    if page.locator("#chat a.permalink").count() == 0:
        _ask(page, QUESTION)
    href = page.locator("#chat a.permalink").last.get_attribute("href")
    assert href and href.startswith("?a=")
    other = browser.new_context(viewport={"width": 1400, "height": 1000})  # no localStorage: a stranger
    try:
        p2 = _open(other, server + href)
        p2.wait_for_function("document.querySelectorAll('#chat details.sources').length > 0", timeout=60_000)
        assert "42,400" in p2.locator("#chat").inner_text()
        _see(p2, "ask-status", "已打开链接中的答案")
        p2.locator("#chat details.sources summary").last.click()
        assert "引用来源" in p2.locator("#chat").inner_text()  # checks and sources come with it
        p2.locator("#chat a.copy").last.click()
        p2.wait_for_function("document.querySelector('#copy-text textarea').value.includes('来源')")
        copied = p2.locator("#copy-text textarea").input_value()
        assert "<a" not in copied and "class=" not in copied and "[1] 《" in copied  # clean text, sources kept
        assert f"本答案的链接：{server}{href}" in copied  # with the page's own address
        bad = _open(other, server + "?a=0123456789abcdef")
        _see(bad, "ask-status", "打不开")
    finally:
        other.close()


@pytest.mark.browser
def test_feedback_given_in_the_page_is_kept(page, home: Settings) -> None:  # noqa: ANN001
    _tab(page, "问答")
    if page.locator("#chat details.sources").count() == 0:
        _ask(page, QUESTION)
    page.locator("#feedback").get_by_text("反馈：这个答案对吗？").click()
    page.locator("#feedback-verdict").get_by_text("错", exact=True).click()
    _pick(page, "feedback-reason", "数字错")
    page.locator("#feedback-comment textarea").fill("应为 4.24 亿元")
    page.locator("#feedback-button").click()
    _see(page, "feedback-status", "已记下")
    from ui.feedback import load_feedback

    kept = load_feedback(home.home)
    assert kept and kept[-1].reason == "数字错" and "4.24" in kept[-1].comment


@pytest.mark.browser
def test_compare_row_opens_its_cell_on_the_page(page) -> None:  # noqa: ANN001
    _tab(page, "对比")
    box = page.locator("#compare-item input")
    box.click()
    box.fill("一般公共预算财政拨款支出")
    box.press("Enter")
    page.locator("#compare-button").click()
    _see(page, "compare-status", "报告")
    texts = _rows(page, "compare-rows")
    k = next((i for i, t in enumerate(texts) if "万里" in t), None)
    assert k is not None, texts
    _click_cell(page, "compare-rows", k, 2)
    _see(page, "compare-page-caption", "第")
    src = _image_shown(page, "compare-page")
    assert "%E3%80%8A" in src or "《" in src  # the download is named 《报告名》第N页.png
    assert "putuo-wanli" not in page.locator("#compare-page-caption").inner_text()


@pytest.mark.browser
def test_audit_finding_opens_its_page(page) -> None:  # noqa: ANN001
    _tab(page, "审计")
    _pick(page, "audit-doc", "全部报告")
    _see(page, "audit-status", "条")
    texts = _rows(page, "audit-findings")
    pages = page.locator("#audit-findings [role=gridcell][data-col='6']").all_inner_texts()
    k = next((i for i, t in enumerate(texts) if ("无锡" in t or "万里" in t) and pages[i].strip()), None)
    assert k is not None, f"no finding on a PDF page in this home: {texts[:5]}"
    _click_cell(page, "audit-findings", k, 3)
    _see(page, "audit-page-caption", "审计发现")
    _image_shown(page, "audit-page")
    page.screenshot(path=str(ARTIFACTS / "audit-page.png"), full_page=True)


@pytest.mark.browser
def test_locate_hit_opens_its_page_with_the_printed_number(page) -> None:  # noqa: ANN001
    _tab(page, "引用查找")
    page.locator("#locate-text textarea").fill("一般公共预算财政拨款")
    _pick(page, "locate-docs", "无锡")
    page.locator("#locate-button").click()
    _see(page, "locate-status", "找到")
    rows = _rows(page, "locate-hits")
    assert rows and "jiangsu-wuxi" not in page.locator("#locate-hits").inner_text()
    _click_cell(page, "locate-hits", len(rows) - 1, 2)
    _see(page, "locate-page-caption", "印刷页码")  # this report prints its own page numbers
    _image_shown(page, "locate-page")


@pytest.mark.browser
def test_audit_table_on_a_phone(browser, server: str) -> None:  # noqa: ANN001
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    try:
        p = _open(phone, server)
        _tab(p, "审计")
        _pick(p, "audit-doc", "全部报告")
        _see(p, "audit-status", "条")
        p.wait_for_selector("#audit-findings [role=gridcell]")
        p.screenshot(path=str(ARTIFACTS / "audit-phone.png"), full_page=True)
        widths = p.evaluate(
            "[...document.querySelectorAll('#audit-findings [role=gridcell][data-row=\"0\"]')]"
            ".map(td => [td.getBoundingClientRect().width, parseFloat(getComputedStyle(td).fontSize)])"
        )
        assert len(widths) >= 9
        narrow = [(w, f) for w, f in widths if w <= 2 * f]
        assert not narrow, f"columns of two characters or less on a phone: {widths}"
        # the table scrolls inside itself: the page does not grow wider than the phone
        assert p.evaluate("document.documentElement.scrollWidth") <= 390 + 2
    finally:
        phone.close()


# --- the functions behind the pages -----------------------------------------------------------
def test_printed_page_numbers() -> None:
    from rag.printed_page import page_label, printed_number

    if not WUXI.exists():
        pytest.skip(f"{WUXI} is absent")
    assert printed_number(WUXI, "t", 11) == 10  # "- 10 -" at its foot
    assert page_label(11, 10) == "第11页（印刷页码 10）"
    assert page_label(3, 3) == "第3页" and page_label(3, None) == "第3页"
    wanli = REALDATA / WANLI[0]
    if wanli.exists():  # prints no page numbers: only the PDF's index is told
        assert printed_number(wanli, "t", 5) is None


def test_answer_kept_and_reopened(home: Settings, tmp_path: Path) -> None:
    from rag.service import QA
    from ui.web_history import answer_from_json, answer_to_json, keep_session, load_answer, on_load, save_answer

    answer, turn = QA(home).converse(QUESTION, None)
    assert answer_from_json(json.loads(json.dumps(answer_to_json(answer)))) == answer
    kept = tmp_path / "kept"
    aid = save_answer(kept, answer)
    assert save_answer(kept, answer) == aid and load_answer(kept, aid) == answer  # content hash: one file
    assert load_answer(kept, "../../etc/passwd") is None
    sid = "a" * 32
    keep_session(kept, sid, [answer], turn)
    sid2, chat, answers, ids, turn2, status = on_load(kept, sid, None)
    assert sid2 == sid and answers == [answer] and ids == [aid] and turn2 == turn and "已恢复" in status
    assert f'href="?a={aid}"' in chat[-1]["content"]
    fresh, chat, answers, *_ = on_load(kept, "not-a-session", aid)  # a stranger opening the link
    assert fresh != "not-a-session" and answers == [answer]


def test_delete_and_read_again(home: Settings, tmp_path: Path) -> None:
    from ui.web import App
    from ui.web_library import coverage, delete, library, reread

    copy = tmp_path / "home"
    shutil.copytree(home.home, copy)
    app = App(home.with_(home=copy))
    frame, ids = library(app)
    doc = next(d for d in ids if "wanli-2025" in d)
    assert "已重新读取" in reread(app, doc)
    assert "确认删除" in delete(app, doc, False) and doc in app.store.catalog.doc_ids()
    assert "已删除" in delete(app, doc, True)
    assert doc not in app.store.catalog.doc_ids()
    assert doc not in {row[1] for row in app.store.catalog.chunk_rows()}
    grid = coverage(app)
    wanli = grid[grid["单位"].str.contains("万里")].iloc[0]
    assert wanli["2024年"].startswith("预算✓") and wanli["2025年"].startswith("预算缺")  # now missing: it shows
