"""Fuzzing the loader and the schema: whatever bytes arrive as a campaign or a
translation, loading gives a campaign or a ContentError (file, line, what, hint),
never a traceback, and quickly."""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.content import load_campaign, load_campaigns
from pipeline.problems import ContentError

from .conftest import DEFAULT_CAMPAIGN

CAMPAIGN = DEFAULT_CAMPAIGN.read_text(encoding="utf-8")
URDU = (DEFAULT_CAMPAIGN.parent / "translations" / DEFAULT_CAMPAIGN.stem / "ur.yaml").read_text(encoding="utf-8")
DATA = yaml.safe_load(CAMPAIGN)
FOLDER = Path(tempfile.mkdtemp(prefix="fuzz-content-"))

FUZZ = settings(max_examples=200, deadline=2000, suppress_health_check=[HealthCheck.too_slow])


def load(raw: bytes) -> None:
    path = FOLDER / "campaign.yaml"
    path.write_bytes(raw)
    try:
        load_campaign(path)
    except ContentError as exc:
        assert exc.problems and all(p.file == str(path) and p.what for p in exc.problems)


def load_with_translation(raw: bytes) -> None:
    folder = FOLDER / "with-translation"
    (folder / "translations" / "campaign").mkdir(parents=True, exist_ok=True)
    (folder / "translations" / "campaign" / "ur.yaml").write_bytes(raw)
    (folder / "campaign.yaml").write_text(CAMPAIGN, encoding="utf-8")
    try:
        load_campaigns([folder / "campaign.yaml"])
    except ContentError as exc:
        assert exc.problems


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=40),
    st.dates(), st.datetimes(), st.sampled_from(["0808 802 0300", "999", "https://evil.example/", "stalk"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=30,
)
yamlish = st.lists(st.sampled_from(["a:", " ", "  ", "- ", "\n", "[", "]", "{", "}", ",", ":", "?", "&x", "*x",
                                    "!!str", "!!binary", "!x", "'", '"', "#", "|", ">", "---", "...", "<<:",
                                    "%YAML 1.1", "0808", "\\u202e", "\t", "~", "1e9", "2019-01-01"]),
                   max_size=60).map("".join)


@FUZZ
@given(st.text(max_size=2000))
def test_any_text(text):
    load(text.encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.binary(max_size=2000))
def test_any_bytes(raw):
    load(raw)


@FUZZ
@given(yamlish)
def test_yaml_punctuation(text):
    load(text.encode())


@FUZZ
@given(documents)
def test_any_yaml_document(data):
    load(yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass"))


def _leaves(data, path=()):
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, path + (key,))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, path + (index,))
    yield path


LEAVES = list(_leaves(DATA))


@FUZZ
@given(st.sampled_from(LEAVES), documents)
def test_real_campaign_with_one_value_replaced(path, value):
    data = yaml.safe_load(CAMPAIGN)
    if not path:
        data = value
    else:
        target = data
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
    load(yaml.safe_dump(data, allow_unicode=True).encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.integers(0, len(CAMPAIGN)), st.integers(0, 50), st.text(max_size=30))
def test_real_campaign_with_text_spliced_in(at, cut, text):
    load((CAMPAIGN[:at] + text + CAMPAIGN[at + cut:]).encode("utf-8", "surrogatepass"))


@FUZZ
@given(st.integers(0, len(URDU)), st.integers(0, 50), st.text(max_size=30))
def test_urdu_translation_with_text_spliced_in(at, cut, text):
    load_with_translation((URDU[:at] + text + URDU[at + cut:]).encode("utf-8", "surrogatepass"))


@settings(max_examples=50, deadline=2000)
@given(st.sampled_from([dt.date(2019, 1, 1), 10 ** 40, float("inf"), [], {}, None, True, "x" * 5000]))
def test_odd_scalars_in_every_translation_field(value):
    data = yaml.safe_load(URDU)
    data["strapline"]["lead"] = value
    data["labels"] = value
    load_with_translation(yaml.safe_dump(data, allow_unicode=True).encode())
