"""The certificate and competency profile PDFs: embedded fonts, exact Lithuanian text, one-page certificate."""

from __future__ import annotations

import datetime
import io

from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from app.core.i18n import _, using_locale
from app.progress.documents import (
    CertificateCompetency,
    CertificateDocument,
    ProfileCompetency,
    ProfileDocument,
    certificate_pdf,
    profile_pdf,
)

HOLDER = "Žydrūnė Čepulytė-Šarūnienė"
ALL_LETTERS_NAME = "Ąžuolė Čėsnaitė-Ęglįšūnė ąčęėįšųūž ĄČĘĖĮŠŲŪŽ"
LEVELS = [(1, "Awareness"), (2, "Practitioner"), (3, "Leader")]


def make_certificate(**changes: object) -> CertificateDocument:
    values: dict[str, object] = {
        "locale": "en",
        "holder_name": HOLDER,
        "course_code": "SC1",
        "course_title": "Socialinių paslaugų kokybė & vertinimas <pagrindai>",
        "programme_title": "Social cluster",
        "issuer": "Lietuvos edukologijos universitetas",
        "hours": 16,
        "competencies": [
            CertificateCompetency("A1", "Working with communities", "Practitioner"),
            CertificateCompetency("B2", "Data-informed decisions", "Awareness"),
        ],
        "completed_on": datetime.date(2026, 11, 23),
        "code": "K7Q2-M9XD-4HBT-Z3PN",
        "verify_url": "https://klasteris.example/verify/K7Q2-M9XD-4HBT-Z3PN",
    }
    values.update(changes)
    return CertificateDocument(**values)  # type: ignore[arg-type]


def make_profile(count: int, **changes: object) -> ProfileDocument:
    competencies = [
        ProfileCompetency(
            area_title=f"Area {number % 4 + 1}",
            code=f"C{number:02d}",
            title=f"Competency title {number:02d}",
            level=number % 4,
            level_title="Not yet attained" if number % 4 == 0 else LEVELS[number % 4 - 1][1],
            evidence=[f"Course {number:02d}", "Bendradarbiavimas ir šališkumas"] if number % 4 else [],
        )
        for number in range(count)
    ]
    values: dict[str, object] = {
        "locale": "en",
        "holder_name": HOLDER,
        "organisation": "Vilniaus miesto savivaldybė",
        "generated_on": datetime.date(2026, 11, 23),
        "levels": LEVELS,
        "competencies": competencies,
        "site_url": "https://klasteris.example",
    }
    values.update(changes)
    return ProfileDocument(**values)  # type: ignore[arg-type]


def text_of(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def font_names(data: bytes) -> set[str]:
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        resources = page["/Resources"]
        assert isinstance(resources, DictionaryObject)
        fonts = resources.get("/Font")
        if fonts is None:
            continue
        for reference in fonts.get_object().values():
            names.add(str(reference.get_object()["/BaseFont"]))
    return names


def test_certificate_text_keeps_lithuanian_letters_and_key_facts() -> None:
    document = make_certificate()
    text = text_of(certificate_pdf(document))[0]
    assert HOLDER in text
    assert document.course_title in text
    assert document.code in text
    assert document.verify_url in text
    assert "Certificate" in text


def test_certificate_round_trips_every_lithuanian_letter() -> None:
    text = text_of(certificate_pdf(make_certificate(holder_name=ALL_LETTERS_NAME)))[0]
    assert ALL_LETTERS_NAME in text


def test_certificate_embeds_source_sans_pro_subsets_only() -> None:
    fonts = font_names(certificate_pdf(make_certificate()))
    assert fonts
    assert all("SourceSansPro" in name for name in fonts), fonts
    assert not any("Helvetica" in name for name in fonts)


def test_lithuanian_certificate_writes_the_date_in_lithuanian() -> None:
    text = text_of(certificate_pdf(make_certificate(locale="lt")))[0]
    assert "2026 m. lapkričio 23 d." in text


def test_norwegian_certificate_writes_the_date_in_norwegian() -> None:
    text = text_of(certificate_pdf(make_certificate(locale="nb")))[0]
    assert "23. november 2026" in text


def test_certificate_stays_one_page_with_long_texts_and_many_competencies() -> None:
    document = make_certificate(
        holder_name=("Ąžuolė Čėsnaitė-Šarūnienė " * 5)[:120],
        course_title=("Viešojo sektoriaus skaitmeninė transformacija ir bendradarbiavimas " * 4)[:200],
        competencies=[
            CertificateCompetency(f"A{n}", f"A rather long competency title number {n} about collaboration", "Leader")
            for n in range(12)
        ],
    )
    data = certificate_pdf(document)
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    assert "A11" in reader.pages[0].extract_text()


def test_certificate_without_issuer_or_competencies_still_renders() -> None:
    data = certificate_pdf(make_certificate(issuer="", competencies=[]))
    assert HOLDER in text_of(data)[0]
    assert PdfReader(io.BytesIO(data)).metadata.author == "Klasteris"


def test_certificate_metadata_names_the_course_and_language() -> None:
    document = make_certificate()
    reader = PdfReader(io.BytesIO(certificate_pdf(document)))
    assert reader.metadata.title == f"Certificate — {document.course_title}"
    assert reader.metadata.author == document.issuer
    assert reader.trailer["/Root"]["/Lang"] == "en"


def test_certificate_is_deterministic() -> None:
    assert certificate_pdf(make_certificate()) == certificate_pdf(make_certificate())


def test_profile_lists_every_competency_and_the_holder() -> None:
    document = make_profile(12)
    data = profile_pdf(document)
    text = "\n".join(text_of(data))
    assert HOLDER in text
    assert "Vilniaus miesto savivaldybė" in text
    for competency in document.competencies:
        assert competency.code in text
        assert competency.title in text
    assert "2 — Practitioner" in text
    assert all("SourceSansPro" in name for name in font_names(data))


def test_long_profile_repeats_the_table_header_on_every_page() -> None:
    pages = text_of(profile_pdf(make_profile(60, locale="lt")))
    with using_locale("lt"):
        headings = [_("Competency"), _("Level"), _("Evidence")]
    assert len(pages) > 1
    for page in pages:
        for heading in headings:
            assert heading in page
    assert "lapkričio" in pages[0]
