"""The monthly report as files (REC-4): Excel through openpyxl and PDF through reportlab,
whose built-in Adobe CID font STSong-Light carries the Chinese text (no font download)."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Font
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from safegrid.platform import clock
from safegrid.reconciliation.report_data import ReportData

FONT = "STSong-Light"
COLOUR_NAMES = {"green": "绿 / green", "yellow": "黄 / yellow", "red": "红 / red"}
HEAD_TOTALS = [
    "单位 / unit",
    "颜色 / colour",
    "笔数 / items",
    "系统 / system",
    "银行 / bank",
    "差额 / difference",
]
HEAD_DIFFS = [
    "#",
    "单位 / unit",
    "颜色",
    "规则 / rule",
    "日期 / day",
    "系统",
    "银行",
    "差额",
    "工单 / case",
    "原因 / reason",
]


def _signature(signer: str, at: datetime) -> str:
    return (
        f"签发 / signed off: {signer}  {at.astimezone(clock.BUSINESS_TZ):%Y-%m-%d %H:%M} (Beijing)"
    )


def xlsx(data: ReportData, signer: str, at: datetime) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "汇总 Summary"
    sheet.append([f"{data.period} 资金对账报告 / reconciliation report"])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_signature(signer, at)])
    sheet.append([f"未结工单 / open cases: {data.open_cases}"])
    sheet.append([])
    sheet.append(HEAD_TOTALS)
    for t in data.totals:
        sheet.append([t.unit, COLOUR_NAMES[t.colour], t.items, t.system, t.bank, t.difference])
    diffs = book.create_sheet("差异 Differences")
    diffs.append(HEAD_DIFFS)
    for d in data.differences:
        diffs.append([
            d.item_id, d.unit, COLOUR_NAMES[d.colour], d.rule, d.day, d.system, d.bank,
            d.difference, f"#{d.case_id} {d.case_status} {d.due_on}" if d.case_id else "", d.reason,
        ])  # fmt: skip
    # Fixed workbook metadata: the same report is the same bytes.
    book.properties.created = book.properties.modified = at.replace(tzinfo=None)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def pdf(data: ReportData, signer: str, at: datetime) -> bytes:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    style = ParagraphStyle("zh", fontName=FONT, fontSize=9, leading=12)
    title = ParagraphStyle("zh-title", parent=style, fontSize=14, leading=18)
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=landscape(A4), title=f"{data.period} reconciliation", invariant=1
    )
    totals = [HEAD_TOTALS] + [
        [
            t.unit,
            COLOUR_NAMES[t.colour],
            str(t.items),
            str(t.system),
            str(t.bank),
            str(t.difference),
        ]
        for t in data.totals
    ]
    diffs = [HEAD_DIFFS[:9]] + [
        [str(d.item_id), d.unit, COLOUR_NAMES[d.colour], d.rule, str(d.day or ""), str(d.system or ""),
         str(d.bank or ""), str(d.difference), f"#{d.case_id} {d.case_status}" if d.case_id else ""]
        for d in data.differences
    ]  # fmt: skip
    grid = TableStyle([
        ("FONTNAME", (0, 0), (-1, -1), FONT), ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey), ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
    ])  # fmt: skip
    story = [
        Paragraph(f"{data.period} 资金对账报告 / monthly reconciliation report", title),
        Paragraph(_signature(signer, at), style),
        Paragraph(f"未结工单 / open cases: {data.open_cases}", style),
        Spacer(1, 8),
        Table(totals, style=grid, repeatRows=1),
        Spacer(1, 8),
        Paragraph("差异明细 / differences", style),
        Table(diffs, style=grid, repeatRows=1),
    ]
    doc.build(story)
    return buf.getvalue()
