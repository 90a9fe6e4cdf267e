from xlm_core.document import Document, to_table
from xlm_core.shards.manifest import build_manifest, dataset_version, verify, write_manifest
from xlm_core.shards.writer import ShardConfig, ShardWriter


def make_version(tmp_path):
    w = ShardWriter(str(tmp_path), "en", ShardConfig())
    w.write(to_table([Document(id="1", text="hello world", source="wikipedia", source_file="f", language="en")]))
    shards = w.close()
    m = build_manifest(spec={"name": "t"}, spec_sha256="s", code="c", version="v", inputs=[], shards=shards,
                       counters={}, languages={"en": {"documents": 1}})
    write_manifest(str(tmp_path), m)
    return tmp_path / shards[0].path


def test_verify_passes_then_names_a_flipped_byte(tmp_path):
    shard = make_version(tmp_path)
    assert verify(str(tmp_path)) == []
    data = bytearray(shard.read_bytes())
    data[len(data) // 2] ^= 0x01
    shard.write_bytes(bytes(data))
    problems = verify(str(tmp_path))
    assert len(problems) == 1 and "en/part-00000.parquet: sha256" in problems[0]


def test_verify_names_missing_and_extra_shards(tmp_path):
    shard = make_version(tmp_path)
    extra = tmp_path / "de" / "part-00000.parquet"
    extra.parent.mkdir()
    extra.write_bytes(shard.read_bytes())
    shard.unlink()
    problems = verify(str(tmp_path))
    assert "en/part-00000.parquet: missing" in problems
    assert "de/part-00000.parquet: not in the manifest" in problems


def test_version_depends_on_spec_inputs_and_code_not_input_order():
    v = dataset_version("s", ["a", "b"], "c")
    assert v == dataset_version("s", ["b", "a"], "c")
    assert len({v, dataset_version("s2", ["a", "b"], "c"), dataset_version("s", ["a"], "c"),
                dataset_version("s", ["a", "b"], "c2")}) == 4
