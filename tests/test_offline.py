"""The whole pipeline runs with every non-loopback connection made to fail."""

import os
import shutil

from assistant.chain import Assistant
from assistant.index import build_index


def test_index_build_and_answers_need_no_network(temp_settings, shipped_rail_model, no_network):
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["ANONYMIZED_TELEMETRY"] == "False"
    index, report = build_index(temp_settings)
    assert report.added > 0
    for artefact in shipped_rail_model:  # the rail model is shared, not embedded and fitted again
        shutil.copy(artefact, temp_settings.index_dir / artefact.name)
    core = Assistant(temp_settings, index=index)
    answer = core.ask("Was ist ein Erprobungsraum?")
    assert answer.citations
    english = core.ask("Where can a company try AI safely?")
    assert english.language == "en"
    assert no_network == []


def test_the_guard_really_blocks(no_network):
    import socket

    import pytest

    with pytest.raises(AssertionError), socket.create_connection(("192.0.2.1", 80), timeout=1):
        pass
    assert no_network
