"""Bilingual columns (`name_fr`/`name_en`, `title_fr`/`title_en`) read in the user's language."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup


class Bilingual:
    """Mixin: `obj.name` / `obj.title` give the column of the current language, French otherwise."""

    _bilingual_base = "name"

    def __init_subclass__(cls, title: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if title:
            cls._bilingual_base = "title"

    def _in_language(self, base: str) -> str:
        from grants.core.i18n import current_language

        language = current_language()
        value = getattr(self, f"{base}_{language}", None)
        return value or getattr(self, f"{base}_fr")

    @property
    def name(self) -> str:
        return self._in_language(self._bilingual_base)

    @property
    def title(self) -> str:
        return self._in_language(self._bilingual_base)


# -- reference data with no translation --------------------------------------------------------------
def source_language(obj: Any, base: str = "title") -> str | None:
    """ "fr" when `obj`'s `<base>` is shown in French in a page of another language (its
    `<base>_<language>` column is empty or absent: plan measures, CSESM recommendations), else None.
    The element holding that text then carries `lang="fr"` so a screen reader pronounces it in
    French (WCAG 3.1.2)."""
    from grants.core.i18n import current_language

    language = current_language()
    if language == "fr":
        return None
    return None if getattr(obj, f"{base}_{language}", None) else "fr"


def lang_attr(obj: Any, base: str = "title") -> Markup:
    """` lang="fr"` for the element holding `obj`'s `<base>` when it is shown untranslated, else
    nothing: `<td{{ measure|lang_attr }}>{{ measure.title }}</td>`."""
    language = source_language(obj, base)
    return Markup(f' lang="{language}"') if language else Markup("")


def in_own_language(obj: Any, attribute: str = "title", base: str | None = None) -> Markup:
    """`obj.<attribute>`, escaped, wrapped in `<span lang="fr">` when it is shown untranslated
    (`base` names the bilingual column it comes from, `attribute` by default): for option labels
    and inline text, `{{ measure|in_own_language("label", "title") }}`."""
    text = getattr(obj, attribute)
    language = source_language(obj, base or attribute)
    if language:
        return Markup('<span lang="{}">{}</span>').format(language, text)
    return Markup("{}").format(text)
