import textwrap

import pytest

from xlm_core.spec import SpecError, load_spec, parse_spec

GOOD = {
    "name": "t",
    "languages": ["en", "de"],
    "sources": [{"type": "wikipedia", "language": "en", "files": ["a.xml.bz2"]}],
    "output": "out",
}


def errors_of(data) -> str:
    with pytest.raises(SpecError) as exc:
        parse_spec(data, path="x.yaml")
    return str(exc.value)


def test_valid_spec_parses_and_hash_is_stable():
    a = parse_spec(dict(GOOD))
    b = parse_spec(dict(reversed(list(GOOD.items()))))
    assert a.sha256 == b.sha256 and a.name == "t"


def test_dataset_digest_ignores_where_it_goes_and_the_later_stages():
    base = parse_spec(dict(GOOD)).content_sha256
    for later in ({"output": "s3://elsewhere"}, {"download": {"retries": 9}}, {"description": "x"},
                  {"train": {"max_steps": 7}}, {"vocab": {"vocab_size": 1000}}, {"pipeline": {"nproc": 2}},
                  {"xnli": {"epochs": 1}}, {"model": {"size": "tiny"}}):
        assert parse_spec({**GOOD, **later}).content_sha256 == base, later
    # the manifest's copy of the spec: the dataset's part only
    later = parse_spec({**GOOD, "train": {"max_steps": 7}, "pipeline": {"nproc": 2}})
    assert later.dataset_data == GOOD and later.dataset_sha256 == parse_spec(dict(GOOD)).dataset_sha256
    assert parse_spec({**GOOD, "languages": ["en"]}).content_sha256 != base
    assert parse_spec({**GOOD, "filters": {"defaults": {"min_chars": 10}}}).content_sha256 != base


def test_enum_error_names_field_path_and_allowed_values():
    bad = {**GOOD, "sources": [GOOD["sources"][0], {"type": "wiki", "files": ["x"]}]}
    msg = errors_of(bad)
    assert "x.yaml" in msg
    assert "sources[1].type: 'wiki' is not one of wikipedia, commoncrawl" in msg


def test_unknown_language_code_rejected():
    msg = errors_of({**GOOD, "languages": ["en", "xq"]})
    assert "languages[1]: 'xq'" in msg


def test_wikipedia_files_need_language_and_discovery_needs_mirror():
    msg = errors_of({**GOOD, "sources": [{"type": "wikipedia", "files": ["a"]}]})
    assert "sources[0]" in msg and "files + language" in msg
    msg = errors_of({**GOOD, "sources": [{"type": "commoncrawl", "crawl": "CC-MAIN-2024-10"}]})
    assert "crawl + mirror + max_files" in msg


def test_unknown_field_and_bad_threshold():
    msg = errors_of({**GOOD, "langid": {"treshold": 0.5}})
    assert "langid: unknown field(s)" in msg and "treshold" in msg
    msg = errors_of({**GOOD, "langid": {"threshold": 1.5}})
    assert "langid.threshold" in msg


def test_missing_required_fields_listed():
    msg = errors_of({"name": "t"})
    for field in ("languages", "sources", "output"):
        assert field in msg


def test_relative_files_resolve_against_spec_dir(tmp_path):
    (tmp_path / "s.yaml").write_text(textwrap.dedent("""
        name: t
        languages: [en]
        sources: [{type: wikipedia, language: en, files: [data/a.xml.bz2]}]
        output: out
    """))
    spec = load_spec(str(tmp_path / "s.yaml"))
    assert spec.resolve("data/a.xml.bz2") == str(tmp_path / "data" / "a.xml.bz2")
    assert spec.resolve("s3://b/k") == "s3://b/k"


def test_not_yaml_and_missing_file(tmp_path):
    (tmp_path / "bad.yaml").write_text("name: [unclosed")
    with pytest.raises(SpecError, match="not valid YAML"):
        load_spec(str(tmp_path / "bad.yaml"))
    with pytest.raises(FileNotFoundError, match="nope.yaml"):
        load_spec(str(tmp_path / "nope.yaml"))


def test_bundled_specs_are_valid():
    for name in ("demo", "xnli15"):
        load_spec(f"data_specs/{name}.yaml")
