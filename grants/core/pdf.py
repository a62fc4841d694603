"""Render a page template to PDF with WeasyPrint, in a given language.

Agreements, acknowledgements of receipt and notices are documents people keep: they are rendered
once, stored (grants.files.storage) and served as stored, never re-rendered behind their back.

Every PDF is tagged for accessibility (WeasyPrint's PDF/UA-1 variant: structure tree, marked
content, the document's language from `<html lang>` and its title from `<title>`, shown as the
window title), so a screen reader reads it in the right language and order.
"""

from __future__ import annotations

from typing import Any

from flask import render_template
from flask_babel import force_locale
from markupsafe import Markup

from grants.core.i18n import locale_for_language

PDF_VARIANT = "pdf/ua-1"
"""Tagged PDF for accessibility (ISO 14289-1), with /Lang, /MarkInfo and the title displayed."""


def render_pdf(template: str, *, language: str = "fr", **context: Any) -> bytes:
    """`templates/<template>` (HTML extending pdf/base.html) rendered in `language` to tagged
    PDF bytes (PDF/UA-1)."""
    from weasyprint import HTML

    with force_locale(locale_for_language(language)):
        html = render_template(template, language=language, **context)
    return HTML(string=html, base_url=".").write_pdf(pdf_variant=PDF_VARIANT)


def css_string(text: Any, *, counters: bool = False) -> Markup:
    """Text as a CSS string for a page margin box (`content: "…"`): the running header, the
    footer, and with `counters` "page {page} de {pages}" with WeasyPrint's page counters."""
    plain = text.unescape() if isinstance(text, Markup) else str(text)
    plain = " ".join(plain.split()).replace("\\", "").replace('"', "\u201d").replace("<", "").replace(">", "")
    quoted = f'"{plain}"'
    if counters:
        quoted = quoted.replace("{page}", '" counter(page) "').replace("{pages}", '" counter(pages) "')
    return Markup(quoted)
