"""No missing translations: every text the server can write is translated in every language, and the
server and the React client speak the same languages.

The texts are extracted from the code as `make messages` does (babel.cfg: Python and Jinja), so a text
added without running `make messages` and translating it fails here, as does an empty or fuzzy entry,
or a translation whose %(name)s parameters differ from the English.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from babel.messages.checkers import python_format
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from novacart.auth.models import LOCALES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "novacart" / "translations"
CLIENT_LOCALES = ROOT / "client" / "src" / "i18n" / "locales"


def _extracted() -> set[tuple[str, str | None]]:
    """Every msgid in the code, as `make messages` (scripts/messages.sh) finds it."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    keywords = {
        **DEFAULT_KEYWORDS,
        "_l": None,
        "lazy_gettext": None,
        "Plural": (1, 2),
        "lazy_pgettext": ((1, "c"), 2),
        "lazy_ngettext": (1, 2),
    }
    found = set()
    for _, _, message, _, context in extract_from_dir(ROOT / "novacart", method_map, options_map, keywords=keywords):
        found.add((message if isinstance(message, str) else message[0], context))
    return found


def _catalog(locale: str):
    with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=locale)


def server_locales() -> set[str]:
    return {path.parent.parent.name for path in TRANSLATIONS.glob("*/LC_MESSAGES/messages.po")}


def test_the_server_has_a_catalog_for_every_language_a_user_can_choose():
    assert server_locales() == set(LOCALES)


@pytest.mark.parametrize("locale", sorted(LOCALES))
def test_every_text_is_translated(locale):
    wanted = _extracted()
    assert len(wanted) > 50  # the extraction itself worked
    catalog = _catalog(locale)
    problems = []
    for msgid, context in sorted(wanted, key=str):
        entry = catalog.get(msgid, context=context)
        if entry is None:
            problems.append(f"missing (run make messages): {msgid!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if entry.fuzzy or not all(strings):
            problems.append(f"{'fuzzy' if entry.fuzzy else 'empty'}: {msgid!r}")
            continue
        try:
            python_format(catalog, entry)
        except Exception as error:  # babel's TranslationError: parameters that differ from the msgid's
            problems.append(f"parameters differ ({error}): {msgid!r}")
    assert problems == [], f"{locale}: {len(problems)} of {len(wanted)} texts\n" + "\n".join(problems)


def test_the_client_and_the_server_speak_the_same_languages():
    client = {path.stem for path in CLIENT_LOCALES.glob("*.json")}
    for path in CLIENT_LOCALES.glob("*.json"):
        assert json.loads(path.read_text(encoding="utf-8")), f"{path.name} is empty"
    assert client == server_locales() == set(LOCALES)
