"""PDF rendering of course certificates and competency profiles (reportlab, embedded Source Sans Pro)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    KeepInFrame,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from app.core.i18n import _, format_date_local, ngettext, using_locale
from app.core.pdf_fonts import BOLD, ITALIC, REGULAR, register_fonts

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
NAVY = colors.HexColor("#1f3a5f")
ACCENT = colors.HexColor("#a88a55")
PALE = colors.HexColor("#eef2f7")


@dataclass(frozen=True)
class CertificateCompetency:
    code: str
    title: str
    level_title: str


@dataclass(frozen=True)
class CertificateDocument:
    locale: str
    holder_name: str
    course_code: str
    course_title: str
    programme_title: str
    issuer: str
    hours: int
    competencies: list[CertificateCompetency]
    completed_on: datetime.date
    code: str
    verify_url: str


@dataclass(frozen=True)
class ProfileCompetency:
    area_title: str
    code: str
    title: str
    level: int
    level_title: str
    evidence: list[str]


@dataclass(frozen=True)
class ProfileDocument:
    locale: str
    holder_name: str
    organisation: str
    generated_on: datetime.date
    levels: list[tuple[int, str]]
    competencies: list[ProfileCompetency]
    site_url: str


def _style(
    name: str, size: float, *, font: str = REGULAR, color: colors.Color = INK, **extra: object
) -> ParagraphStyle:
    return ParagraphStyle(
        name, fontName=font, bulletFontName=font, fontSize=size, leading=size * 1.25, textColor=color, **extra
    )


# --- Certificate -----------------------------------------------------------------------------------------------


def certificate_pdf(document: CertificateDocument) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    width, height = landscape(A4)
    with using_locale(document.locale):
        canvas = Canvas(
            buffer, pagesize=(width, height), invariant=1, initialFontName=REGULAR, lang=document.locale or None
        )
        canvas.setTitle(_("Certificate — %(course)s", course=document.course_title))
        canvas.setAuthor(document.issuer or "Klasteris")
        canvas.setSubject(_("Certificate of completion issued to %(name)s", name=document.holder_name))
        canvas.setCreator("Klasteris")
        _draw_border(canvas, width, height)

        side = 22 * mm
        qr_size = 30 * mm
        footer_top = 44 * mm
        # The main block is centred in the space above the footer and shrunk, never cut, if it is too tall.
        box_width, box_height = width - 2 * side - 20 * mm, height - footer_top - 26 * mm
        main = KeepInFrame(box_width, box_height, _certificate_body(document))
        main_width, main_height = main.wrapOn(canvas, box_width, box_height)
        free = height - footer_top - 18 * mm - main_height
        main.drawOn(canvas, (width - main_width) / 2, footer_top + free / 2 + 2 * mm)

        footer_width = width - 2 * side - qr_size - 16 * mm
        footer = KeepInFrame(footer_width, footer_top - side, _certificate_footer(document, footer_width))
        _w, footer_height = footer.wrapOn(canvas, footer_width, footer_top - side)
        # Footer sits level with the QR code's middle when it is shorter than the code.
        footer.drawOn(canvas, side + 6 * mm, side + max(0.0, (qr_size - footer_height) / 2))
        _draw_qr(canvas, document.verify_url, width - side - 4 * mm - qr_size, side, qr_size)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def _draw_border(canvas: Canvas, width: float, height: float) -> None:
    canvas.setStrokeColor(NAVY)
    canvas.setLineWidth(2)
    canvas.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(0.6)
    canvas.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)


def _certificate_body(document: CertificateDocument) -> list[Flowable]:
    centred = {"alignment": TA_CENTER}
    hours = ngettext("%(num)s hour", "%(num)s hours", document.hours)
    details = f"<b>{escape(_('Programme'))}:</b> {escape(document.programme_title)}"
    details += f" &nbsp;·&nbsp; <b>{escape(_('Duration'))}:</b> {escape(hours)}"
    body: list[Flowable] = [
        Paragraph(escape(_("Certificate of completion")), _style("title", 30, font=BOLD, color=NAVY, **centred)),
        HRFlowable(width=40 * mm, thickness=1, color=ACCENT, spaceBefore=6, spaceAfter=12, hAlign="CENTER"),
        Paragraph(escape(_("This certifies that")), _style("lead", 13, font=ITALIC, color=MUTED, **centred)),
        Spacer(1, 6),
        Paragraph(escape(document.holder_name), _style("holder", 30, font=BOLD, **centred)),
        Spacer(1, 6),
        Paragraph(escape(_("has completed the course")), _style("lead2", 13, font=ITALIC, color=MUTED, **centred)),
        Spacer(1, 6),
        Paragraph(
            f"{escape(document.course_code)} · {escape(document.course_title)}",
            _style("course", 19, font=BOLD, color=NAVY, **centred),
        ),
        Spacer(1, 6),
        Paragraph(details, _style("details", 11.5, color=MUTED, **centred)),
    ]
    if document.competencies:
        body += [Spacer(1, 12), Paragraph(escape(_("Competencies developed")), _style("h", 11, font=BOLD, **centred))]
        body.append(Spacer(1, 4))
        body.append(_competency_grid(document.competencies))
    return body


def _competency_grid(competencies: Sequence[CertificateCompetency]) -> Table:
    """One column for a few competencies, two when there are many, so the page stays one page."""
    columns = 1 if len(competencies) <= 4 else 2
    style = _style("competency", 10, color=INK, alignment=TA_CENTER if columns == 1 else TA_LEFT)
    cells = [
        Paragraph(f"<b>{escape(item.code)}</b> — {escape(item.title)}: <i>{escape(item.level_title)}</i>", style)
        for item in competencies
    ]
    rows = [cells[start : start + columns] for start in range(0, len(cells), columns)]
    if len(rows[-1]) < columns:
        rows[-1].append(Paragraph("", style))
    table = Table(rows, colWidths=[(120 if columns == 1 else 110) * mm] * columns, hAlign="CENTER")
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
            ]
        )
    )
    return table


def _certificate_footer(document: CertificateDocument, width: float) -> list[Flowable]:
    label = _style("label", 8.5, font=BOLD, color=MUTED)
    value = _style("value", 11, color=INK)
    columns: list[list[Flowable]] = [
        [
            Paragraph(escape(_("Date of completion")), label),
            Paragraph(escape(format_date_local(document.completed_on, "long")), value),
        ],
    ]
    if document.issuer:
        columns.append([Paragraph(escape(_("Issued by")), label), Paragraph(escape(document.issuer), value)])
    columns.append(
        [
            Paragraph(escape(_("Verification code")), label),
            Paragraph(escape(document.code), _style("code", 11, font=BOLD)),
        ]
    )
    table = Table([columns], colWidths=[width / len(columns)] * len(columns))
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("LINEABOVE", (0, 0), (-1, 0), 0.5, ACCENT),
            ]
        )
    )
    check = _("Check this certificate at %(url)s", url=document.verify_url)
    return [table, Spacer(1, 4), Paragraph(escape(check), _style("check", 9, color=MUTED))]


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(url, barLevel="M", barBorder=2)
    left, bottom, right, top = widget.getBounds()
    # initialFontName: the renderer otherwise selects Helvetica, which would land in the page's font resources.
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0], initialFontName=REGULAR
    )
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, x, y)


# --- Competency profile --------------------------------------------------------------------------------------


class LevelBar(Flowable):
    """Filled squares for attained levels, outlined ones for the rest; the text next to it carries the meaning."""

    def __init__(self, level: int, top: int = 3, side: float = 2.6 * mm) -> None:
        super().__init__()
        self.level, self.top, self.side = level, top, side
        self.width, self.height = top * side * 1.4, side

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height + 2

    def draw(self) -> None:
        self.canv.setStrokeColor(NAVY)
        self.canv.setFillColor(NAVY)
        self.canv.setLineWidth(0.6)
        for step in range(self.top):
            filled = 1 if step < self.level else 0
            self.canv.rect(step * self.side * 1.4, 1, self.side, self.side, stroke=1, fill=filled)


def profile_pdf(document: ProfileDocument) -> bytes:
    register_fonts()
    buffer = io.BytesIO()
    with using_locale(document.locale):
        generated = format_date_local(document.generated_on, "long")
        page_label = _("Competency profile — %(name)s", name=document.holder_name)

        def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
            canvas.saveState()
            canvas.setFont(REGULAR, 8)
            canvas.setFillColor(MUTED)
            canvas.drawString(doc.leftMargin, 12 * mm, f"{page_label} · {generated} · {document.site_url}"[:140])
            canvas.drawRightString(A4[0] - doc.rightMargin, 12 * mm, _("Page %(page)s", page=canvas.getPageNumber()))
            canvas.restoreState()

        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=18 * mm,
            bottomMargin=20 * mm,
            title=page_label,
            author="Klasteris",
            subject=_("Competency profile"),
            creator="Klasteris",
            invariant=1,
            initialFontName=REGULAR,
            lang=document.locale or None,
        )
        story = _profile_header(document, generated) + [Spacer(1, 10), _profile_table(document, doc.width)]
        doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def _profile_header(document: ProfileDocument, generated: str) -> list[Flowable]:
    header: list[Flowable] = [
        Paragraph(escape(_("Competency profile")), _style("title", 22, font=BOLD, color=NAVY)),
        Spacer(1, 4),
        Paragraph(escape(document.holder_name), _style("holder", 15, font=BOLD)),
    ]
    if document.organisation:
        header.append(Paragraph(escape(document.organisation), _style("organisation", 11, color=MUTED)))
    header.append(Paragraph(escape(_("Generated on %(date)s", date=generated)), _style("generated", 9, color=MUTED)))
    if document.levels:
        legend_style = _style("legend", 9)
        cells: list[Flowable] = [Paragraph(f"<b>{escape(_('Levels'))}:</b>", legend_style)]
        for level, title in document.levels:
            cells += [LevelBar(level), Paragraph(f"{level} — {escape(title)}", legend_style)]
        widths = [22 * mm] + [12 * mm, 34 * mm] * len(document.levels)
        legend = Table([cells], colWidths=widths, hAlign="LEFT")
        legend.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("FONTNAME", (0, 0), (-1, -1), REGULAR)]))
        header += [Spacer(1, 8), legend]
    return header


def _profile_table(document: ProfileDocument, width: float) -> Table:
    head = _style("head", 9, font=BOLD, color=colors.white)
    cell = _style("cell", 9)
    area_style = _style("area", 10, font=BOLD, color=NAVY)
    rows: list[list[object]] = [
        [Paragraph(escape(label), head) for label in (_("Code"), _("Competency"), _("Level"), _("Evidence"))]
    ]
    commands: list[tuple[object, ...]] = [
        ("FONTNAME", (0, 0), (-1, -1), REGULAR),
        ("BACKGROUND", (0, 0), (-1, 0), NAVY),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, colors.HexColor("#cbd2d9")),
    ]
    # Group by area in the order areas first appear, so the caller's ordering is kept.
    areas: dict[str, list[ProfileCompetency]] = {}
    for competency in document.competencies:
        areas.setdefault(competency.area_title, []).append(competency)
    for area_title, competencies in areas.items():
        row = len(rows)
        # NOSPLIT keeps an area's heading on the same page as its first competency.
        commands += [
            ("SPAN", (0, row), (-1, row)),
            ("BACKGROUND", (0, row), (-1, row), PALE),
            ("NOSPLIT", (0, row), (-1, row + 1)),
        ]
        rows.append([Paragraph(escape(area_title), area_style), "", "", ""])
        for item in competencies:
            level_text = f"{item.level} — {item.level_title}" if item.level > 0 else item.level_title
            evidence = "<br/>".join(escape(title) for title in item.evidence) or "—"
            rows.append(
                [
                    Paragraph(f"<b>{escape(item.code)}</b>", cell),
                    Paragraph(escape(item.title), cell),
                    [LevelBar(item.level), Paragraph(escape(level_text), cell)],
                    Paragraph(evidence, cell),
                ]
            )
    table = Table(rows, colWidths=[0.1 * width, 0.38 * width, 0.2 * width, 0.32 * width], repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(commands))
    return table
