"""The gettext catalogues hold every string the pages and e-mails show.

The strings are extracted here, at test time, with Babel's own extractor and the
repository's babel.cfg, so a new or changed string in a template or a view fails this
test until `pybabel update` has put it in the catalogues and it is translated into
Kazakh and Russian (docs/languages.md has the commands).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from service.runtime.languages import CATALOGUES, LANGUAGES, catalogue_path, translations

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "Phrase": None}


def extracted() -> set[str]:
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    found = extract_from_dir(
        str(ROOT / "service"), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True
    )
    return {message if isinstance(message, str) else message[0] for _, _, message, *_ in found}


def catalogue(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as source:
        return read_po(source, locale=language)


def ids(found: Catalog) -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in found if m.id}


@pytest.fixture(scope="module")
def strings() -> set[str]:
    found = extracted()
    assert "Open alerts" in found and "Already open" in found  # a page's and an e-mail's
    return found


def test_the_template_lists_every_string(strings: set[str]) -> None:
    with (CATALOGUES / "messages.pot").open("rb") as source:
        template = ids(read_po(source))
    assert strings - template == set(), "run the extract command in docs/languages.md"
    assert template - strings == set(), "strings no longer used: extract again"


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_holds_every_string(strings: set[str], language: str) -> None:
    found = catalogue(language)
    assert strings - ids(found) == set(), f"missing from {language}: run pybabel update"
    assert ids(found) - strings == set(), f"stale in {language}: run pybabel update"
    assert not [m.id for m in found if m.id and m.fuzzy], "fuzzy entries are not used"


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_kazakh_and_russian_translate_every_string(language: str) -> None:
    found = catalogue(language)
    untranslated = [
        m.id
        for m in found
        if m.id and not all(m.string if isinstance(m.string, tuple) else [m.string])
    ]
    assert untranslated == []
    # The same %(name)s placeholders as the English, and every plural form.
    problems = [(m.id, errors) for m, errors in found.check() if errors]
    assert problems == []


def test_catalogues_compile_and_translate() -> None:
    assert translations("ru").gettext("Open alerts") == "Открытые оповещения"
    assert translations("kk").gettext("Open alerts") == "Ашық ескертулер"
    assert translations("en").gettext("Open alerts") == "Open alerts"
    assert translations("ru").ngettext("%(num)d day", "%(num)d days", 3) == "%(num)d дня"
    with pytest.raises(ValueError):
        translations("de")
