"""The printable sign-in sheet of a training event: A4 portrait, one row per participant, room to sign."""

from __future__ import annotations

import io
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from app.core.i18n import _, pick, using_locale
from app.core.pdf_fonts import BOLD, REGULAR, register_fonts
from app.events.attendance import AttendanceSheet

# The certificates' typeface (app.progress.documents registers it the same way; events sit below progress,
# so they cannot share that function). Helvetica has no glyphs for ą č ę ė į š ų ū ž.
INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#52606d")
NAVY = colors.HexColor("#1f3a5f")
PALE = colors.HexColor("#eef2f7")
ROW_HEIGHT = 11 * mm  # enough room for a handwritten signature


def _style(
    name: str, size: float, *, font: str = REGULAR, color: colors.Color = INK, **extra: object
) -> ParagraphStyle:
    return ParagraphStyle(name, fontName=font, fontSize=size, leading=size * 1.25, textColor=color, **extra)


class _NumberedCanvas(Canvas):
    """Holds every page until the end, so each footer can say "page X of Y"."""

    def __init__(self, *args: object, page_label: str = "", **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._pages: list[dict[str, object]] = []
        self._page_label = page_label

    def showPage(self) -> None:  # noqa: N802 - reportlab's name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_page_number(total)
            super().showPage()
        super().save()

    def _draw_page_number(self, total: int) -> None:
        self.saveState()
        self.setFont(REGULAR, 8)
        self.setFillColor(MUTED)
        width = A4[0]
        self.drawString(18 * mm, 10 * mm, self._page_label[:110])
        self.drawRightString(
            width - 18 * mm, 10 * mm, _("Page %(page)s of %(total)s", page=self._pageNumber, total=total)
        )
        self.restoreState()


def sign_in_sheet_pdf(sheet: AttendanceSheet, *, locale: str) -> bytes:
    """The sheet in the reader's language; the fonts print Lithuanian and Norwegian letters."""
    register_fonts()
    buffer = io.BytesIO()
    with using_locale(locale):
        heading = _("Sign-in sheet")
        page_label = f"{heading} · {sheet.title}"
        doc = SimpleDocTemplate(
            buffer,
            pagesize=A4,
            leftMargin=18 * mm,
            rightMargin=18 * mm,
            topMargin=16 * mm,
            bottomMargin=18 * mm,
            title=page_label,
            author="Klasteris",
            subject=heading,
            creator="Klasteris",
            invariant=1,
            initialFontName=REGULAR,
            lang=locale or None,
        )
        story = [*_header(sheet, locale), Spacer(1, 8), _participants_table(sheet, doc.width)]

        def canvas_maker(*args: object, **kwargs: object) -> _NumberedCanvas:
            return _NumberedCanvas(*args, page_label=page_label, **kwargs)

        doc.build(story, canvasmaker=canvas_maker)
    return buffer.getvalue()


def _header(sheet: AttendanceSheet, locale: str) -> list[Flowable]:
    label = _style("label", 10, color=MUTED)
    value = _style("value", 10.5)
    event = sheet.event
    details: list[tuple[str, str]] = [(_("Date and time"), sheet.when)]
    if event.venue:
        details.append((_("Venue"), event.venue))
    if sheet.trainers:
        details.append((_("Trainers"), ", ".join(sheet.trainers)))
    if sheet.courses:
        details.append(
            (_("Courses"), "; ".join(f"{course.code} {pick(course.title, locale)}" for course in sheet.courses))
        )
    rows = [[Paragraph(escape(name), label), Paragraph(escape(text), value)] for name, text in details]
    table = Table(rows, colWidths=[38 * mm, None], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 1),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
            ]
        )
    )
    return [
        Paragraph(escape(_("Sign-in sheet")), _style("kicker", 11, font=BOLD, color=MUTED)),
        Paragraph(escape(sheet.title), _style("title", 18, font=BOLD, color=NAVY, spaceAfter=6)),
        table,
    ]


def _participants_table(sheet: AttendanceSheet, width: float) -> Table:
    head = _style("head", 9.5, font=BOLD, color=colors.white)
    cell = _style("cell", 10)
    header = [Paragraph(escape(text), head) for text in ("#", _("Participant"), _("Organisation"), _("Signature"))]
    rows: list[list[object]] = [header]
    for number, person in enumerate(sheet.participants, start=1):
        rows.append(
            [str(number), Paragraph(escape(person.name), cell), Paragraph(escape(person.organisation), cell), ""]
        )
    if not sheet.participants:
        rows.append(["", Paragraph(escape(_("Nobody is registered for this event.")), cell), "", ""])
    table = Table(
        rows,
        colWidths=[0.07 * width, 0.33 * width, 0.32 * width, 0.28 * width],
        rowHeights=[None] + [ROW_HEIGHT] * (len(rows) - 1),
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("FONTNAME", (0, 0), (-1, -1), REGULAR),
                ("FONTSIZE", (0, 1), (0, -1), 10),
                ("TEXTCOLOR", (0, 1), (-1, -1), INK),
                ("BACKGROUND", (0, 0), (-1, 0), NAVY),
                ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, PALE]),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("GRID", (0, 0), (-1, -1), 0.5, colors.HexColor("#9aa5b1")),
            ]
        )
    )
    return table
