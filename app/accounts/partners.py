"""The 13 partner institutions of the NOR-LT10 project, as named in the project's documents."""

from __future__ import annotations

from typing import NamedTuple


class PartnerInstitution(NamedTuple):
    slug: str
    name_lt: str
    name_en: str
    website: str
    country: str = "LT"


PARTNER_INSTITUTIONS: tuple[PartnerInstitution, ...] = (
    PartnerInstitution(
        "leu", "Lietuvos edukologijos universitetas", "Lithuanian University of Educational Sciences", "http://leu.lt/"
    ),
    PartnerInstitution(
        "fleksibel-utdanning-norge",
        "Fleksibel utdanning Norge",
        "Flexible Education Norway",
        "http://fleksibelutdanning.no/",
        "NO",
    ),
    PartnerInstitution(
        "birzai-municipality",
        "Biržų rajono savivaldybės administracija",
        "Biržai District Municipality Administration",
        "http://www.birzai.lt/",
    ),
    PartnerInstitution(
        "birzai-public-health-office",
        "Biržų rajono savivaldybės visuomenės sveikatos biuras",
        "Biržai District Municipality Public Health Office",
        "http://www.birzuvsb.istaiga.lt/",
    ),
    PartnerInstitution(
        "prienai-municipality", "Prienų rajono savivaldybė", "Prienai District Municipality", "http://www.prienai.lt/"
    ),
    PartnerInstitution("prienai-care-home", "Prienų globos namai", "Prienai Orphanage Home", "http://www.pgn.lt/"),
    PartnerInstitution(
        "druskininkai-municipality",
        "Druskininkų savivaldybė",
        "Druskininkai Municipality",
        "http://www.druskininkai.lt/",
    ),
    PartnerInstitution(
        "druskininkai-education-centre",
        "Druskininkų švietimo centras",
        "Druskininkai Education Centre",
        "http://dscentras.lt/",
    ),
    PartnerInstitution(
        "utena-municipality",
        "Utenos rajono savivaldybės administracija",
        "Utena District Municipality Administration",
        "http://www.utena.lt/",
    ),
    PartnerInstitution(
        "utena-public-library",
        "Utenos A. ir M. Miškinių viešoji biblioteka",
        "A. and M. Miškiniai Public Library, Utena",
        "http://www.uvb.lt/",
    ),
    PartnerInstitution(
        "vilnius-college-of-design",
        "Vilniaus dizaino kolegija",
        "Vilnius College of Design",
        "http://www.dizainokolegija.lt/",
    ),
    PartnerInstitution(
        "gintarine-akademija",
        "VšĮ Gintarinė akademija",
        "Public Institution Gintarinė Akademija (Amber Academy)",
        "http://www.gintarineakademija.lt/",
    ),
    PartnerInstitution(
        "lithuanian-college-of-democracy",
        "Lietuvos demokratiškumo ugdymo kolegija",
        "Lithuanian College of Democracy",
        "http://www.lduk.lt/",
    ),
)
