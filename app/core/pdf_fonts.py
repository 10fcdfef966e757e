"""The TrueType faces every generated PDF uses (certificates, profiles, sign-in sheets).

Helvetica, reportlab's default, has no glyphs for ą č ę ė į š ų ū ž; Source Sans Pro (SIL OFL, from the
`font-source-sans-pro` package) has them all and is embedded as a subset.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import font_source_sans_pro
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "SourceSansPro"
BOLD = "SourceSansPro-Bold"
ITALIC = "SourceSansPro-Italic"


@cache
def register_fonts() -> None:
    """Register the faces once per process (reportlab's registry is process-wide)."""
    folder = Path(font_source_sans_pro.__file__).parent / "files"
    for name, filename in ((REGULAR, "Regular"), (BOLD, "Bold"), (ITALIC, "It")):
        pdfmetrics.registerFont(TTFont(name, str(folder / f"SourceSansPro-{filename}.ttf")))
    # No bold italic face is shipped in our set: <b><i> falls back to bold.
    pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD, italic=ITALIC, boldItalic=BOLD)
