"""The shipped translations: every public template string is marked for
translation, and every catalogue is complete, compiled and up to date."""

from __future__ import annotations

import gettext
import re
import shutil
import subprocess
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.template.base import Lexer, TokenType

BASE_DIR = Path(settings.BASE_DIR)
SHIPPED = [code for code, _name in settings.LANGUAGES if code != "en"]

# The templates a reporter sees (staff pages are the Django admin, in English).
PUBLIC_TEMPLATES = sorted(
    [
        *BASE_DIR.glob("templates/*.html"),
        *BASE_DIR.glob("templates/includes/*.html"),
        *BASE_DIR.glob("reports/templates/reports/*.html"),
        *BASE_DIR.glob("referrals/templates/referrals/*.html"),
        *BASE_DIR.glob("evidence/templates/evidence/*.html"),
    ]
)
# Visible text that is the same in every language: phone numbers, the
# reference prefix, the hash algorithm.
ALLOWED_TEXT = {"999", "101", "HC", "SHA"}
TRANSLATED_ATTRIBUTES = re.compile(
    r"""\b(?:alt|title|aria-label|placeholder)\s*=\s*["']([^"']*)["']""", re.IGNORECASE
)
WORD = re.compile(r"[^\W\d_]{2,}")
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]")


def _untranslated_text(source: str) -> list[str]:
    """Visible words in a template outside {% translate %} and {% blocktranslate %}."""
    text: list[str] = []
    in_block = in_comment = False
    for token in Lexer(source).tokenize():
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split()[0] if token.contents else ""
            if name in {"blocktranslate", "blocktrans"}:
                in_block = True
            elif name in {"endblocktranslate", "endblocktrans"}:
                in_block = False
            elif name == "comment":
                in_comment = True
            elif name == "endcomment":
                in_comment = False
            # A template tag inside an attribute or between words splits them.
            text.append(" ")
        elif token.token_type == TokenType.TEXT and not (in_block or in_comment):
            text.append(token.contents)
        else:
            text.append(" ")
    html = "".join(text)
    html = re.sub(r"<!--.*?-->", " ", html, flags=re.DOTALL)
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.DOTALL | re.IGNORECASE)
    attributes = [value for value in TRANSLATED_ATTRIBUTES.findall(html) if WORD.search(value)]
    visible = re.sub(r"<[^>]*>", " ", html)
    visible = re.sub(r"&[a-z]+;|&#\d+;", " ", visible)
    words = [word for word in WORD.findall(visible) if word not in ALLOWED_TEXT]
    return words + attributes


def test_the_public_templates_are_found() -> None:
    names = {path.name for path in PUBLIC_TEMPLATES}
    assert {"base.html", "home.html", "step.html", "directory.html", "easy_read.html"} <= names
    assert {"evidence.html", "files.html"} <= names


@pytest.mark.parametrize("path", PUBLIC_TEMPLATES, ids=lambda path: str(path.relative_to(BASE_DIR)))
def test_every_public_template_string_is_marked_for_translation(path: Path) -> None:
    assert _untranslated_text(path.read_text()) == []


def test_the_checker_finds_unmarked_text() -> None:
    source = (
        '{% load i18n %}<p>{% translate "Fine" %}</p><p>Not marked</p>'
        '<img alt="A picture">{% blocktranslate %}Also fine{% endblocktranslate %}'
    )
    assert _untranslated_text(source) == ["Not", "marked", "A picture"]


def _catalogue(language: str) -> polib.POFile:
    return polib.pofile(str(BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", SHIPPED)
def test_every_catalogue_is_complete_with_nothing_fuzzy(language: str) -> None:
    catalogue = _catalogue(language)
    assert len(catalogue) > 100
    assert [entry.msgid for entry in catalogue.untranslated_entries()] == []
    assert [entry.msgid for entry in catalogue.fuzzy_entries()] == []
    assert [entry.msgid for entry in catalogue.obsolete_entries()] == []
    assert not catalogue.metadata_is_fuzzy


@pytest.mark.parametrize("language", SHIPPED)
def test_every_catalogue_says_it_needs_review_by_a_native_speaker(language: str) -> None:
    assert "NEEDS REVIEW BY A NATIVE SPEAKER BEFORE GOING LIVE" in _catalogue(language).header
    assert _catalogue(language).metadata["Language"] == language


@pytest.mark.parametrize("language", SHIPPED)
def test_translations_keep_their_placeholders(language: str) -> None:
    for entry in _catalogue(language):
        expected = sorted(PLACEHOLDER.findall(entry.msgid))
        translations = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        for translation in translations:
            # A plural form may leave out the number ("one service").
            found = sorted(PLACEHOLDER.findall(translation))
            assert set(found) <= set(expected) and (found == expected or entry.msgid_plural), (
                entry.msgid,
                translation,
            )
        links = re.findall(r'href="[^"]*"', entry.msgid)
        assert all(re.findall(r'href="[^"]*"', t) == links for t in translations), entry.msgid


@pytest.mark.parametrize("language", SHIPPED)
def test_the_committed_mo_file_matches_its_po_file(language: str) -> None:
    """The .mo files are committed (a fresh machine has no GNU gettext);
    bin/compilemessages rebuilds them from the .po files."""
    mo_path = BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.mo"
    with mo_path.open("rb") as mo_file:
        compiled = gettext.GNUTranslations(mo_file)
    expected: dict[object, str] = {}
    for entry in _catalogue(language).translated_entries():
        key = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            for index, text in entry.msgstr_plural.items():
                expected[(key, int(index))] = text
        else:
            expected[key] = entry.msgstr
    catalog = {key: value for key, value in compiled._catalog.items() if key != ""}  # type: ignore[attr-defined]
    assert catalog == expected, "run bin/compilemessages"


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext (msgfmt) not installed")
@pytest.mark.parametrize("language", SHIPPED)
def test_every_catalogue_compiles_with_msgfmt(language: str, tmp_path: Path) -> None:
    po_path = BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "--check", "--statistics", "-o", str(tmp_path / "django.mo"), str(po_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "untranslated" not in result.stderr and "fuzzy" not in result.stderr, result.stderr


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) not installed")
def test_the_catalogues_have_every_string_in_the_source(tmp_path: Path) -> None:
    """bin/makemessages in a copy of the source finds no string that the
    shipped catalogues lack: a new string cannot ship untranslated."""
    copy = tmp_path / "src"
    shutil.copytree(
        BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", ".tools", ".git", "data", "node_modules", "*.mo", "__pycache__", ".*cache"
        ),
    )
    (copy / ".venv").symlink_to(BASE_DIR / ".venv")
    result = subprocess.run(
        [str(copy / "bin" / "makemessages")], cwd=copy, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    for language in SHIPPED:
        extracted = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
        missing = [entry.msgid for entry in extracted if not entry.translated()]
        assert missing == [], f"{language}: run bin/makemessages and translate these"
