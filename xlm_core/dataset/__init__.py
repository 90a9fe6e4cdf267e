"""The dataset build: inputs -> per-input units -> dedup and shard stages -> manifest.

Each function here is one unit of work of the Prefect flow (`flows/build_dataset.py`) and can
equally be called in a loop. Steps write under temp names and leave a done marker last (see
xlm_core/steps.py), so a killed build resumes where it stopped and produces the same bytes."""

from xlm_core.dataset.inputs import InputFile, plan_inputs
from xlm_core.dataset.layout import BuildLayout
from xlm_core.dataset.manifest import finalize
from xlm_core.dataset.stages import (LanguageResult, Stage, finish_clusters, languages_of, run_stage_step,
                                     stage_counters, stages_of, write_plan)
from xlm_core.dataset.unit import UnitResult, build_unit

__all__ = [
    "BuildLayout",
    "InputFile",
    "LanguageResult",
    "Stage",
    "UnitResult",
    "build_unit",
    "finalize",
    "finish_clusters",
    "languages_of",
    "plan_inputs",
    "run_stage_step",
    "stage_counters",
    "stages_of",
    "write_plan",
]
