"""The built-in corpus: Colah's running example, "I grew up in France … I speak fluent French."

Each story opens with the country, continues with a few filler sentences that never name a
country or a language (so the only clue is many characters back), and ends with the language::

    I grew up in Japan. Every summer my uncle took me to the harbour. My neighbour used to say
    "Never trust a quiet cat." (She had three of them.) I speak fluent Japanese.

Fillers contain quoted speech "…" and parenthesised asides (…), sometimes nested, so a trained
network has quotes and brackets to track. :func:`char_signals` gives, per character, whether it
is inside quotes, the bracket depth and the current country: the ground truth for the
gate-analysis exercise. Everything is deterministic given the seed.
"""

from __future__ import annotations

import re

import numpy as np

# (country, language): ten pairs, so a model that ignores the country is right 1 time in 10.
PAIRS: tuple[tuple[str, str], ...] = (
    ("France", "French"),
    ("Germany", "German"),
    ("Spain", "Spanish"),
    ("Italy", "Italian"),
    ("Japan", "Japanese"),
    ("Russia", "Russian"),
    ("Greece", "Greek"),
    ("Poland", "Polish"),
    ("Brazil", "Portuguese"),
    ("Turkey", "Turkish"),
)
COUNTRIES = tuple(c for c, _ in PAIRS)
LANGUAGES = tuple(lang for _, lang in PAIRS)
PAIRS_TEXT = COUNTRIES + LANGUAGES
OPENING = "I grew up in "
CUE = "speak fluent "

_SLOTS: dict[str, tuple[str, ...]] = {
    "rel": ("grandmother", "uncle", "aunt", "father", "mother", "cousin", "brother", "sister"),
    "place": ("harbour", "market", "library", "old mill", "river", "bakery", "station", "hill"),
    "day": ("Sunday", "Monday", "morning", "summer", "winter", "holiday", "evening"),
    "animal": ("dog", "cat", "goat", "parrot", "horse", "rabbit"),
    "name": ("Biscuit", "Pepper", "Moss", "Captain", "Lulu", "Otto", "Pip"),
    "thing": ("kitchen", "garden", "radio", "piano", "bicycle", "stove", "clock", "roof"),
    "colour": ("red", "blue", "green", "yellow", "white", "grey"),
    "saying": (
        "Never trust a quiet cat.",
        "Rain is only water.",
        "Eat first, argue later.",
        "A slow cart still gets home.",
        "Shoes off, please.",
        "Tomorrow is another day.",
        "Look twice, cross once.",
    ),
    "shout": ("Dinner is ready", "Close the door", "Who took my hat", "Come inside now"),
    "num": ("two", "three", "four", "five", "seven"),
}

_FILLERS: tuple[str, ...] = (
    "Every {day} my {rel} took me to the {place}.",
    'My {rel} used to say "{saying}"',
    '"{shout}!" my {rel} would shout from the {thing}.',
    "We lived near the {place} (in the house with the {colour} door).",
    "Our {animal} (we called it {name}) slept next to the {thing}.",
    "I still remember the {thing} (and the {thing} (which never worked)) very well.",
    "School started early, and I was always late.",
    'Our teacher said "{saying}" and nobody laughed.',
    "The {place} was only {num} streets away.",
    "My {rel} kept {num} {animal}s (nobody knew why).",
    'Once a stranger asked "Is this the way to the {place}?" and we all pointed.',
    "In the {day} the {place} smelled of bread.",
    "I learned to ride a bicycle there (badly, at first).",
    "We painted the {thing} {colour} one {day}.",
    'When it snowed my {rel} said "{saying}" and made soup.',
    "The {animal} next door (a very old one) barked at the {thing}.",
)
# Short sentences (10 to 25 characters). Mixed in with the long ones they put every distance
# between the country and the language into the corpus, from 18 characters up: a model first
# learns to carry the country across a short gap and then stretches that to longer ones. With
# long fillers only, the gap jumps from 18 characters (no filler) to 53 or more (one filler),
# and a small LSTM never bridges it (docs/library.md, "Measured: long-range memory").
_SHORT_FILLERS: tuple[str, ...] = (
    "It rained a lot.",
    "We were happy.",
    "Time went by.",
    "Nobody was rich.",
    "The days were long.",
    "I liked it there.",
    "Winters were cold.",
    "We had a {animal}.",
    "The door was {colour}.",
    "My {rel} sang.",
)
_ALL_FILLERS = _FILLERS + _SHORT_FILLERS


def _fill(template: str, rng: np.random.Generator) -> str:
    out = template
    while "{" in out:
        start = out.index("{")
        end = out.index("}", start)
        options = _SLOTS[out[start + 1 : end]]
        out = out[:start] + options[int(rng.integers(len(options)))] + out[end + 1 :]
    return out


