"""Common Crawl WET/WARC -> Documents (xlm_core/extract/warc.py), on the bundled real excerpts."""

from __future__ import annotations

import gzip
import io
from collections import Counter
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.warcwriter import WARCWriter

from xlm_core.document import document_id
from xlm_core.extract import iter_documents
from xlm_core.extract.warc import WarcExtractConfig, iter_warc

CC = Path(__file__).resolve().parents[2] / "data_specs" / "samples" / "commoncrawl"
WET = CC / "CC-MAIN-2026-12-wet-head263.warc.wet.gz"
WHIRLWIND = CC / "CC-MAIN-2024-22-whirlwind.warc.wet.gz"
WARC = CC / "CC-MAIN-2020-34-sample16.warc.gz"


def extract(src, **kw):
    stats = Counter()
    docs = list(iter_warc(src, dump="CC-MAIN-2026-12", stats=stats, **kw))
    return docs, stats


def member_offsets(data: bytes) -> list[int]:
    it = ArchiveIterator(io.BytesIO(data))
    offsets = []
    for record in it:
        record.content_stream().read()
        offsets.append(it.get_record_offset())
    return offsets


def wet_record(text: bytes, record_id: str = "<urn:uuid:00000000-0000-0000-0000-000000000001>") -> bytes:
    out = io.BytesIO()
    writer = WARCWriter(out, gzip=True)
    headers = {"WARC-Target-URI": "https://example.org/", "WARC-Record-ID": record_id,
               "WARC-Date": "2026-03-05T08:39:38Z"}  # fmt: skip
    writer.write_record(
        writer.create_warc_record("https://example.org/", "conversion", payload=io.BytesIO(text),
                                  warc_headers_dict=headers, warc_content_type="text/plain")  # fmt: skip
    )
    return out.getvalue()


def test_wet_records_become_documents():
    docs, stats = extract(WET)
    # 263 records: 1 warcinfo (not a document) + 262 conversions.
    assert stats == Counter({"read": 262}) and len(docs) == 262
    first = docs[0]
    assert first.url == "http://020bld.cn.vauofnj.cn/html/991f998999.html"
    assert first.date == "2026-03-05T08:39:38Z"
    assert first.id == document_id("commoncrawl", "<urn:uuid:c16c1860-9047-48d6-b065-ab19834a56bf>")
    assert (first.source, first.language, first.dump) == ("commoncrawl", "", "CC-MAIN-2026-12")
    assert first.source_file == str(WET) and first.meta["cc_languages"] == "zho"
    assert "百合花花蕊染色洗得掉吗" in first.text
    assert len({d.id for d in docs}) == 262
    assert all(d.url.startswith("http") and d.date.startswith("2026-03-0") for d in docs)


def test_offsets_read_the_record_back():
    docs, _ = extract(WET)
    with open(WET, "rb") as f:
        for doc in (docs[0], docs[100], docs[-1]):
            f.seek(doc.offset)
            record = next(iter(ArchiveIterator(f)))
            assert document_id("commoncrawl", record.rec_headers.get_header("WARC-Record-ID")) == doc.id


def test_whirlwind_single_page():
    docs, stats = extract(WHIRLWIND)
    assert len(docs) == 1 and docs[0].url == "https://an.wikipedia.org/wiki/Escopete"
    assert stats["read"] == 1


def test_truncated_gzip_keeps_records_before_the_cut():
    data = WET.read_bytes()
    docs, stats = extract(io.BytesIO(data[: len(data) // 2]))
    full, _ = extract(WET)
    assert 100 < len(docs) < 262
    assert [d.id for d in docs] == [d.id for d in full[: len(docs)]]
    assert stats["errors.truncated"] == 1 and "errors.invalid_utf8" not in stats


def test_cut_inside_a_record_header_is_truncation():
    data = WET.read_bytes()
    docs, stats = extract(io.BytesIO(data[: member_offsets(data)[1] + 7]))
    assert docs == [] and stats == Counter({"errors.truncated": 1})


def test_corrupted_record_header_is_skipped_and_counted():
    data = WET.read_bytes()
    offs = member_offsets(data)
    damaged = gzip.compress(gzip.decompress(data[offs[5] : offs[6]]).replace(b"WARC/1.0", b"WARX/1.0", 1))
    docs, stats = extract(io.BytesIO(data[: offs[5]] + damaged + data[offs[6] :]))
    assert len(docs) == 261 and stats["errors.bad_record"] == 1
    full, _ = extract(WET)
    assert {d.id for d in full} - {d.id for d in docs} == {full[4].id}  # record 5 = document 4
    assert docs[4].offset == offs[5] + len(damaged)  # offsets after the resync are still exact


def test_invalid_content_length_and_garbage_bytes_are_bad_records():
    data = WET.read_bytes()
    offs = member_offsets(data)
    record = gzip.decompress(data[offs[5] : offs[6]])
    bad_length = gzip.compress(record.replace(b"Content-Length: ", b"Content-Length: x", 1))
    for damaged in (bad_length, b"garbage" * 10 + data[offs[5] : offs[5] + 40]):
        docs, stats = extract(io.BytesIO(data[: offs[5]] + damaged + data[offs[6] :]))
        assert len(docs) == 261 and stats["errors.bad_record"] == 1


def test_uncompressed_warc_resyncs_on_the_next_record():
    plain = gzip.decompress(WET.read_bytes())
    at = plain.index(b"WARC/1.0", 5000)
    docs, stats = extract(io.BytesIO(plain[:at] + b"XXXX" + plain[at + 4 :]))
    assert len(docs) == 261 and stats["errors.bad_record"] == 1


def test_non_utf8_bytes_are_replaced_and_counted():
    data = wet_record("café ".encode() + b"\xff\xfe broken " + "naïve".encode())
    docs, stats = extract(io.BytesIO(data))
    assert docs[0].text == "café \ufffd\ufffd broken naïve"
    assert stats["errors.invalid_utf8"] == 1


def test_empty_text_and_empty_file():
    docs, stats = extract(io.BytesIO(wet_record(b"  \n\n ")))
    assert docs == [] and stats == Counter({"read": 1, "dropped.empty": 1})
    docs, stats = extract(io.BytesIO(b""))
    assert docs == [] and stats == Counter()


def test_html_responses_need_the_flag_and_give_text():
    docs, stats = extract(WARC)
    assert docs == [] and stats == Counter()  # request/response/metadata only: no WET text
    docs, stats = extract(WARC, config=WarcExtractConfig(html=True))
    assert len(docs) == 16 and stats == Counter({"read": 16})
    assert all(d.text and "<div" not in d.text and "<script" not in d.text for d in docs)
    assert docs[0].url == "http://003338.cn/l41/481397.html"


def test_iter_documents_dispatches_on_kind():
    assert len(list(iter_documents(str(WARC), kind="warc", dump="CC-MAIN-2020-34"))) == 16
    assert len(list(iter_documents(str(WHIRLWIND), kind="wet", dump="CC-MAIN-2024-22"))) == 1
    with pytest.raises(ValueError, match="kind"):
        iter_documents(str(WET), kind="pdf", dump="x")
