"""The dataset build: inputs -> per-input units -> per-language shards -> manifest.

Each function here is one unit of work of the Prefect flow (`flows/build_dataset.py`) and can
equally be called in a loop. Units write under temp names and leave a done marker last, so a
killed build resumes where it stopped and produces the same bytes."""

from xlm_core.dataset.inputs import InputFile, plan_inputs
from xlm_core.dataset.language import LanguageResult, write_language
from xlm_core.dataset.layout import BuildLayout
from xlm_core.dataset.manifest import finalize
from xlm_core.dataset.unit import UnitResult, build_unit

__all__ = [
    "BuildLayout",
    "InputFile",
    "LanguageResult",
    "UnitResult",
    "build_unit",
    "finalize",
    "plan_inputs",
    "write_language",
]
