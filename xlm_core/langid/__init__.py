"""Language identification (fastText lid.176)."""

from xlm_core.langid.labels import LID176_LANGUAGES
from xlm_core.langid.model import LangIdConfig, LanguageIdentifier, bundled_model_path
from xlm_core.langid.route import identify

__all__ = ["LID176_LANGUAGES", "LangIdConfig", "LanguageIdentifier", "bundled_model_path", "identify"]
