"""English budget terms → the Chinese words the reports use.

The reports are Chinese; BM25 sees nothing in an English question, and the multilingual embedder
alone ranks the right passage too low. Appending the Chinese terms of the English phrases found
(longest first) lets both sides of the hybrid retrieval, and the answerer, work on English questions.
"""

from __future__ import annotations

import re

TERMS: dict[str, str] = {
    # departments
    "industry and it bureau": "工业和信息化局",
    "industry and information technology bureau": "工业和信息化局",
    "bureau of industry and information technology": "工业和信息化局",
    "bureau of industry and it": "工业和信息化局",
    "bureau of finance": "财政局",
    "bureau of justice": "司法局",
    "bureau of commerce": "商务局",
    "bureau of statistics": "统计局",
    "statistics bureau": "统计局",
    "bureau of letters and calls": "信访局",
    "public security bureau": "公安局",
    "bureau of civil affairs": "民政局",
    "civil affairs bureau": "民政局",
    "health commission": "卫生健康委员会",
    "ecology and environment bureau": "生态环境局",
    "bureau of ecology and environment": "生态环境局",
    "audit bureau": "审计局",
    "science and technology bureau": "科学技术局",
    "bureau of science and technology": "科学技术局",
    "publicity department": "宣传部",
    "industry, it and commerce bureau": "工业信息化和商务局",
    "science, industry, commerce and it bureau": "科技工业商务和信息化局",
    "finance bureau": "财政局",
    "justice bureau": "司法局",
    "commerce commission": "商务委员会",
    "government office": "人民政府办公室",
    "planning and natural resources bureau": "规划和自然资源局",
    "social work department": "社会工作部",
    "social welfare institute": "社会福利院",
    "subdistrict office": "街道办事处",
    "high-tech zone": "高新技术产业开发区",
    # money
    "government fund budget appropriation income": "政府性基金预算财政拨款收入",
    "government fund appropriation income": "政府性基金预算财政拨款收入",
    "government fund": "政府性基金",
    "general public budget": "一般公共预算",
    "fiscal appropriation": "财政拨款",
    "appropriation income": "财政拨款收入",
    "basic expenditure": "基本支出",
    "project expenditure": "项目支出",
    "personnel expenses": "人员经费",
    "public expenses": "公用经费",
    "three public expenses": "三公经费",
    "official reception": "公务接待费",
    "official receptions": "公务接待费",
    "receptions": "公务接待费",
    "official vehicles": "公务用车",
    "official vehicle": "公务用车",
    "official cars": "公务用车",
    "overseas trips": "因公出国（境）费",
    "trips abroad": "因公出国（境）费",
    "overseas travel": "因公出国（境）费",
    "operating expenses": "机关运行经费",
    "government procurement": "政府采购",
    "revenue budget": "收入预算",
    "income budget": "收入预算",
    "expenditure budget": "支出预算",
    "total income": "收入合计",
    "total expenditure": "支出合计",
    "final account": "决算",
    "final accounts": "决算",
    "budget": "预算",
    "revenue": "收入",
    "income": "收入",
    "expenditure": "支出",
    "spend": "支出",
    "spent": "支出",
    "science and technology": "科学技术",
    "public legal services": "公共法律服务",
    "public legal service": "公共法律服务",
    "social security": "社会保障和就业",
    "housing": "住房保障",
    "health": "卫生健康",
    "total revenue and expenditure": "收入支出总计",
    "initial budget": "年初预算",
    "tax revenue": "税收收入",
    "non-tax revenue": "非税收入",
    "value-added tax": "增值税",
    "vat": "增值税",
    "land transfer": "国有土地使用权出让收入",
    "social insurance fund": "社会保险基金",
    "state capital operation": "国有资本经营",
    "state-owned capital operation": "国有资本经营",
    "government debt": "政府债务",
    "debt balance": "债务余额",
    "government debt balance": "政府债务余额",
    "outstanding debt": "债务余额",
    "balance": "余额",
    "at the end of": "年末",
    "year-end": "年末",
    "debt limit": "债务限额",
    "debt": "债务",
    "bonds": "债券",
    "city-level": "市本级",
    "city level": "市本级",
    "whole city": "全市",
    "citywide": "全市",
    "meeting expenses": "会议费",
    "vehicles": "车辆",
    "public-welfare job subsidies": "公益性岗位补贴",
    "public welfare jobs": "公益性岗位补贴",
    "transfer payments": "转移支付",
    "reserve fund": "预备费",
    # performance
    "self-evaluation score": "自评得分",
    "self evaluation score": "自评得分",
    "score": "得分",
    "execution rate": "执行率",
    "target": "年度目标值",
    "actual": "实际完成值",
    "5g base stations": "5G基站",
    # why / how
    "increase": "增加",
    "increased": "增加",
    "decrease": "减少",
    "decreased": "减少",
    "fall": "减少",
    "fell": "减少",
    "drop": "下降",
    "dropped": "下降",
    "decline": "下降",
    "declined": "下降",
    "rise": "增长",
    "rose": "增长",
    "grow": "增长",
    "grew": "增长",
    "change": "变化",
    "why": "原因",
}
_PATTERN = re.compile(
    r"\b(" + "|".join(re.escape(t) for t in sorted(TERMS, key=len, reverse=True)) + r")\b", flags=re.IGNORECASE
)


BODY_ENDS = ("局", "委员会", "办公室", "部", "办事处", "院", "开发区")


def body_terms(question: str) -> list[str]:
    """The Chinese names of the bodies an English question names ("… IT bureau" → "…信息化局"): they name
    the report, not the item asked, and are left out of what the answer must match."""
    found = (TERMS[m.group(1).lower()] for m in _PATTERN.finditer(question))
    return [t for t in dict.fromkeys(found) if t.endswith(BODY_ENDS)]


def expand(question: str) -> str:
    """The question with the Chinese terms of its English phrases appended (unchanged when it has none)."""
    found = list(dict.fromkeys(TERMS[m.group(1).lower()] for m in _PATTERN.finditer(question)))
    return f"{question} {' '.join(found)}" if found else question
