"""Every string of the portal has a Simplified Chinese translation, compiled."""

import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.utils import translation

from tests.factories import staff_user

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ["config", "core", "tenants", "operation", "scenarios", "assets", "demo", "templates"]
COMMITTED = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.mark.slow
def test_every_extracted_string_is_translated(tmp_path, settings, monkeypatch):
    # Extract from a copy of the sources, so the committed catalogue is never touched.
    for folder in SOURCES:
        shutil.copytree(ROOT / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.pyc"))
    monkeypatch.chdir(tmp_path)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    call_command("makemessages", locale=["zh_Hans"], verbosity=0)
    extracted = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    committed = {(e.msgctxt, e.msgid): e for e in polib.pofile(str(COMMITTED))}
    missing = [
        e.msgid
        for e in extracted
        if (e.msgctxt, e.msgid) not in committed
        or not (
            committed[(e.msgctxt, e.msgid)].msgstr or committed[(e.msgctxt, e.msgid)].msgstr_plural
        )
        or "fuzzy" in committed[(e.msgctxt, e.msgid)].flags
    ]
    assert missing == []


def test_compiled_translations_are_loaded():
    with translation.override("zh-hans"):
        assert translation.gettext("Admitted") == "已准入"
    with translation.override("en"):
        assert translation.gettext("Admitted") == "Admitted"


@pytest.mark.django_db
def test_form_labels_end_with_the_readers_colon(client, settings):
    client.force_login(staff_user("reader"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    chinese = client.get("/password/").content.decode()
    assert "旧密码：</label>" in chinese and ":</label>" not in chinese
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Old password:</label>" in client.get("/password/").content.decode()
