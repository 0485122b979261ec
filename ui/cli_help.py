"""`budgetqa --help` in Chinese: argparse's own words ("usage:", "options:", its usage errors) said in
Chinese, and for each command what it does and one example to copy."""

from __future__ import annotations

import argparse
import re
from typing import Any

HEADINGS = {"positional arguments": "参数", "options": "选项", "optional arguments": "选项"}

DESCRIPTION = (
    "预决算报告问答：每个答案引用原文并注明报告、章节和页码，答案中的每个数字都与报告自己的表格核对"
    "（✓ 一致 · ≈ 尾数差 · ✗ 不符 · ❝ 原文如此 · ? 无法确定）。完全离线运行。"
)
EPILOG = """第一次使用：
  budgetqa ingest corpus/                     把报告读入索引（存放在 BUDGETQA_HOME，默认 ./.budgetqa）
  budgetqa ask "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？"
每个命令的用法与示例：budgetqa 命令 --help（例如 budgetqa ask --help）"""

# command: (one line for the command list, what it does, examples)
COMMANDS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "ingest": (
        "把报告（PDF、TXT、MD）读入索引",
        "读入报告文件或文件夹。未改动的文件跳过，改动过的替换，同一内容换了文件名只收一次；"
        "报告的类型和年度从报告本身读出。有文件读取失败时退出码为 1。",
        ("budgetqa ingest corpus/", "budgetqa ingest 报告文件夹/ 新报告.pdf --prune"),
    ),
    "ask": (
        "提问：答案引用原文，数字与表格核对",
        "就已读入的报告提问。答案引用原文段落（报告、章节、页码），其中每个数字都与报告表格中同一项核对。"
        "追问可省略上一问的报告、年度和项目（--follow-up）。",
        (
            'budgetqa ask "清城区工信局2024年政府性基金预算财政拨款收入为什么增加？"',
            'budgetqa ask "那一般公共预算呢？" --follow-up',
        ),
    ),
    "chat": (
        "在终端里对话：追问沿用上一问的报告和年度",
        "终端里的连续问答。命令：/new 另起话题 · /save 文件.md 或 文件.docx 保存对话 · /quit 退出。",
        ("budgetqa chat", "budgetqa chat --doc qingcheng-gongxinju-2024-juesuan"),
    ),
    "doctor": (
        "检查索引是否完整；--repair 修复",
        "检查数据目录：目录数据库是否完好、向量与段落是否对应、检索索引是否最新、原文件是否还在或已改动。"
        "--repair 就地修复能修复的问题。",
        ("budgetqa doctor", "budgetqa doctor --repair"),
    ),
    "check": (
        "核对一句话（如新闻稿）中的每个数字",
        "把句中每个带单位的数字与句子所指报告的表格逐一核对，给出表、行、列和页码。"
        "句子须写明单位名称和年度，或用 --doc 指定报告。",
        (
            'budgetqa check "清城区工信局2024年政府性基金预算财政拨款收入42,000万元"',
            'budgetqa check "三公经费支出5万元" --doc qingcheng-gongxinju-2024-juesuan',
        ),
    ),
    "locate": (
        "查找一段原文或一个数字在哪份报告的哪一页",
        "在所有报告（或 --doc 指定的报告）中查找引文或数字，不同写法和单位（元/万元、千分位）都能找到。",
        ('budgetqa locate "42400"', 'budgetqa locate "主要变动情况" --out 查找结果.xlsx'),
    ),
    "audit": (
        "检查报告内部是否自洽（合计、增长率、文字与表格）",
        "找出与金额不符的增长率、占比和执行率，与表格矛盾的文字金额，合计不等于各项之和的行，"
        "类/款不等于其款/项之和，以及同一科目在两张表中合计不同。不写报告编号则检查全部报告。",
        ("budgetqa audit", "budgetqa audit qingcheng-gongxinju-2024-juesuan --out 审计结果.xlsx"),
    ),
    "compare": (
        "同一项目在多份报告中的数字对比（直接取自表格）",
        "每份报告一行：数值（万元）及其所在的表、行、列和页码。同一阶段、同一口径才排名；"
        "预算与决算不互相排名，会说明原因。",
        ("budgetqa compare 三公经费", "budgetqa compare 208 --year 2024 --rank --out 对比.xlsx"),
    ),
    "tables": (
        "列出一份报告的表格；--csv 导出",
        "列出报告中识别出的表格（标题、单位、页码、行数）；--csv 文件夹 把每张表导出为 CSV。",
        (
            "budgetqa tables qingcheng-gongxinju-2024-juesuan",
            "budgetqa tables qingcheng-gongxinju-2024-juesuan --csv 表格/",
        ),
    ),
    "eval": (
        "用标准问题集评测问答质量",
        "用标准问题集（JSON Lines）跑一遍与 ask 相同的流程，报告证据召回、引用支持、数字准确率、拒答和耗时。"
        "--numbers 改为数字探针：报告自己的句子与自己的表格核对。",
        ("budgetqa eval", "budgetqa eval --gold 反馈.jsonl --out 评测结果/"),
    ),
    "serve": (
        "启动网页版（问答、对比、查找、报表、审计、上传），同时提供 MCP 与 HTTP 接口",
        "在浏览器中使用：问答、对比、引用查找与核对、报表、审计、上传。"
        "同一地址还提供 MCP 服务（/gradio_api/mcp/sse）和 HTTP 接口（gradio_client）。"
        "对外开放（--host 0.0.0.0）时请用 --auth 要求登录。",
        ("budgetqa serve", "budgetqa serve --host 0.0.0.0 --port 7860 --auth 用户.txt"),
    ),
    "feedback": (
        "导出网页上对答案的反馈（对/错），作为评测问题集",
        "网页上每个答案可标“对”或“错”（附原因和说明），保存在数据目录中。"
        "--export 把它们写成 budgetqa eval --gold 能读的标准问题集。",
        ("budgetqa feedback", "budgetqa feedback --export 反馈.jsonl"),
    ),
}


