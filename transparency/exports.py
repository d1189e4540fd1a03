"""A published (or, for operator staff, draft) report as CSV and as PDF, in the current
language. The PDF uses ReportLab with its built-in CID font STSong-Light, which every PDF
reader has, so Chinese shows without embedding a font."""

import io
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import KeepTogether

from transparency.models import DisclosureReport
from transparency.presenters import sections

FONT = "STSong-Light"


def csv_header() -> list[str]:
    return [_("Section"), _("Item"), _("Detail"), _("Value")]


def csv_rows(report: DisclosureReport) -> list[list]:
    """One row per line of each section, after a row with the section's summary."""
    rows = []
    for section in sections(report.content):
        rows.append([section["title"], "", "", section["summary"]])
        rows.extend([section["title"], *row] for row in section["rows"])
    return rows


def title_of(report: DisclosureReport) -> str:
    return _("Public disclosure of the operation, %(year)s") % {"year": report.year}


def report_pdf(report: DisclosureReport) -> bytes:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    body = ParagraphStyle("body", fontName=FONT, fontSize=9, leading=13, wordWrap="CJK")
    heading = ParagraphStyle("heading", parent=body, fontSize=12, leading=18, spaceBefore=8)
    title = ParagraphStyle("title", parent=body, fontSize=16, leading=22)
    cell = ParagraphStyle("cell", parent=body, fontSize=8, leading=11)

    def para(text, style=body):
        return Paragraph(escape(str(text)), style)

    status = (
        _("Published on %(date)s") % {"date": f"{report.published_at:%Y-%m-%d}"}
        if report.is_published
        else _("Draft, not published")
    )
    story = [para(title_of(report), title), para(status), Spacer(1, 4 * mm)]
    for section in sections(report.content):
        part = [para(section["title"], heading)]
        if section["summary"]:
            part.append(para(section["summary"]))
        if section["rows"]:
            data = [[para(h, cell) for h in section["header"]]]
            data += [[para(value, cell) for value in row] for row in section["rows"]]
            table = Table(data, colWidths=[60 * mm, 60 * mm, 55 * mm], repeatRows=1)
            table.setStyle(
                TableStyle(
                    [
                        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eeeeee")),
                        ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ]
                )
            )
            part.append(Spacer(1, 2 * mm))
            part.append(table)
        story.append(KeepTogether(part[:2]))
        story.extend(part[2:])
    buffer = io.BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        title=title_of(report),
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
    ).build(story)
    return buffer.getvalue()
