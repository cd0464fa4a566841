"""The built-in corpus: determinism, story structure, and the per-character signals."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lstm_reference.data.corpus import (
    COUNTRIES,
    LANGUAGES,
    PAIRS,
    alphabet,
    char_signals,
    colah_corpus,
    language_positions,
    max_fillers_per_story,
)

STORY = re.compile(r"I grew up in ([A-Za-z]+)\. (.+) I speak fluent ([A-Za-z]+)\.")


def test_same_seed_same_text_other_seed_other_text() -> None:
    assert colah_corpus(50, seed=3) == colah_corpus(50, seed=3)
    assert colah_corpus(50, seed=3) != colah_corpus(50, seed=4)
    assert colah_corpus(10, seed=3) == colah_corpus(10, seed=3, min_fillers=1, max_fillers=3)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_story_pairs_its_country_with_its_language(seed: int) -> None:
    text = colah_corpus(300, seed=seed)
    stories = text.split("\n")
    assert stories[-1] == "" and len(stories) == 301
    pair = dict(PAIRS)
    seen = set()
    for s in stories[:-1]:
        m = STORY.fullmatch(s)
        assert m, s
        country, middle, language = m.groups()
        assert pair[country] == language
        seen.add(country)
        for name in COUNTRIES + LANGUAGES:  # the only clue is the opening sentence
            assert name not in middle, (name, s)
        assert middle.count('"') % 2 == 0
        depth = 0
        for ch in middle:
            depth += {"(": 1, ")": -1}.get(ch, 0)
            assert depth >= 0
        assert depth == 0
    assert seen == set(COUNTRIES)
    assert 8 <= len(PAIRS) <= 12


def test_corpus_has_quotes_nested_brackets_and_varied_fillers() -> None:
    text = colah_corpus(200, seed=0)
    assert text.count('"') > 50
    assert char_signals(text)["bracket_depth"].max() == 2
    middles = {STORY.fullmatch(s).group(2) for s in text.split("\n")[:-1]}
    assert len(middles) > 150  # not a handful of repeated stories


def test_language_positions_point_right_after_the_cue() -> None:
    text = colah_corpus(40, seed=1)
    found = language_positions(text)
    assert len(found) == 40
    for (pos, lang), story in zip(found, STORY.finditer(text), strict=True):
        assert text[pos - len("speak fluent ") : pos] == "speak fluent "
        assert LANGUAGES[lang] == story.group(3)
        assert pos == story.start(3)
    assert language_positions("I speak fluent Klingon.") == []


def test_char_signals_on_a_hand_written_story() -> None:
    text = 'I grew up in Spain. Mum said "hi (x)" (a (b)). I speak fluent Spanish.\nI'
    s = char_signals(text)
    assert all(v.shape == (len(text),) for v in s.values())
    q = text.index('"')
    q2 = text.index('"', q + 1)
    assert s["inside_quotes"][:q].sum() == 0
    assert s["inside_quotes"][q:q2].all() and s["inside_quotes"][q2] == 0
    inner = text.index("(b)")
    assert s["bracket_depth"][inner] == 2 and s["bracket_depth"][inner - 1] == 1
    assert s["bracket_depth"][text.index("))") + 1] == 0
    end_country = text.index("Spain") + len("Spain") - 1
    spain = COUNTRIES.index("Spain")
    assert (s["country"][:end_country] == -1).all()
    assert (s["country"][end_country : text.index("\n")] == spain).all()
    assert s["country"][-1] == -1  # a new story that has not named its country yet
    language = text.index("Spanish")
    remembered = s["remembered_country"]
    assert (remembered[:end_country] == -1).all()
    assert (remembered[end_country:language] == spain).all()  # up to "speak fluent "
    assert (remembered[language:] == -1).all()  # the language word itself gives it away
    assert s["inside_quotes"].dtype == np.float64


def test_alphabet_is_exactly_the_characters_of_a_large_corpus() -> None:
    assert alphabet() == "".join(sorted(set(colah_corpus(3000, seed=5))))


def _gaps(text: str) -> np.ndarray:
    """Characters between the end of each story's country name and its language."""
    return np.array([s.index(" I speak fluent ") - s.index(".") for s in text.split("\n")[:-1]])


def test_short_fillers_fill_in_the_distances_and_long_only_leaves_them_out() -> None:
    mixed = _gaps(colah_corpus(400, seed=7, min_fillers=1, max_fillers=1))
    long_only = _gaps(colah_corpus(400, seed=7, min_fillers=1, max_fillers=1, long_only=True))
    assert long_only.min() >= 35  # every long filler sentence has 35 characters or more
    assert (mixed < 30).mean() > 0.2  # short ones put small gaps into the training text
    assert mixed.max() > 60 and np.median(long_only) > np.median(mixed)
    text = colah_corpus(200, seed=7, long_only=True)
    assert all(STORY.fullmatch(s) for s in text.split("\n")[:-1])
    assert max_fillers_per_story(long_only=True) < max_fillers_per_story()
    colah_corpus(3, min_fillers=max_fillers_per_story(), max_fillers=max_fillers_per_story())
    with pytest.raises(ValueError):
        n = max_fillers_per_story(long_only=True) + 1
        colah_corpus(3, min_fillers=n, max_fillers=n, long_only=True)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        colah_corpus(0)
    with pytest.raises(ValueError):
        colah_corpus(5, min_fillers=3, max_fillers=1)
