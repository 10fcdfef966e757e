"""Response helpers shared by every download: the Content-Disposition header for a file name."""

from __future__ import annotations

import unicodedata
from urllib.parse import quote


def _ascii_fallback(filename: str) -> str:
    """The name in plain ASCII for old clients: letters without their accents, anything unsafe as "_"."""
    decomposed = unicodedata.normalize("NFKD", filename)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return "".join(char if " " <= char <= "~" and char not in '"\\;%' else "_" for char in stripped) or "download"


def attachment_disposition(filename: str) -> str:
    """`attachment` with the name twice: an ASCII fallback and the exact UTF-8 name (RFC 6266 / RFC 5987)."""
    return f"attachment; filename=\"{_ascii_fallback(filename)}\"; filename*=UTF-8''{quote(filename, safe='')}"
