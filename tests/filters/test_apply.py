from collections import Counter

import pyarrow.parquet as pq

from xlm_core.filters import DroppedWriter, FilterConfig, apply_filters

from .helpers import doc, prose


def test_counters_and_exclusion_parquet(tmp_path):
    docs = [doc(prose(100, seed=1)), doc("too short\nCookie settings"), doc(""), doc(prose(100, seed=2))]
    stats = Counter()
    out = tmp_path / "dropped.parquet"
    with DroppedWriter(str(out)) as sink:
        kept = list(apply_filters(docs, FilterConfig(), stats, dropped_sink=sink))
    assert len(kept) == 2
    assert stats["read"] == 4 and stats["kept"] == 2
    assert stats["read"] == stats["kept"] + sum(v for k, v in stats.items() if k.startswith("dropped."))
    table = pq.read_table(out)
    assert table.column("reason").to_pylist() == ["length.too_short", "length.no_words"]
    assert table.column("text").to_pylist() == ["too short\nCookie settings", ""]  # as judged


def test_disabled_keeps_everything():
    stats = Counter()
    assert len(list(apply_filters([doc("")], FilterConfig(enabled=False), stats))) == 1
    assert stats == Counter(read=1, kept=1)
