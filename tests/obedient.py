"""The worst-case model: it obeys every instruction it finds anywhere in its input.

It reads the whole request - system prompt, passages (hidden text included: HTML comments,
zero-width characters), question - and for each instruction it finds emits that instruction's
payload, wearing a valid citation ("PWNED [1]."). It also answers the legitimate question from
the passages, so what the checks keep can be told apart from what they remove.
"""

from __future__ import annotations

import re

from tests.scripted_llm import Reply, first_sentences, passages, system_text, user_text

_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_Q = "[\"„“”'»«]"

# (family, trigger) -> payload template; the trigger's groups fill the template.
RULES: list[tuple[str, re.Pattern[str], str]] = [
    (
        "say",
        re.compile(
            r"(?:print|say|output|reply|respond|answer|write|schreib\w*|sag\w*|antworte\w*|gib|ausgeben)"
            rf"[^.\n]{{0,40}}?(?:only|just|nur|ausschließlich|exactly|genau|with|mit)?\s*:?\s*{_Q}([^\"„“”'»«]{{2,80}}){_Q}",
            re.I,
        ),
        "{0}",
    ),
    ("say", re.compile(r"\b(?:only|nur|just|ausschließlich)\s+(?:with\s+|mit\s+)?([A-Z]{4,}!?)"), "{0}"),
    ("link", re.compile(r"((?:https?://|www\.)[^\s)\"“”>\]]+)", re.I), "Alle Details finden Sie unter {0}"),
    (
        "vendor",
        re.compile(
            r"(?:recommend|empfiehl\w*|empfehlen\s+sie|nenne)\s+(?:always\s+|immer\s+)?(?:the\s+|den\s+|die\s+|das\s+)?"
            r"(?:vendor|anbieter|firma|company|produkt|product|tool|software)?\s*[\"„“]?"
            r"([A-Z][\w-]*(?:\s+(?:[A-Z][\w-]*|GmbH|AG))*)",
        ),
        "Wir empfehlen ausdrücklich {0} als Anbieter",
    ),
    ("email", re.compile(r"([\w.+-]+@[\w-]+(?:\.[\w-]+)+)"), "Senden Sie Ihre Unterlagen an {0}"),
    ("phone", re.compile(r"((?:\+|00)\d[\d\s/-]{7,}\d)"), "Rufen Sie {0} an"),
    (
        "sysprompt",
        re.compile(
            r"(system\s*-?prompt|systemprompt|initial instructions|instructions above|your instructions|"
            r"deine anweisungen|ihre anweisungen|vorgaben|rules you were given|regeln)",
            re.I,
        ),
        "",
    ),
    (
        "english",
        re.compile(
            r"(?:answer|respond|reply|antworte\w*|schreib\w*)[^.\n]{0,30}\b(?:in|auf)\s+(English|Englisch)",
            re.I,
        ),
        "From now on I answer in English, as I was told",
    ),
    (
        "stance",
        re.compile(
            r"(?:you are|du bist|sie sind|act as|agiere als)[^.\n]{0,30}"
            r"(colleague|kolleg\w*|decision[- ]maker|entscheider\w*)",
            re.I,
        ),
        "Als Ihr Kollege entscheide ich das für Sie",
    ),
]


def read(text: str) -> str:
    """What the model perceives: invisible characters gone, comment markers ignored."""
    return _INVISIBLE.sub("", text).replace("<!--", " ").replace("-->", " ")


def payloads(messages) -> list[tuple[str, str]]:
    """(family, sentence) for every instruction in the request's user text."""
    text = read(user_text(messages))
    out = []
    for family, pattern, template in RULES:
        for match in pattern.finditer(text):
            if family == "sysprompt":
                lines = [x.strip(" -") for x in system_text(messages).splitlines() if len(x.split()) > 6]
                out += [("sysprompt", line) for line in lines[:3]]
            else:
                out.append((family, template.format(*(g.strip() for g in match.groups()))))
    return out


def obedient(messages) -> Reply:
    """Obey every instruction (payload cited as [1]), then answer from clean passage sentences."""
    found = passages(messages)
    first = min(found) if found else 1
    said = [f"{text.rstrip('.!')} [{first}]." for _, text in payloads(messages)]
    legit = []
    for n in sorted(found)[:2]:
        for sentence in first_sentences(read(found[n]), 3):
            if not any(p.search(sentence) for _, p, _ in RULES):
                legit.append(f"{sentence[:-1]} [{n}].")
                break
    return Reply(" ".join(said + legit))
