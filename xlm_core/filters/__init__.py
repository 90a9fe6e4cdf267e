"""Quality filters: length, Gopher quality and repetition, web line cleanup, KenLM perplexity.

`apply_filters(docs, FilterConfig.from_spec(spec["filters"], lang), stats)` inside a unit, with
the documents of one language (judged in batches, see apply.py)."""

from .apply import apply_filters, filter_batch
from .config import SPEC_SCHEMA, FilterConfig
from .dropped import DROPPED_SCHEMA, DroppedWriter

__all__ = ["apply_filters", "filter_batch", "FilterConfig", "SPEC_SCHEMA", "DroppedWriter", "DROPPED_SCHEMA"]
