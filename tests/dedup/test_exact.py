import pyarrow.parquet as pq
import pytest

from xlm_core.dedup import (ExactDedupConfig, exact_find_duplicates, exact_remove,
                            exact_signatures, run_exact_dedup)
from xlm_core.document import Document, to_table

CFG = ExactDedupConfig(partitions=4)


def units(tmp_path, texts_per_unit, lang="en"):
    paths = []
    for u, texts in enumerate(texts_per_unit):
        docs = [Document(id=f"{u}-{i}", text=t, language=l, source="commoncrawl", source_file="x")
                for i, (t, l) in enumerate((t if isinstance(t, tuple) else (t, lang)) for t in texts)]
        path = tmp_path / f"unit-{u}.parquet"
        pq.write_table(to_table(docs), path)
        paths.append(str(path))
    return paths


def texts(outs):
    return [pq.read_table(o).column("text").to_pylist() for o in outs]


def test_repeated_lines_across_files_keep_the_first(tmp_path):
    a = "Welcome to our shop!\nThe river flows north.\nOpening hours 9-17"
    b = "WELCOME TO OUR SHOP\nA different story about bridges.\nOpening hours 10-18!"
    outs, stats = run_exact_dedup(units(tmp_path, [[a], [b]]), "en", str(tmp_path / "w"), CFG)
    assert texts(outs) == [[a], ["A different story about bridges."]]  # case, digits, punctuation ignored
    assert stats["segments_removed.exact"] == 2 and stats["kept"] == 2


def test_unit_order_decides_which_copy_survives(tmp_path):
    paths = units(tmp_path, [["shared line\nonly in a"], ["shared line\nonly in b"]])
    outs, _ = run_exact_dedup(paths[::-1], "en", str(tmp_path / "w"), CFG)
    assert texts(outs) == [["shared line\nonly in b"], ["only in a"]]


def test_whole_document_repeat_is_dropped(tmp_path):
    doc = "Line one of the page.\nLine two of the page."
    outs, stats = run_exact_dedup(units(tmp_path, [[doc, "other"], ["line one of the page\n\nline two of the page!"]]),
                                  "en", str(tmp_path / "w"), CFG)
    assert texts(outs) == [[doc, "other"], []]
    assert stats["dropped.exact_document"] == 1 and stats["read"] == 3 and stats["kept"] == 2


def test_repeats_inside_one_document_and_other_languages_untouched(tmp_path):
    paths = units(tmp_path, [[("menu\nbody text\nmenu", "en"), ("menu", "de")]])
    outs, stats = run_exact_dedup(paths, "en", str(tmp_path / "w"), CFG)
    assert texts(outs) == [["menu\nbody text"]] and stats["read"] == 1


def test_paragraph_mode(tmp_path):
    a = "First paragraph\nstill first.\n\nSecond paragraph."
    b = "Another opening.\n\nfirst paragraph\nstill first"
    cfg = ExactDedupConfig(partitions=4, segment="paragraph", whole_document=False)
    outs, _ = run_exact_dedup(units(tmp_path, [[a, b]]), "en", str(tmp_path / "w"), cfg)
    assert texts(outs) == [[a, "Another opening."]]


def test_no_space_language(tmp_path):
    paths = units(tmp_path, [["北京是首都。\n今天天气很好", "今天天气很好！\n上海是城市"]], lang="zh")
    outs, _ = run_exact_dedup(paths, "zh", str(tmp_path / "w"), CFG)
    assert texts(outs) == [["北京是首都。\n今天天气很好", "上海是城市"]]


def test_all_duplicate_input(tmp_path):
    doc = "the same page\nagain and again"
    outs, stats = run_exact_dedup(units(tmp_path, [[doc] * 30, [doc] * 30]), "en", str(tmp_path / "w"), CFG)
    assert texts(outs) == [[doc], []]
    assert stats["kept"] == 1 and stats["dropped.exact_document"] == 59


def test_zero_word_and_one_50mb_line(tmp_path):
    huge = "x" * 10 + " lorem ipsum dolor sit amet" * 1_900_000  # one 51 MB line
    outs, stats = run_exact_dedup(units(tmp_path, [["", "12 34", huge], ["", "56"]]), "en", str(tmp_path / "w"), CFG)
    # Segments that normalise to nothing are never duplicates: empty/numeric docs are the filters' job.
    assert stats["read"] == 5 and stats["kept"] == 5
    assert len(texts(outs)[0][2]) == len(huge)


def test_stages_are_idempotent_and_checked(tmp_path):
    paths = units(tmp_path, [["a\nb"], ["b\nc"]])
    sig, dup, out = str(tmp_path / "sig"), str(tmp_path / "dup"), str(tmp_path / "out")
    bounds = [0, 1, 2]
    for g, p in enumerate(paths):
        exact_signatures(g, [(g, p)], ["en"], sig, CFG)
    exact_find_duplicates(0, sig, dup, bounds, CFG)
    with pytest.raises(RuntimeError, match="1/4 partitions"):
        exact_remove(1, [(1, paths[1])], ["en"], dup, out, CFG)
    for p in range(CFG.partitions):
        exact_find_duplicates(p, sig, dup, bounds, CFG)
    first = exact_remove(1, [(1, paths[1])], ["en"], dup, out, CFG)
    shard = tmp_path / "out" / "en" / "group-00001.parquet"
    mtime = shard.stat().st_mtime_ns
    assert exact_remove(1, [(1, paths[1])], ["en"], dup, out, CFG) == first
    assert shard.stat().st_mtime_ns == mtime
    assert texts([str(shard)]) == [["c"]]
    assert not list(tmp_path.rglob("*.tmp-*"))  # atomic writes leave no temp files


def test_one_group_of_several_sources_and_languages_equals_one_group_each(tmp_path):
    """Grouping decides only which task does the work, never what is removed."""
    paths = units(tmp_path, [[("shared\nonly a", "en"), ("geteilt\nnur a", "de")],
                             [("shared\nonly b", "en"), ("geteilt\nnur b", "de")],
                             [("only c\nshared", "en")]])
    langs = ["de", "en"]
    results = {}
    for n_groups in (1, 3):
        base = tmp_path / f"g{n_groups}"
        sig, dup, out = (str(base / d) for d in ("sig", "dup", "out"))
        bounds = [0, 3] if n_groups == 1 else [0, 1, 2, 3]
        groups = [list(enumerate(paths))[bounds[g]:bounds[g + 1]] for g in range(n_groups)]
        for g, srcs in enumerate(groups):
            exact_signatures(g, srcs, langs, sig, CFG)
        for p in range(CFG.partitions):
            exact_find_duplicates(p, sig, dup, bounds, CFG)
        files = [exact_remove(g, srcs, langs, dup, out, CFG)["files"] for g, srcs in enumerate(groups)]
        results[n_groups] = {lang: sum(texts([f[lang] for f in files]), []) for lang in langs}
    assert results[1] == results[3]
    assert results[1] == {"de": ["geteilt\nnur a", "nur b"], "en": ["shared\nonly a", "only b", "only c"]}
