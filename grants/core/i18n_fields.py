"""Bilingual columns (`name_fr`/`name_en`, `title_fr`/`title_en`) read in the user's language."""

from __future__ import annotations

from typing import Any


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
