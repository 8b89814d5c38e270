"""The build cache's keys between builds in one process (the studio, the portal): what
was read from files is kept only while those files are unchanged."""
from __future__ import annotations

import os
import time

import pytest

from pipeline.build import cache


@pytest.fixture
def settled(monkeypatch):
    """Files count as settled at once (no 2 s wait for the racy window)."""
    monkeypatch.setattr(cache, "RACY_NS", 0)


def rewrite(path, text):
    """The same number of bytes, later: the stamp a new save leaves."""
    before = path.stat().st_mtime_ns
    time.sleep(0.01)
    path.write_text(text, encoding="utf-8")
    if path.stat().st_mtime_ns == before:  # a coarse clock: move it on by hand
        os.utime(path, ns=(before + 1_000_000, before + 1_000_000))


def test_a_file_saved_again_between_builds_is_hashed_again(tmp_path, settled):
    path = tmp_path / "poster.css"
    path.write_text("h1 { color: red }", encoding="utf-8")
    first = cache.file_hash(path)
    assert cache.file_hash(path) == first
    rewrite(path, "h1 { color: tan }")
    assert cache.file_hash(path) != first


def test_a_new_include_is_seen_without_forgetting(tmp_path, settled):
    (tmp_path / "poster.html").write_text("{% include '_a.html' %}", encoding="utf-8")
    (tmp_path / "_a.html").write_text("a", encoding="utf-8")
    (tmp_path / "_b.html").write_text("b", encoding="utf-8")
    assert cache._template_files.__wrapped__(tmp_path, "poster.html") == ("_a.html", "poster.html")
    rewrite(tmp_path / "_a.html", "{% include '_b.html' %}")
    assert cache._template_files.__wrapped__(tmp_path, "poster.html") == ("_a.html", "_b.html", "poster.html")


def test_a_loaded_file_appearing_changes_the_loads(tmp_path, settled):
    (tmp_path / "poster.css").write_text("@import 'extra.css';", encoding="utf-8")
    missing = cache._loaded_files.__wrapped__(tmp_path, "poster.css")
    assert [hash for _, hash in missing] == ["missing"]
    (tmp_path / "extra.css").write_text("body { margin: 0 }", encoding="utf-8")
    found = cache._loaded_files.__wrapped__(tmp_path, "poster.css")
    assert [hash for _, hash in found] == [cache.file_hash(tmp_path / "extra.css")]


def test_a_file_changed_just_now_is_not_kept(tmp_path, monkeypatch):
    """A file system whose clock ticks once a second leaves two saves within one tick
    the same stamp: a file changed within the racy window is read again next time."""
    def coarse(path):
        st = path.stat()
        second = st.st_mtime_ns // 1_000_000_000 * 1_000_000_000
        return second, second, st.st_size
    monkeypatch.setattr(cache, "stamp", coarse)
    path = tmp_path / "poster.css"
    path.write_text("h1 { color: red }", encoding="utf-8")
    cache.file_hash(path)
    path.write_text("h1 { color: tan }", encoding="utf-8")
    assert cache.file_hash(path) == cache.hashlib.sha256(b"h1 { color: tan }").hexdigest()


def test_a_builds_hashes_are_each_jobs_own():
    """input_hashes encodes what jobs share (campaign, product, profile, templates) once a
    build: each job still gets the key input_hash gives it alone, every campaign's job,
    every profile's, a key of its own."""
    from pipeline.content import load_campaigns
    from pipeline.paths import CONTENT, LAYOUTS
    from pipeline.plan import load_layouts, load_profiles, plan

    campaigns = load_campaigns([*sorted(CONTENT.glob("*.yaml")), *sorted((CONTENT / "examples").glob("*.yaml"))])
    jobs = plan(campaigns, load_layouts(LAYOUTS), list(load_profiles().values()))
    keys = cache.input_hashes(jobs)
    assert keys == [cache.input_hash(job) for job in jobs]
    assert len(set(keys)) == len({(job.source.slug, job.source.language, job.output) for job in jobs})