def _templates(long_only: bool) -> tuple[str, ...]:
    return _FILLERS if long_only else _ALL_FILLERS


def max_fillers_per_story(long_only: bool = False) -> int:
    """The most filler sentences a story can have (each template is used once per story)."""
    return len(_templates(long_only))


def story(
    country_id: int,
    rng: np.random.Generator,
    min_fillers: int = 1,
    max_fillers: int = 3,
    long_only: bool = False,
) -> str:
    """One story for ``PAIRS[country_id]``, ending with a newline; ``long_only`` draws the
    fillers from the long sentences only (the hardest distances, for evaluation)."""
    country, language = PAIRS[country_id]
    templates = _templates(long_only)
    n = int(rng.integers(min_fillers, max_fillers + 1))
    picks = rng.choice(len(templates), size=n, replace=False)
    sentences = [f"{OPENING}{country}.", *(_fill(templates[k], rng) for k in picks)]
    return " ".join([*sentences, f"I {CUE}{language}.\n"])


def colah_corpus(
    n_stories: int = 600,
    seed: int = 0,
    min_fillers: int = 1,
    max_fillers: int = 3,
    long_only: bool = False,
) -> str:
    """``n_stories`` stories, countries drawn uniformly; the same seed gives the same text.

    Each story has between ``min_fillers`` and ``max_fillers`` filler sentences, long and
    short ones mixed, or long ones only with ``long_only``.
    """
    if n_stories <= 0:
        raise ValueError(f"n_stories must be positive, got {n_stories}")
    if not 0 <= min_fillers <= max_fillers <= max_fillers_per_story(long_only):
        raise ValueError("need 0 <= min_fillers <= max_fillers <= number of filler templates")
    rng = np.random.default_rng(seed)
    countries = rng.integers(len(PAIRS), size=n_stories)
    return "".join(story(int(c), rng, min_fillers, max_fillers, long_only) for c in countries)


def alphabet() -> str:
    """Every character a story can contain, sorted: the built-in corpus's vocabulary,
    whatever the number of stories or the seed."""
    templates = [re.sub(r"\{[a-z]+\}", "", f) for f in _ALL_FILLERS]
    words = [w for options in _SLOTS.values() for w in options]
    return "".join(sorted(set("".join([OPENING, CUE, ".\n ", *PAIRS_TEXT, *templates, *words]))))


def language_positions(text: str) -> list[tuple[int, int]]:
    """Every ``(position, language id)`` where position is the index right after "speak fluent ".

    The language id is the index in :data:`PAIRS` of the word that follows; occurrences followed
    by an unknown word are skipped.
    """
    out = []
    start = text.find(CUE)
    while start != -1:
        pos = start + len(CUE)
        for k, lang in enumerate(LANGUAGES):
            after = text[pos + len(lang) : pos + len(lang) + 1]
            if text.startswith(lang, pos) and not after.isalpha():
                out.append((pos, k))
                break
        start = text.find(CUE, pos)
    return out


def char_signals(text: str) -> dict[str, np.ndarray]:
    """Per-character ground truth, each (len(text),), aligned with "after reading this character".

    * ``inside_quotes``: 1.0 from an opening quote up to (not including) its closing quote.
    * ``bracket_depth``: nesting depth of parentheses after reading the character.
    * ``country``: id in :data:`PAIRS` of the story's country, from the character that completes
      the country name up to the story's closing newline; −1 elsewhere.
    * ``remembered_country``: the same id, but only up to the space after "speak fluent ": the
      stretch where the country has to be remembered to predict the language; −1 elsewhere.
    """
    T = len(text)
    quotes = np.zeros(T)
    depth = np.zeros(T)
    inside, d = False, 0
    for t, ch in enumerate(text):
        if ch == '"':
            inside = not inside
        elif ch == "(":
            d += 1
        elif ch == ")":
            d = max(d - 1, 0)
        quotes[t], depth[t] = inside, d
    country = np.full(T, -1, dtype=np.int64)
    pattern = re.compile(re.escape(OPENING) + "(" + "|".join(map(re.escape, COUNTRIES)) + r")\b")
    for m in pattern.finditer(text):
        end = text.find("\n", m.end())
        end = T if end == -1 else end
        country[m.end() - 1 : end] = COUNTRIES.index(m.group(1))
    remembered = country.copy()
    for pos, _ in language_positions(text):  # from the language word to the story's end
        end = text.find("\n", pos)
        remembered[pos : T if end == -1 else end + 1] = -1
    return {
        "inside_quotes": quotes,
        "bracket_depth": depth,
        "country": country,
        "remembered_country": remembered,
    }
