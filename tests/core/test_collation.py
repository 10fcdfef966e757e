"""Names and titles sort in each language's alphabetical order."""

from __future__ import annotations

from app.core.i18n import collation_key


def _sorted(names: list[str], locale: str) -> list[str]:
    return sorted(names, key=lambda name: collation_key(name, locale))


def test_lithuanian_letters_with_diacritics_follow_their_base_letter() -> None:
    names = ["Žydrūnė", "Zita", "Česlovas", "Dalia", "Cezaris", "Ąžuolas", "Aldona", "Šarūnas", "Tomas", "Saulė"]
    assert _sorted(names, "lt") == [
        "Aldona", "Ąžuolas", "Cezaris", "Česlovas", "Dalia", "Saulė", "Šarūnas", "Tomas", "Zita", "Žydrūnė",
    ]  # fmt: skip


def test_lithuanian_y_comes_right_after_i_with_ogonek() -> None:
    assert _sorted(["Jonas", "Yva", "Ieva", "Įveta"], "lt") == ["Ieva", "Įveta", "Yva", "Jonas"]


def test_norwegian_letters_come_after_z() -> None:
    assert _sorted(["Åse", "Øyvind", "Zorro", "Æsa", "Ola"], "nb") == ["Ola", "Zorro", "Æsa", "Øyvind", "Åse"]


def test_a_space_sorts_before_letters_and_case_is_ignored() -> None:
    assert _sorted(["Onaitis", "ona Z", "Ona A"], "lt") == ["Ona A", "ona Z", "Onaitis"]


def test_foreign_letters_sort_just_after_their_base_letter() -> None:
    assert _sorted(["Emilija", "Élise", "Ėglė", "Fausta"], "lt") == ["Élise", "Emilija", "Ėglė", "Fausta"]
