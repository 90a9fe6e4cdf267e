import pyarrow.parquet as pq

from xlm_core.document import SCHEMA, Document, to_table
from xlm_core.io import sha256_file
from xlm_core.shards.writer import ShardConfig, ShardWriter


def docs(n, size=100):
    return [Document(id=f"{i}", text=chr(97 + i % 26) * size, source="wikipedia", source_file="f",
                     language="en") for i in range(n)]


def test_rotation_by_text_size_keeps_every_row_in_order(tmp_path):
    w = ShardWriter(str(tmp_path), "en", ShardConfig(max_bytes=1000, row_group_rows=3))
    w.write(to_table(docs(25)[:7]))
    w.write(to_table(docs(25)[7:]))
    records = w.close()
    assert [r.path for r in records] == [f"en/part-{i:05d}.parquet" for i in range(3)]
    assert [r.rows for r in records] == [10, 10, 5]
    ids = []
    for r in records:
        t = pq.read_table(tmp_path / r.path)
        assert t.schema.equals(SCHEMA)
        ids += t.column("id").to_pylist()
        assert sha256_file(str(tmp_path / r.path)) == (r.sha256, r.bytes)
    assert ids == [str(i) for i in range(25)]


def test_same_rows_give_same_bytes(tmp_path):
    out = []
    for d in ("a", "b"):
        w = ShardWriter(str(tmp_path / d), "en", ShardConfig())
        w.write(to_table(docs(50)))
        out.append([r.sha256 for r in w.close()])
    assert out[0] == out[1]
