"""Word normalisation for the lesson search index: case- and diacritic-insensitive, prefix-matched."""

from __future__ import annotations

import re
import unicodedata

MIN_TERM_LENGTH = 3
MAX_TERM_LENGTH = 60
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def fold(word: str) -> str:
    """ "Klasterystė" and "klasteryste" are the same search term: people often type without diacritics."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def terms(text: str) -> set[str]:
    return {fold(word)[:MAX_TERM_LENGTH] for word in _WORD.findall(text) if len(word) >= MIN_TERM_LENGTH}


def query_terms(query: str) -> list[str]:
    return sorted(terms(query))[:8]


def prefix_upper_bound(term: str) -> str:
    """The smallest string greater than every string starting with `term`, for an index range scan."""
    return term[:-1] + chr(ord(term[-1]) + 1)
