"""discover_wikipedia() against dumps-style mirrors (HTTP with nginx indexes, S3, local)."""

from __future__ import annotations

import json

import pytest

from tests.acquire.helpers import FAST
from tests.servers import WIKI_SAMPLES, make_dump_mirror
from xlm_core.acquire import DiscoveryError, discover_wikipedia, download_many, requests_for

# enwiki as 11 split parts (natural order: part 2 before part 10), nlwiki as one file.
LANGS = {"en": [WIKI_SAMPLES["en"]] * 11, "nl": [WIKI_SAMPLES["nl"]]}


@pytest.fixture
def mirror(http_server):
    """The dumps tree below /dumps, as mirrors host it under a sub-path."""
    tree = make_dump_mirror(http_server.root / "dumps", LANGS, dump="20230501")
    return tree, http_server.url + "/dumps"


def test_dated_dump_lists_articles_in_page_order_with_checksums(mirror):
    tree, url = mirror
    files = discover_wikipedia(url, "en", "20230501", config=FAST)
    assert [f.name for f in files] == [m.name for m in tree.files["en"]]
    assert [f.name.split(".xml")[0][-2:] for f in files[:3]] == ["s1", "s2", "s3"]
    assert files[-1].name.startswith("enwiki-20230501-pages-articles11.xml-p10001p11000")
    first, want = files[0], tree.files["en"][0]
    assert first.uri == f"{url}/{want.relpath}"
    assert (first.size, first.md5, first.sha1) == (want.size, want.md5, want.sha1)


def test_latest_skips_the_dump_in_progress(mirror, http_server):
    tree, url = mirror
    files = discover_wikipedia(url, "nl", "latest", config=FAST)
    assert [f.name for f in files] == ["nlwiki-20230501-pages-articles.xml.bz2"]
    asked = [r.path for r in http_server.requests if r.path.endswith("dumpstatus.json")]
    assert asked[0] == f"/dumps/nlwiki/{tree.newer}/dumpstatus.json"  # newest first, then skipped


def test_multistream_leaves_out_the_index_files(mirror):
    _, url = mirror
    files = discover_wikipedia(url, "en", "20230501", multistream=True, max_files=3, config=FAST)
    assert [f.name for f in files] == [
        "enwiki-20230501-pages-articles-multistream1.xml-p1p1000.bz2",
        "enwiki-20230501-pages-articles-multistream2.xml-p1001p2000.bz2",
        "enwiki-20230501-pages-articles-multistream3.xml-p2001p3000.bz2",
    ]


def test_unfinished_dump_is_refused(mirror):
    tree, url = mirror
    with pytest.raises(DiscoveryError, match="'in-progress', expected \"done\"") as err:
        discover_wikipedia(url, "en", tree.newer, config=FAST)
    assert err.value.url == f"{url}/enwiki/{tree.newer}/dumpstatus.json"


def test_missing_dump_names_the_url(mirror):
    _, url = mirror
    with pytest.raises(DiscoveryError, match="dumpstatus.json") as err:
        discover_wikipedia(url, "en", "20200101", config=FAST)
    assert f"{url}/enwiki/20200101/dumpstatus.json" in str(err.value) and "404" in str(err.value)


def test_broken_dumpstatus_is_reported(mirror):
    tree, url = mirror
    (tree.root / "enwiki" / tree.older / "dumpstatus.json").write_text("<html>maintenance</html>")
    with pytest.raises(DiscoveryError, match="is not JSON"):
        discover_wikipedia(url, "en", tree.older, config=FAST)
    (tree.root / "enwiki" / tree.older / "dumpstatus.json").write_text(json.dumps({"version": "0.8"}))
    with pytest.raises(DiscoveryError, match='no "jobs"'):
        discover_wikipedia(url, "en", tree.older, config=FAST)


def test_bad_arguments(mirror):
    _, url = mirror
    with pytest.raises(ValueError, match="YYYYMMDD"):
        discover_wikipedia(url, "en", "2023-05-01")
    with pytest.raises(ValueError, match="max_files"):
        discover_wikipedia(url, "en", "20230501", max_files=0)


def test_discovered_files_download_and_verify(mirror, tmp_path):
    _, url = mirror
    files = discover_wikipedia(url, "en", "latest", max_files=2, config=FAST)
    got = download_many(requests_for(files, str(tmp_path / "raw")), FAST)
    assert [g.checksums["md5"] for g in got] == [f.md5 for f in files]
    assert all(open(g.path, "rb").read() == WIKI_SAMPLES["en"].read_bytes() for g in got)


def test_local_mirror(tmp_path):
    tree = make_dump_mirror(tmp_path / "dumps", LANGS)
    files = discover_wikipedia(str(tmp_path / "dumps"), "en", "latest", max_files=1, config=FAST)
    assert files[0].uri == str(tmp_path / "dumps" / tree.files["en"][0].relpath)


def test_s3_mirror(s3_server, s3_bucket, tmp_path):
    tree = make_dump_mirror(tmp_path / "dumps", {"nl": [WIKI_SAMPLES["nl"]]})
    s3_server.upload_tree(tree.root, s3_bucket, "wikimedia")
    files = discover_wikipedia(f"s3://{s3_bucket}/wikimedia", "nl", "latest", config=FAST)
    assert [f.uri for f in files] == [f"s3://{s3_bucket}/wikimedia/{tree.files['nl'][0].relpath}"]
    assert files[0].md5 == tree.files["nl"][0].md5
