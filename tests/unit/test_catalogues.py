"""The three German catalogues are merged into one namespace at runtime.

`BABEL_TRANSLATION_DIRECTORIES` lists translations/, widget/translations/ and
console/translations/; Flask-Babel merges them in that order, so a msgid with two different
German texts silently takes the console's (or the widget's) everywhere, and a msgid left
empty in its own catalogue shows English or another area's text. These tests catch both,
plus a compiled .mo that no longer matches its .po. Which sources feed which catalogue is
read from scripts/i18n, the script that extracts them, so the two cannot drift apart.
"""

import gettext
import re
import shlex
from pathlib import Path

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from app import create_app

ROOT = Path(__file__).resolve().parents[2]


def _areas() -> dict[str, list[str]]:
    """The `refresh <dir> <sources...>` lines of scripts/i18n: catalogue dir → its sources."""
    areas = {}
    for line in (ROOT / "scripts" / "i18n").read_text().splitlines():
        if line.startswith("refresh "):
            directory, *sources = shlex.split(line)[1:]
            areas[directory] = [s for s in sources if (ROOT / s).exists()]
    return areas


AREAS = _areas()


def _po(directory: str):
    with open(ROOT / directory / "de" / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f)


def _key(message):
    """The msgid as the merged .mo catalogue keys it: with its context, and a plural by its
    singular alone (two catalogues' "1 day"/"%(n)s days" and "1 day"/"%(n)s Tage" collide)."""
    if isinstance(message.id, str):
        return message.context, message.id, False
    return message.context, message.id[0], True


def _german(message):
    """The German text, or None where it would not make it into the .mo (empty, fuzzy)."""
    strings = [message.string] if isinstance(message.string, str) else list(message.string)
    if message.fuzzy or not all(strings):
        return None
    return message.string if isinstance(message.string, str) else tuple(message.string)


def test_the_catalogues_are_the_ones_the_app_merges():
    directories = create_app({"TESTING": True}).config["BABEL_TRANSLATION_DIRECTORIES"]
    assert directories.split(";") == list(AREAS)


def test_no_msgid_has_two_german_texts():
    seen: dict = {}
    for directory in AREAS:
        for message in _po(directory):
            if message.id:
                seen.setdefault(_key(message), {})[directory] = _german(message)
    collisions = {
        key: texts
        for key, texts in seen.items()
        if len({t for t in texts.values() if t is not None}) > 1
    }
    assert collisions == {}


@pytest.mark.parametrize("directory", list(AREAS))
def test_every_entry_is_translated(directory):
    """Also covers the English messages core raises, which only the catalogue lists."""
    untranslated = [message.id for message in _po(directory) if message.id and not _german(message)]
    assert untranslated == []


@pytest.mark.parametrize("directory", list(AREAS))
def test_every_msgid_of_the_sources_is_in_their_catalogue(directory, tmp_path):
    pot = tmp_path / "messages.pot"
    CommandLineInterface().run(
        ["pybabel", "-q", "extract", "--no-location", "-F", str(ROOT / "babel.cfg")]
        + ["-k", "_l", "-k", "lazy_gettext", "-o", str(pot)]
        + [str(ROOT / source) for source in AREAS[directory]]
    )
    with open(pot, "rb") as f:
        used = [message for message in read_po(f) if message.id]
    assert used, f"nothing extracted for {directory}"
    catalogue = {_key(message): message for message in _po(directory) if message.id}
    missing = [
        message.id
        for message in used
        if _key(message) not in catalogue or not _german(catalogue[_key(message)])
    ]
    assert missing == []


@pytest.mark.parametrize("directory", list(AREAS))
def test_the_compiled_catalogue_matches_its_po(directory):
    """A .po edited without `pybabel compile` changes nothing at runtime."""
    expected = {}
    for message in _po(directory):
        german = _german(message)
        if not message.id or german is None:
            continue
        prefix = f"{message.context}\x04" if message.context else ""
        if isinstance(german, str):
            expected[prefix + message.id] = german
        else:
            singular = prefix + message.id[0]
            expected.update({(singular, i): text for i, text in enumerate(german)})
    with open(ROOT / directory / "de" / "LC_MESSAGES" / "messages.mo", "rb") as f:
        compiled = gettext.GNUTranslations(f)._catalog
    compiled = {key: text for key, text in compiled.items() if key != ""}
    assert compiled == expected, f"run .venv/bin/pybabel compile -d {directory}"


def test_placeholders_and_plural_forms_agree():
    problems = []
    for directory in AREAS:
        catalogue = _po(directory)
        problems += [(directory, m.id, errors) for m, errors in catalogue.check()]
        assert re.fullmatch(r"nplurals=2; plural=\(n != 1\);?", catalogue.plural_forms)
    assert problems == []
