"""xlm_core/xnli/config.py: defaults, frozen slots dataclass, spec validation messages."""

from __future__ import annotations

import dataclasses

import pytest

from xlm_core.xnli.config import SPEC_SCHEMA, XnliConfig, config_from_spec


def test_defaults_are_the_documented_recipe():
    c = XnliConfig()
    assert (c.learning_rate, c.batch_size, c.epochs, c.max_length, c.warmup_ratio) == (2e-5, 32, 5, 128, 0.0)
    assert c.selection == "en" and len(c.languages) == 15
    with pytest.raises(dataclasses.FrozenInstanceError):
        c.epochs = 1
    assert not hasattr(c, "__dict__")
    with pytest.raises(TypeError):
        XnliConfig(2e-5)  # kw_only


def test_every_field_is_in_the_schema():
    assert set(SPEC_SCHEMA["properties"]) == {f.name for f in dataclasses.fields(XnliConfig)}


def test_spec_section_and_overrides():
    c = config_from_spec({"epochs": 2, "selection": "avg", "languages": ["en", "de"]}, epochs=3, max_train=None)
    assert (c.epochs, c.selection, c.languages, c.max_train) == (3, "avg", ("en", "de"), None)


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"selection": "best"}, r"spec field xnli.selection: 'best' is not one of .* \(allowed: en, avg\)"),
        ({"languages": ["en", "xx"]}, r"spec field xnli.languages.1: .*allowed: en, fr"),
        ({"epoch": 3}, r"spec field xnli: .*'epoch'.*allowed: batch_size"),
        ({"learning_rate": 0}, r"spec field xnli.learning_rate"),
        ({"languages": ["de"]}, r"xnli.train_language: 'en' is not among xnli.languages"),
    ],
)
def test_bad_spec_names_the_field(section, message):
    with pytest.raises(ValueError, match=message):
        config_from_spec(section)


def test_fragment_is_part_of_the_spec_schema():
    from xlm_core.spec import schema

    assert schema()["properties"]["xnli"] is SPEC_SCHEMA
