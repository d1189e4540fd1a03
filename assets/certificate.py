"""The registration certificate as a PDF (reportlab, with its built-in CID font
STSong-Light for Chinese): the certificate number, the holder, the right, the lineage and
the verification code that the public registry checks. Rendered from the stored
registration, so every download of one edition is the same document."""

import io

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from assets.models import DataAsset

FONT = "STSong-Light"
KIND_LABELS = {
    "holding": "数据资源持有权 Data resource holding right",
    "processing": "数据加工使用权 Data processing and use right",
    "product": "数据产品经营权 Data product operation right",
}
STATUS_LABELS = {
    "registered": "已登记 Registered",
    "flagged": "存疑 Flagged",
    "lapsed": "已失效 Lapsed",
    "cancelled": "已注销 Cancelled",
}


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def lineage_lines(lineage: dict) -> list[str]:
    """The lineage as lines of text (the certificate's and the registry page's)."""
    lines = []
    for item in lineage.get("catalogs", []):
        lines.append(
            f"目录 Catalog {item['code']} {item['name']} v{item['version']} "
            f"({item['provider']}; resource v{item['resource_version']})"
        )
    if "scenario" in lineage:
        scenario, scenario_type = lineage["scenario"], lineage["scenario_type"]
        lines.append(
            f"场景 Scenario {scenario['name']} ({scenario['period_start']} – "
            f"{scenario['period_end']})"
        )
        lines.append(
            f"场景类型 Scenario type {scenario_type['name']} "
            f"(approved {(scenario_type['approved_at'] or '')[:10]})"
        )
    for output in lineage.get("outputs", []):
        lines.append(f"出域结果 Released output {output['name']} SHA-256 {output['sha256']}")
    if "service" in lineage:
        service = lineage["service"]
        lines.append(
            f"数据服务 Data service {service['code']} v{service['version']} {service['name']}"
        )
    return lines


def _wrapped(canvas: Canvas, text: str, width: float, size: float) -> list[str]:
    lines, current = [], ""
    for char in text:
        if canvas.stringWidth(current + char, FONT, size) > width:
            lines.append(current)
            current = char
        else:
            current += char
    return [*lines, current] if current else lines


def certificate_pdf(asset: DataAsset) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4)
    canvas.setTitle(f"数据资产登记证书 {asset.certificate_number}")
    font = _font()
    width, height = A4
    left, right = 25 * mm, width - 25 * mm
    canvas.setLineWidth(2)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)
    canvas.setFont(font, 22)
    canvas.drawCentredString(width / 2, height - 40 * mm, "数据资产登记证书")
    canvas.setFont(font, 12)
    canvas.drawCentredString(width / 2, height - 48 * mm, "Data Asset Registration Certificate")
    y = height - 65 * mm
    rows = [
        ("证书编号 Certificate number", asset.certificate_number),
        ("版次 Edition", str(asset.edition)),
        ("权利类型 Kind of right", KIND_LABELS[asset.kind]),
        ("权利人 Holder", f"{asset.holder.name} ({asset.holder.credit_code})"),
        ("资产名称 Name", asset.name),
        ("登记日期 Registered on", asset.registered_at.date().isoformat()),
        ("更新日期 Updated on", asset.updated_at.date().isoformat()),
        ("状态 Status", STATUS_LABELS[asset.status]),
        ("核验码 Verification code", asset.verification_code),
    ]
    for label, value in rows:
        canvas.setFont(font, 10)
        canvas.drawString(left, y, label)
        for line in _wrapped(canvas, value, right - left - 60 * mm, 10):
            canvas.drawString(left + 60 * mm, y, line)
            y -= 6 * mm
        y -= 1 * mm
    y -= 4 * mm
    canvas.setFont(font, 12)
    canvas.drawString(left, y, "数据来源与加工链路 Lineage")
    y -= 8 * mm
    canvas.setFont(font, 8)
    for entry in lineage_lines(asset.lineage):
        for line in _wrapped(canvas, entry, right - left, 8):
            if y < 35 * mm:
                break
            canvas.drawString(left, y, line)
            y -= 5 * mm
    canvas.setFont(font, 8)
    canvas.drawString(
        left,
        25 * mm,
        "凭证书编号与核验码可在公共数据资产登记簿核验 · "
        "Verify with the certificate number and code at /assets/registry/",
    )
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
