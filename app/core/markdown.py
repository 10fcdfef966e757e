"""Markdown to safe HTML: markdown-it-py renders, nh3 keeps only an allow-list of tags and URL schemes."""

from __future__ import annotations

import re
from collections.abc import Callable

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "h5", "h6", "strong", "em", "del", "blockquote", "code", "pre",
    "ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"style"},
    "td": {"style"},
    "ol": {"start"},
}
URL_SCHEMES = {"http", "https", "mailto"}

_renderer = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_ABSOLUTE_URL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|/|#)", re.IGNORECASE)


def render_markdown(source: str, *, media_url: Callable[[str], str] | None = None) -> str:
    """Render and sanitise. `media_url` maps a relative image path to the URL it is served from."""
    html = _renderer.render(source)

    def filter_attribute(tag: str, attribute: str, value: str) -> str | None:
        if tag == "img" and attribute == "src" and media_url and not _ABSOLUTE_URL.match(value):
            return media_url(value)
        if attribute == "style":
            # markdown-it aligns table cells with style="text-align:…"; nothing else is allowed.
            return value if re.fullmatch(r"text-align:(left|right|center)", value) else None
        return value

    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        attribute_filter=filter_attribute,
        link_rel="noopener noreferrer",
    )


def markdown_images(source: str) -> list[tuple[str, str]]:
    """(alt text, path) of every image in the Markdown source."""
    images: list[tuple[str, str]] = []
    for token in _renderer.parse(source):
        for child in token.children or []:
            if child.type == "image":
                images.append((child.content, str(child.attrGet("src") or "")))
    return images


def plain_text(source: str) -> str:
    """The words of a Markdown text without markup, for word counts and the search index."""
    return nh3.clean(_renderer.render(source), tags=set()).replace("&amp;", "&")


def clean_html(html: str) -> str:
    """Sanitise HTML written elsewhere (e.g. questions imported from Moodle) with the same allow-list."""
    return nh3.clean(
        html, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, url_schemes=URL_SCHEMES, link_rel="noopener noreferrer"
    )
