import numpy as np
import pytest

from xlm_core.vocab import sampling


def test_split_sentences_handles_latin_cjk_and_devanagari():
    text = "Hello world. This is it!  Yes\n\n中文。第二句。 यह है। अगला"
    assert sampling.split_sentences(text) == [
        "Hello world.",
        "This is it!",
        "Yes",
        "中文。",
        "第二句。",
        "यह है।",
        "अगला",
    ]


def test_plan_targets_follow_the_formula_and_sum_to_the_budget():
    counts = {"en": 1_000_000, "de": 200_000, "sw": 1_000}
    plan = sampling.plan(counts, alpha=0.3, budget=10_000)
    p = np.array([counts[k] for k in sorted(counts)], dtype=float)
    q = (p / p.sum()) ** 0.3
    q /= q.sum()
    assert sum(v["target"] for v in plan.values()) == 10_000
    for (lang, v), share in zip(sorted(plan.items()), q):
        assert v["formula_share"] == pytest.approx(share)
        assert abs(v["target"] - share * 10_000) <= 1


def test_alpha_one_is_proportional_and_small_alpha_flattens():
    counts = {"en": 9000, "sw": 1000}
    assert sampling.plan(counts, alpha=1.0, budget=100)["sw"]["target"] == 10
    assert sampling.plan(counts, alpha=0.3, budget=100)["sw"]["target"] > 30


def test_realised_proportions_match_formula(built_vocab):
    realised = built_vocab["sampling"]
    budget = built_vocab["config"].sentences
    assert sum(v["sampled"] for v in realised.values()) == budget
    for lang, v in realised.items():
        assert v["realised_share"] == pytest.approx(v["formula_share"], abs=1.5 / budget), lang


def test_language_with_fewer_sentences_than_its_target_is_repeated(built_vocab):
    sw = built_vocab["sampling"]["sw"]
    assert sw["available"] < sw["target"]
    assert sw["sampled"] == sw["target"] and sw["unique"] == sw["available"] and sw["upsampled"]
    lines = (built_vocab["out"] / "sample" / "sw.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == sw["target"] and len(set(lines)) <= sw["available"]


def test_sampling_is_deterministic_and_seeded(tatoeba_dataset, tmp_path):
    shards = [str(p) for p in sorted((tatoeba_dataset / "de").glob("*.parquet"))]
    n = sampling.count_sentences(shards)
    runs = [
        sampling.sample_language(
            "de", shards, available=n, target=n // 3, seed=seed, out_uri=str(tmp_path / f"{i}.txt")
        )
        for i, seed in enumerate((7, 7, 8))
    ]
    assert runs[0]["sha256"] == runs[1]["sha256"] != runs[2]["sha256"]
    assert runs[0]["sampled"] == n // 3


def test_empty_language_is_refused_by_name():
    with pytest.raises(ValueError, match="no sentences for language.*sw"):
        sampling.plan({"en": 10, "sw": 0}, alpha=0.3, budget=100)


def test_empty_shard_contributes_nothing(tatoeba_dataset):
    shards = sorted((tatoeba_dataset / "sw").glob("*.parquet"))
    assert len(shards) == 3
    counts = [sampling.count_sentences([str(s)]) for s in shards]
    assert counts[2] == 0 and sampling.count_sentences([str(s) for s in shards]) == sum(counts)


def test_changed_shards_between_passes_are_detected(tatoeba_dataset, tmp_path):
    shards = [str(next((tatoeba_dataset / "de").glob("*.parquet")))]
    n = sampling.count_sentences(shards)
    with pytest.raises(ValueError, match="plan counted"):
        sampling.sample_language("de", shards, available=n + 5, target=10, seed=0, out_uri=str(tmp_path / "x.txt"))