def command(name: str) -> dict[str, Any]:
    """add_parser keywords for a command: its line in the list, its description and its examples."""
    line, text, examples = COMMANDS[name]
    return {"help": line, "description": text, "epilog": "示例：\n" + "\n".join(f"  {e}" for e in examples)}


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the examples' line breaks; says argparse's headings in Chinese."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)

    def start_section(self, heading: str | None) -> None:
        super().start_section(HEADINGS.get(heading or "", heading))


# argparse's usage errors (Python 3.11–3.13 wording), most specific first
ERRORS: tuple[tuple[str, str], ...] = (
    (r"the following arguments are required: (.*)", r"缺少参数：\1"),
    (r"one of the arguments (.*) is required", r"\1 须给出其中一个"),
    (r"unrecognized arguments: (.*)", r"无法识别的参数：\1"),
    (r"invalid choice: (.*) \(choose from (.*)\)", r"没有 \1 这一项（可选：\2）"),
    (r"invalid int value: (.*)", r"\1 不是整数"),
    (r"invalid float value: (.*)", r"\1 不是数字"),
    (r"invalid (\w+) value: (.*)", r"\2 无效"),
    (r"expected one argument", "后面需要一个值"),
    (r"expected at most one argument", "后面最多一个值"),
    (r"expected at least one argument", "后面至少需要一个值"),
    (r"ambiguous option: (\S+) could match (.*)", r"选项 \1 有歧义，可能是 \2"),
    (r"not allowed with argument (.*)", r"不能与 \1 同时使用"),
    (r"ignored explicit argument (.*)", r"多余的值 \1"),
)


def chinese_error(message: str) -> str:
    """argparse's message in Chinese ('argument --top-k: invalid int value: 'x'' → '--top-k：'x' 不是整数')."""
    head = ""
    m = re.match(r"argument (\S+?): (.*)", message)
    if m:
        head, message = f"{m.group(1)}：", m.group(2)
    for pattern, chinese in ERRORS:
        if re.fullmatch(pattern, message):
            return head + re.sub(pattern, chinese, message)
    return head + message


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and usage errors are Chinese; a usage error is one line (exit 2)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        add_help = kwargs.pop("add_help", True)
        super().__init__(*args, add_help=False, **kwargs)
        if add_help:
            self.add_argument(
                "-h", "--help", action="help", default=argparse.SUPPRESS, help="显示本帮助（含示例）并退出"
            )

    def error(self, message: str) -> Any:
        self.exit(2, f"{self.prog}：{chinese_error(message)}（用法与示例见 {self.prog} --help）\n")
