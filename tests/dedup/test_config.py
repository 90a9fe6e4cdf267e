import jsonschema
import pytest

from xlm_core.dedup import SPEC_SCHEMA, DedupConfig

SPEC = {"exact": {"segment": "paragraph", "partitions": 8},
        "minhash": {"bands": 20, "rows": 5, "jaccard_threshold": 0.75, "char_languages": ["zh", "ja"]}}


def test_spec_round_trip():
    jsonschema.validate(SPEC, SPEC_SCHEMA)
    cfg = DedupConfig.from_spec(SPEC)
    assert (cfg.exact.segment, cfg.exact.separator, cfg.exact.partitions) == ("paragraph", "\n\n", 8)
    assert (cfg.minhash.bands, cfg.minhash.rows, cfg.minhash.permutations) == (20, 5, 100)
    assert cfg.minhash.char_languages == ("zh", "ja")
    assert DedupConfig.from_spec(None).minhash.permutations == 112


def test_stages_turn_off():
    cfg = DedupConfig.from_spec({"exact": {"enabled": False}, "minhash": {"enabled": False}})
    assert not cfg.exact.enabled and not cfg.minhash.enabled


@pytest.mark.parametrize("spec,match", [
    ({"minhash": {"bands": 14, "rows": 8, "permutations": 128}}, r"dedup\.minhash\.permutations \(128\) must equal bands × rows \(14 × 8 = 112\)"),
    ({"minhash": {"band": 3}}, r"dedup\.minhash\.band: unknown field"),
    ({"exact": {"segment": "sentence"}}, r"dedup\.exact\.segment: 'sentence' is not one of line, paragraph"),
    ({"fuzzy": {}}, r"dedup: unknown keys \['fuzzy'\]"),
])
def test_errors_name_the_spec_field(spec, match):
    with pytest.raises(ValueError, match=match):
        DedupConfig.from_spec(spec)


def test_schema_rejects_bad_types():
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"minhash": {"bands": "14"}}, SPEC_SCHEMA)
