"""Names kept in two languages: ``name`` in Chinese (always given) and ``name_en`` in
English (may be empty). People read the one in their language: the English name on English
pages where there is one, the Chinese name otherwise."""

from django.utils.translation import get_language


def _reads_english() -> bool:
    return (get_language() or "").startswith("en")


def name_in_language(name: str, name_en: str) -> str:
    """The name in the current language: ``name_en`` in English when it is given, else
    ``name``."""
    return name_en if name_en and _reads_english() else name


class BilingualName:
    """For models with ``name`` and ``name_en``: the name to show, and the other one."""

    @property
    def display_name(self) -> str:
        return name_in_language(self.name, self.name_en)

    @property
    def other_name(self) -> str:
        """The name in the other language ("" when there is none), shown beside
        ``display_name`` where both help (a catalog's own pages)."""
        return self.name if self.name_en and _reads_english() else self.name_en
