"""discover_commoncrawl() from a crawl's wet.paths.gz (HTTP, S3, local)."""

from __future__ import annotations

import pytest

from tests.acquire.helpers import FAST
from tests.servers import make_cc_mirror
from xlm_core.acquire import DiscoveryError, discover_commoncrawl, download_many, requests_for
from xlm_core.acquire.commoncrawl import choose

CRAWL = "CC-MAIN-2026-12"


@pytest.fixture
def mirror(http_server):
    return make_cc_mirror(http_server.root, CRAWL, n_files=12), http_server.url


def test_all_files_in_list_order(mirror):
    tree, url = mirror
    files = discover_commoncrawl(url, CRAWL, max_files=None, config=FAST)
    assert [f.uri for f in files] == [f"{url}/{p}" for p in tree.paths]
    assert all(f.size is None and f.checksums == {} for f in files)  # CC publishes none


def test_sample_is_deterministic_spread_and_prefix_stable(mirror):
    tree, url = mirror
    five = discover_commoncrawl(url, CRAWL, max_files=5, seed=7, config=FAST)
    assert five == discover_commoncrawl(url, CRAWL, max_files=5, seed=7, config=FAST)
    assert [f.uri for f in five] == sorted(
        (f.uri for f in five), key=[f"{url}/{p}" for p in tree.paths].index
    )
    three = discover_commoncrawl(url, CRAWL, max_files=3, seed=7, config=FAST)
    assert {f.uri for f in three} <= {f.uri for f in five}
    assert len({"/".join(f.uri.split("/")[-3:-2]) for f in five}) > 1  # more than one segment


def test_choose_depends_on_seed_not_on_list_order():
    paths = [f"crawl-data/{CRAWL}/segments/s{i % 4}/wet/f{i:05d}.warc.wet.gz" for i in range(40)]
    a = choose(paths, 6, seed=0)
    assert set(choose(list(reversed(paths)), 6, seed=0)) == set(a)
    assert set(choose(paths, 6, seed=1)) != set(a)


def test_discovered_files_download_with_size_from_the_server(mirror, tmp_path):
    tree, url = mirror
    files = discover_commoncrawl(url, CRAWL, max_files=2, config=FAST)
    got = download_many(requests_for(files, str(tmp_path / "raw")), FAST)
    for f, g in zip(files, got, strict=True):
        want = tree.files[f.uri.removeprefix(url + "/")]
        assert (g.size, g.sha256) == (want.size, want.sha256)


def test_s3_and_local_mirrors(s3_server, s3_bucket, tmp_path):
    tree = make_cc_mirror(tmp_path / "cc", CRAWL, n_files=4)
    s3_server.upload_tree(tree.root, s3_bucket)
    on_s3 = discover_commoncrawl(f"s3://{s3_bucket}", CRAWL, max_files=2, config=FAST)
    local = discover_commoncrawl(str(tree.root), CRAWL, max_files=2, config=FAST)
    assert [f.name for f in on_s3] == [f.name for f in local]
    assert on_s3[0].uri.startswith(f"s3://{s3_bucket}/crawl-data/{CRAWL}/segments/")


def test_errors_name_the_url(mirror):
    tree, url = mirror
    with pytest.raises(DiscoveryError, match="wet.paths.gz") as err:
        discover_commoncrawl(url, "CC-MAIN-2019-01", max_files=1, config=FAST)
    assert err.value.url == f"{url}/crawl-data/CC-MAIN-2019-01/wet.paths.gz"
    (tree.root / "crawl-data" / CRAWL / "wet.paths.gz").write_bytes(b"plain text")
    with pytest.raises(DiscoveryError, match="not gzip"):
        discover_commoncrawl(url, CRAWL, max_files=1, config=FAST)
    with pytest.raises(ValueError, match="kind"):
        discover_commoncrawl(url, CRAWL, max_files=1, kind="warc.gz")
