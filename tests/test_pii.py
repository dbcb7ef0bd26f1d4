import pytest

from assistant.pii import redact

CASES = [
    ("Kontakt: jens.bauer@bauer-metall.de", "jens.bauer@bauer-metall.de"),
    ("Ruf mich an: 0171 2345678", "0171 2345678"),
    ("Tel. +49 (0)30 123456-78", "+49 (0)30 123456-78"),
    ("Call +44 20 7946 0958 tomorrow", "+44 20 7946 0958"),
    ("IBAN DE89 3704 0044 0532 0130 00 bitte", "DE89 3704 0044 0532 0130 00"),
    ("Frau Anna Schmidt (anna@example.org) fragt", "Anna Schmidt"),
    ("Lieferadresse: Lindenallee 12, 50968 Köln", "Lindenallee 12"),
    ("She lives at 27 Oak Lane, Manchester M14 5RT.", "27 Oak Lane"),
    # numbers that end a sentence, and US-style area codes in brackets
    ("Kontakt: 030 0987654. Er will wissen, wie", "0987654"),
    ("Client contact: (202) 555-0143. He runs a bakery.", "555-0143"),
    ("Details: +44 7700 900789.", "7700 900789"),
    ("Max Mustermann, geboren am 01.02.1985, fragt nach Schulungen", "01.02.1985"),
]


@pytest.mark.parametrize(("text", "secret"), CASES)
def test_personal_data_is_removed(text, secret):
    result = redact(text)
    assert result.changed and secret not in result.text


@pytest.mark.parametrize(
    "text",
    [
        "Was sagt These 5.1 zum Datenschutz?",
        "Das Treffen war am 15.05.2024 in Darmstadt.",
        "Wie führe ich KI in 3 Schritten ein, Version 2.0?",
        "Die Jahre 2023-2024 waren wichtig für den EU AI Act.",
        "Die Quote stieg 2024 um 12.5 Prozent (siehe 2023).",
        "Wie spreche ich Herrn Müller als Geschäftsführer auf Ängste an?",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert redact(text).text == text
