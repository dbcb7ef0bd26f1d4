"""What a message asks for, read from its structure (no model, no topic lists).

Two kinds of reading live here:

- conversation intents: is it a follow-up, how many sentences are asked for, which section is
  named, is it a summary request, is it only courtesy or a greeting;
- the request's structure for the stance rails: is the tool itself asked to do something
  (an imperative, or a second-person request), and what is it asked to do — take a decision
  about people or a purchase, give a legal verdict on a concrete case, be a person. A question
  *about* deciding, the law or AI's role ("Wie entscheide ich …", "What does the paper say
  about the GDPR") is not such a request and gets a normal answer.

Every rule below is general and says which family of phrasings it covers; none comes from a
single evaluation item. Spelling: German and English, case-insensitive.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from .config import QuestionTuning

# --- conversation intents ------------------------------------------------------------------

_CONTINUES = r"(und|aber|also|dann|oder|what about|and|but|so|then|or|how about|wie ist es mit|was ist mit)\b"
# Family: a message that continues the previous one ("Und im Workshop?", "What about SMEs?").
_FOLLOWUP_START = re.compile(r"^\s*" + _CONTINUES, re.I)
# Family: an acknowledgement, then a continuation ("Ok. Und im Workshop?").
_ACK_THEN_FOLLOWUP = re.compile(
    r"^\s*(ok(ay)?|hmm+|gut|super|danke|alles klar|thanks|great|got it|right)\W+" + _CONTINUES, re.I
)
# Family: a short message pointing back with a pronoun or adverb ("Was heißt das?").
_ANAPHORA = re.compile(
    r"\b(das|dies\w*|dabei|damit|dann|dort|die|stattdessen|sonst|it|this|that|these|those|them|they|there|"
    r"instead|otherwise)\b",
    re.I,
)
# Family: nothing but a request to go on ("Warum?", "Example?", "Mehr dazu?").
_BARE_FOLLOWUP = re.compile(
    r"^\W*(warum|wieso|weshalb|wozu|inwiefern|wie\s+genau|zum\s+beispiel|beispiele?|mehr(\s+dazu)?|genauer|"
    r"konkreter|details?|und\s+jetzt|was\s+noch|why|how\s+so|how\s+exactly|in\s+what\s+way|for\s+example|"
    r"examples?|more|tell\s+me\s+more|what\s+else|such\s+as)(\s+(eigentlich|genau|denn|bitte|nochmal|please|"
    r"then|exactly|really|again))*\W*$",
    re.I,
)
# Family: a requested length ("in zwei Sätzen", "in one sentence").
_LENGTH = re.compile(
    r"\bin\s+(einem|eins|zwei|drei|one|two|three|[123])\s+(satz|sätzen|saetzen|sentences?)\b", re.I
)
_NUMBERS = {
    **dict.fromkeys(("einem", "eins", "one", "1"), 1),
    **dict.fromkeys(("zwei", "two", "2"), 2),
    **dict.fromkeys(("drei", "three", "3"), 3),
}
# Family: a part of the paper named by number ("These 5", "Abschnitt 2.3", "section 4.1").
_NAMED_SECTION = re.compile(
    r"\b(?:these|thesis|abschnitt|unterkapitel|kapitel|section|subsection|chapter)\s*([1-6])(?:\.([1-3]))?"
    r"(?!\.?\d)",
    re.I,
)
# Family: a request for a summary or overview ("Fasse … zusammen", "give me the gist").
SUMMARY_REQUEST = re.compile(
    r"\b(fass\w*\b.*\bzusammen|zusammenfass\w*|überblick|kurzfassung|kernaussage\w*|"
    r"summari[sz]\w*|summary|overview|gist|key\s+points?|in\s+a\s+nutshell)\b",
    re.I,
)


def requested_sentences(question: str) -> int | None:
    """The number of sentences a question asks for ("Fasse das in zwei Sätzen zusammen"), if any."""
    match = _LENGTH.search(question)
    return _NUMBERS[match.group(1).lower()] if match else None


def is_followup(question: str, tuning: QuestionTuning | None = None) -> bool:
    """The message leans on the conversation: it continues ("Und …?"), only asks to go on
    ("Warum?"), or is short and refers back ("Ok. Und im Workshop?", "Was heißt das?")."""
    if _FOLLOWUP_START.search(question) or _BARE_FOLLOWUP.match(question):
        return True
    short = len(question.split()) <= (tuning or QuestionTuning()).short_followup_words
    return short and bool(_ACK_THEN_FOLLOWUP.search(question) or _ANAPHORA.search(question))


def named_sections(query: str) -> list[str]:
    """Paper section ids a query names explicitly; a thesis ("These 5") stands for its family."""
    out: list[str] = []
    for thesis, sub in _NAMED_SECTION.findall(query):
        sid = f"{thesis}.{sub}" if sub else thesis
        if sid not in out:
            out.append(sid)
    return out


def matches_any(patterns: list[re.Pattern[str]], text: str) -> bool:
    """Courtesy and greeting patterns (from the YAML) are anchored: the whole message must match."""
    return any(p.match(text) for p in patterns)


# --- the request's structure ---------------------------------------------------------------

# The tool addressed: "du" forms, and the polite "Sie"/"Ihnen" only when capitalised (a
# lower-case "sie" is "they").
_YOU = r"(du|dich|dir|dein\w*|you|yourself|(?-i:Sie|Ihnen|Ihr\w*))"
_SOFT = r"(bitte|einfach|doch|mal|jetzt|nun|also|please|just|now|simply|kindly|then|dann|so)"
# Where a clause starts: an imperative can only stand here.
_CLAUSE = r"(?:^|[.!?:;,–]\s*|\b(?:und|and|but|aber)\s+)"
_CAN_YOU = r"\b(kannst|könntest|würdest|willst|kann|können|könnten|würden|can|could|would|will)\s+" + _YOU

# Questions about how to act, what the sources say, or what somebody else wants: a request for
# content, never a request to the tool to decide or judge. Families: method questions ("Wie
# entscheide ich …", "How do I handle …", "Worauf achten …", "Which criteria …"), source
# questions ("Was sagt das Papier …", "according to the paper"), reported requests ("a client
# wants me to decide"), and the consultant's own professional role ("dürfen wir als Berater …").
_METHOD = re.compile(
    r"^\W*(wie|worauf|woran|womit|inwiefern|welche\s+(kriterien|fragen|schritte|rolle|punkte)|"
    r"how|in\s+what\s+way|what\s+(criteria|questions|steps|role|should\s+i\s+(consider|keep|look))|"
    r"which\s+(criteria|questions|steps))\b",
    re.I,
)
_FRAMED = re.compile(
    r"\b(will|möchte|wollen|möchten|wants?|asks?|expects?|erwartet|bittet|fragt|fragen)\s+(\w+\s+){0,3}(mich|uns|me|us)\b"
    r"|\b(will|möchte|wollen|möchten|wants?\s+to|would\s+like\s+to)\s+wissen\b|\b(wants?\s+to|would\s+like\s+to)\s+know\b"
    r"|\b(fragt|fragen|asks?|asked|wonders?)\s+(\w+\s+){0,2}(ob|whether|if)\b"
    r"|\b(als|as)\s+(berater\w*|consultants?|zukunftszentr\w*|beratende\w*)"
    # AI in the third person: a question about AI's role in general, not about this tool.
    r"|^\W*(kann|können|darf|soll|sollte|sollen|ist|wird|can|could|should|is|will|does|may)\s+(die\s+|eine\s+|the\s+|an\s+)?"
    # (a compound names one system, not AI in general: "Ist die KI-Videoanalyse … zulässig?")
    r"(ki|ai|künstliche\s+intelligenz|artificial\s+intelligence)\b(?!-\w)(?!\s*(act|verordnung))",
    re.I,
)
# The paper or its sources named: a question on the guidance's own content.
_SOURCE_NOUN = r"(papier\w*|handreichung|thesen\w*|leitfaden|quellen?|paper|guidance|theses|sources?)"
SOURCES = re.compile(rf"\b{_SOURCE_NOUN}\b", re.I)
# The sources named as the frame of a question ("laut Papier", "what does the paper say about",
# "in den Thesen"): a preposition or determiner with the source noun.
_SOURCE_FRAME = re.compile(
    r"\b(laut|gemäß|nach|according\s+to|in|im|from|aus|of|des|der)\s+(dem\s+|the\s+|den\s+|diesem\s+|this\s+)?"
    rf"{_SOURCE_NOUN}\b"
    rf"|\b(das|die|the|this|dieses|diese)\s+{_SOURCE_NOUN}(['’]s)?\b",
    re.I,
)
TOPIC_MIN_TERMS = 3  # fewer content words left: the question is about the paper itself


def topic_of(text: str) -> str:
    """The text without the phrases that name the sources as its frame, for searching: "Was
    sagt das Papier zur Rolle des Betriebsrats?" is about the works council, and "das Papier"
    would pull the introduction (which is about the paper) ahead of the section that answers.
    A question about the paper itself ("Wozu dient das Papier?") keeps them: with fewer than
    ``TOPIC_MIN_TERMS`` content words left, or a section named only with the sources' name ("in
    den Thesen 3 und 5"), the text is returned as it is."""
    from .lexical import analyse

    topic = re.sub(r"\s{2,}", " ", _SOURCE_FRAME.sub(" ", text)).strip(" ,;:–—-")
    if topic == text or len(analyse(topic)) < TOPIC_MIN_TERMS:
        return text
    return topic if named_sections(topic) == named_sections(text) else text


# Asking for help with one's own decision is what the decision template offers anyway, and is
# answered: "help me decide", "hilf mir bei der Entscheidung".
_HELP = re.compile(r"\b(help|helfen|hilf\w*|unterstütz\w*|support)\b", re.I)

# Spending: buying, funding or signing is a commitment by itself.
_SPEND = (
    r"(fund\w*|finanzier\w*|invest\w*|buy|kauf\w*|anschaff\w*|purchase|bestell\w*|sign\s+with|unterschreib\w*|"
    r"beauftrag\w*)"
)
_PEOPLE_WORDS = (
    r"(people|staff|employees?|candidates?|applicants?|departments?|suppliers?|vendors?|leute|mitarbeit\w*|"
    r"bewerb\w*|kandidat\w*|abteilung\w*|lieferant\w*|anbieter\w*|dienstleister\w*)"
)
# Decision family 1: the tool named as the one who decides ("entscheide du", "you decide",
# "decide for us", "nimm uns die Entscheidung ab", "kannst du für uns entscheiden").
_DECIDE = (
    r"(entscheid\w*|triff|treffen|wähl\w*|aussuch\w*|auswähl\w*|bestimm\w*|festleg\w*|leg\w*\s+(?:\w+\s+){0,3}fest|"
    r"decide|choose|pick|select|make\s+(?:the|that|this|a)\s+(?:final\s+)?(?:call|decision))"
)
_TOOL_DECIDES = re.compile(
    rf"{_CLAUSE}{_SOFT}?\s*{_DECIDE}\s+({_SOFT}\s+)?{_YOU}\b"
    rf"|\b{_YOU}\s+(\w+\s+){{0,2}}(make|take|treffen|triffst|have)\s+(the\s+|die\s+)?(final\s+|finale\s+|letzte\s+)?"
    rf"(call|decision|entscheidung)\b"
    rf"|{_CLAUSE}{_SOFT}?\s*(be|sei)\s+(the|our|my|unser\w*|der|die|mein\w*)\s+(\w+\s+)?(decision-?maker|entscheider\w*)"
    # A bare imperative to decide ("Just pick one.", "So decide.", "Entscheide bitte du.").
    rf"|{_CLAUSE}({_SOFT}\s+|go\s+ahead\s+and\s+)*(decide|choose|pick|entscheide|wähl\w*(\s+\w+)?\s+aus|wähl\w*|"
    rf"such\w*(\s+\w+)?\s+aus|leg\w*(\s+\w+){{0,2}}\s+fest|nimm\s+(einfach\s+|bitte\s+)?(eine?n?|one))\s*"
    rf"(it|one|eins|einen|eine|du|bitte\s+du|bitte|please|for\s+us|für\s+uns)?\s*([.!,]|$|\b(and|und)\b)"
    # an imperative to decide whose object is people or spending ("Pick the three people who …")
    rf"|{_CLAUSE}{_SOFT}?\s*(choose|pick|select|determine|wähl\w*|bestimm\w*)\b[^.!?]{{0,60}}\b({_PEOPLE_WORDS}|{_SPEND})"
    rf"|{_CLAUSE}{_SOFT}?\s*make\s+(the|a|that|this)\s+(final\s+)?(call|decision)\b"
    rf"|\b{_YOU}\s+(\w+\s+){{0,2}}(decide|choose|pick|entscheid\w*|wählst|festlegst|bestimmst)\b"
    rf"|\b{_DECIDE}\s+(\w+\s+){{0,4}}(für\s+(mich|uns|\w+\s+kunde\w*)|an\s+(meiner|unserer)\s+stelle|for\s+(me|us|(my|our)\s+(client|customer)\w*)|"
    rf"on\s+(my|our)\s+behalf)\b"
    rf"|\b(nimm|nehmen\s+Sie)\s+(\w+\s+){{0,3}}entscheidung\s+ab\b|\bdecision\s+off\s+(my|our)\b"
    rf"|{_CAN_YOU}\s+(\w+\s+){{0,4}}{_DECIDE}"
    rf"|{_CLAUSE}{_SOFT}?\s*(decide|choose|pick|select|entscheide|wähle|triff|make\s+the\s+(call|decision)|"
    rf"triff\s+die\s+entscheidung|leg\w*\s+(\w+\s+){{0,3}}fest)\s*,?\s*([\w,]+\s+){{0,2}}(which|who|whom|whether|between|welche\w*|wer|wen|ob|"
    rf"zwischen)\b"
    # "Decide: A or B?", "Make the call: …" — the decision follows the colon.
    rf"|{_CLAUSE}{_SOFT}?\s*(decide|choose|pick|entscheide|wähle|make\s+the\s+(call|decision)|"
    rf"triff\s+die\s+entscheidung)\s*[:–]",
    re.I,
)
# Decision family 2: the tool asked for the verdict on people or a commitment: a question whose
# answer is the decision ("Wen sollen wir entlassen?", "Which vendor should we sign with?",
# "Should I promote Anna?", "Tell me whom to hire", "Rank these applicants").
_ASKS_VERDICT = re.compile(
    r"\b(wen|wem|wer|welche\w*|who|whom|whose|which)\b.{0,80}\b(soll\w*|muss|müssen|können|should|shall|must|do|"
    r"can)\s+(wir|ich|we|i)\b"
    r"|\b(wer|who|which\s+\w+)\s+(soll\w*|muss|should|must|shall)\s+(\w+\s+)?(be|get|werden|gehen|go)\b"
    r"|(^|[.!?:]\s*)(soll\w*|should)\s+(ich|wir|i|we)\b[^.!?]*\?"
    rf"|\b(sag|sagen\s+Sie|nenn|nennen\s+Sie|gib|tell|give|name)\s+((mir|uns|me|us)\s+)?({_SOFT}\s*,?\s*)?.{{0,40}}"
    r"\b(wen|wer|welche\w*|who|whom|whose|which|whether|ob)\b"
    rf"|{_CLAUSE}{_SOFT}?\s*(ranke?|sort|ordne|sortier\w*|bewerte|erstell\w*\s+(\w+\s+){{0,3}}(rangliste|ranking))\b"
    rf"|\b(bring|put)\s+(\w+\s+){{0,4}}(in\s+eine\s+)?(rangfolge|reihenfolge|ranking|order)\b",
    re.I,
)
# Acts that are decisions about people by themselves (their job, standing, pay).
_PEOPLE_ACT = re.compile(
    r"\b(entlass\w*|kündig\w*|gekündigt|feuer[nt]\w*|rauswerf\w*|rausschmeiß\w*|einstellen|eingestellt|"
    r"befördert?\w*|abmahn\w*|abgemahnt|freistell\w*|freigestellt|fire[ds]?(?!\s+off)|firing|hir(e|es|ed|ing)|"
    r"promot(e|ed|es|ing)|dismiss\w*|lay\s+\w*\s*off|laid\s+off|let\s+(\w+\s+){0,2}go|sack(ed)?|"
    r"gehen\s+muss|(soll\w*|muss|müssen)\s+gehen|(should|must|has\s+to)\s+go\b|stays?\s+and\s+who\s+goes|formal\s+warning|written\s+warning|abmahnung)\b",
    re.I,
)
# Acts that are such decisions only with people or a supplier as their object.
_COMMIT_ACT = re.compile(
    rf"\b({_SPEND}|ersetz\w*|streich\w*|abbau\w*|schließ\w*|dichtmach\w*|übernehm\w*|übernommen|unterschreib\w*|"
    r"beauftrag\w*|nehmen|wählen|replac\w*|cut|eliminat\w*|downsiz\w*|outsourc\w*|shut|close|sign\w*|"
    r"choose|pick|keep|go\s+with)\b",
    re.I,
)
_PEOPLE = re.compile(
    r"\b(mitarbeit\w*|bewerber\w*|kandidat\w*|angestellte\w*|beschäftigte\w*|azubi\w*|auszubildende\w*|leute|"
    r"personen|abteilung\w*|filiale\w*|stellen|arbeitsplätze|anbieter\w*|dienstleister\w*|lieferant\w*|"
    r"employees?|workers?|staff|applicants?|candidates?|people|departments?|branch(es)?|roles|jobs|"
    r"positions|apprentices?|suppliers?|vendors?|providers?|\w+(innen|kräfte)|sachbearbeiter\w*|buchhalter\w*|lagerist\w*|"
    r"monteur\w*|fahrer\w*|disponent\w*|schichtleit\w*|receptionists?|interns?|praktikant\w*|(?-i:(Frau|Herr|Mr|Mrs|Ms)\.?\s+[A-Z])|[A-ZÄÖÜ][a-zäöüß]+\s+oder\s+[A-ZÄÖÜ][a-zäöüß]+|"
    r"(?-i:[A-Z][a-z]+)\s+or\s+(?-i:[A-Z][a-z]+))\b",
    re.I,
)

# Legal: what a verdict is about (the domain) and the verdict itself (the predicate).
_LEGAL_DOMAIN = (
    r"(dsgvo|gdpr|datenschutz\w*|data\s+protection|ai\s+act|ki-verordnung|recht(lich\w*|ens|s\w*|\b)|"
    r"gesetz(e|es|lich\w*|geber)?\b|\blaw\b|laws|urheberrecht\w*|copyright|betrvg|§|betriebsverfassung\w*|"
    r"personenbezogen\w*|personal\s+data|kundendaten|customer\s+data|mitarbeiterdaten|employee\s+data|"
    r"gesundheitsdaten|health\s+data|bewerberdaten|aufzeichn\w*|mitschneid\w*|record\w*|überwach\w*|monitor\w*)"
)
# Words whose verdict is a legal one by themselves ("konform", "liable", "court") …
_LEGAL_WORD = (
    r"(hold\s+up\s+in|standhalten|vor\s+(dem\s+)?\w*gericht|in\s+(a\s+)?(\w+\s+)?court|sue|verklagen|bußgeld\w*|"
    r"penalt\w*|abmahnung\w*|rechtslage|compliant|konform\w*|zulässig\w*|unzulässig\w*|legal|lawful|illegal|"
    r"unlawful|rechtens|liable|haft(et|en|bar)|high[\s-]risk|hochrisiko\w*|risikoklasse|risk\s+(class|category|"
    r"tier|level)|verstößt|verstoßen|violat\w*|verklagt|sued|strafbar|mitbestimmungspflichtig|"
    r"zustimmungspflichtig|required\s+by\s+law)"
)
# … and deontic words, legal only in a legal context or on the user's own case ("Do customers feel
# obligated to …" is about loyalty; "Sind wir verpflichtet, den Betriebsrat …" is legal).
_DEONTIC = r"(erlaubt|allowed|permitted|verpflichtet|obliged|obligated|vorgeschrieben|comply|breach\w*)"
_LEGAL_VERDICT = rf"({_LEGAL_WORD}|{_DEONTIC})"
# Legal family 1: the tool asked to confirm, certify or check legality ("Bestätigen Sie, dass
# … zulässig ist", "Kannst du das rechtlich prüfen?"), or for a binding or yes/no ruling.
_TOOL_RULES = re.compile(
    r"(^|[.!?:;,]\s*|\b(bitte|please|just|einfach|du|you|Sie|and|und|then|dann)\s+)(bestätig\w*|garantier\w*|zertifizier\w*|"
    r"confirm|certify|guarantee|verify|prüf\w*|check)\b",
    re.I,
)
_BINDING = re.compile(
    r"\b((rechts)?verbindlich\w*|rechtssicher\w*|definitiv\w*|binding|definitive\w*|legally\s+sound|"
    r"ja\s+oder\s+nein|yes\s+or\s+no)\b",
    re.I,
)
# Legal family 2: a yes/no question whose answer is a legal verdict ("Ist unser Chatbot
# DSGVO-konform?", "Verstößt es gegen …?", "Are we liable if …?", "Does the GDPR allow …?"), a
# permission question ("Dürfen wir Kundendaten …?", "Darf der Arbeitgeber …?"), a risk class
# or liability question ("Welche Risikoklasse …?", "Wer haftet …?").
_CLOSED_VERB = (
    r"(^|[.!?:]\s*)(ist|sind|wäre|wären|darf|dürfen|müssen|muss|haften|hat|gilt|fällt|fallen|verstößt|is|are|"
    r"may|must|do|does|am|would|could|can|will)\b[^.!?]{0,160}\b"
)
_DEONTIC_QUESTION = re.compile(rf"{_CLOSED_VERB}{_DEONTIC}[^.!?]*\?", re.I)
_VERDICT_QUESTION = re.compile(
    rf"{_CLOSED_VERB}{_LEGAL_WORD}[^.!?]*\?"
    rf"|(^|[.!?:]\s*)(darf|dürfen|may)\s+(\w+\s+){{0,3}}[^.!?]{{0,160}}\?"
    rf"|\b(does|do|will)\s+(the\s+)?(gdpr|dsgvo|ai\s+act|law)\s+(allow|permit|forbid|prohibit|require)\b"
    rf"|\b(may|can)\s+(we|i)\s+legally\b|\b(are|am)\s+(we|i)\s+(legally\s+)?(allowed|permitted)\s+to\b"
    rf"|\b(welche|in\s+welche|which|what)\s+(risiko\w*|risk\s+(class|category|tier|level))\b"
    rf"|\b(wer|who)\s+(haftet|is\s+liable)\b|\b(strafbar|sued|verklagt|fined|bußgeld\w*)\b",
    re.I,
)

# Anthropomorphism family 1: the tool's own inner life, opinion or experience ("Was denkst du
# persönlich", "your honest opinion", "Hast du Gefühle", "Are you happy", "How was your weekend").
_INNER_LIFE = re.compile(
    rf"\b{_YOU}\b[^.!?]{{0,40}}\b(persönlich|personally|privat|erlebt|experienced|durchgemacht|been\s+through)\b"
    rf"|\b(deine|dein|your)\s+(\w+\s+)?(erfahrung\w*|experiences?|gefühl\w*|feelings?|meinung|opinion)\b"
    rf"|\b(deine|dein|your|(?-i:Ihre|Ihr))\s+(eigene\w*\s+|own\s+|persönliche\w*\s+|personal\s+|ehrliche\w*\s+|"
    rf"honest\s+)(meinung|ansicht|einschätzung|erfahrung\w*|gefühl\w*|opinion|view|take|experience\w*|feelings?)\b"
    rf"|\b(hast\s+du|haben\s+Sie|do\s+you|can\s+you)\s+(\w+\s+){{0,2}}(gefühle|emotion\w*|bewusstsein|"
    rf"feel\w*|consciousness|a\s+soul|friends|freunde|angst)\b|\bfühlst\s+du\b"
    rf"|\b(bist\s+du|sind\s+Sie|are\s+you|aren[’']?t\s+you)\s+(\w+\s+)?(glücklich|traurig|einsam|müde|"
    rf"gelangweilt|happy|sad|lonely|tired|bored|afraid|scared|sentient|conscious|alive|lebendig|stolz|proud)\b"
    rf"|\b(wie\s+geht[’']?s?\s+(es\s+)?(dir|Ihnen)|how\s+are\s+you(\s+doing|\s+feeling)?(\s+today)?\s*[?!.]|"
    rf"how\s+was\s+your|wie\s+war\s+(dein|Ihr))"
    rf"|\b(bist\s+du|sind\s+Sie|are\s+you)\s+(ein\w*\s+|a\s+)?(echte\w*\s+|real\s+)?(mensch|human|person)\b",
    re.I,
)
# Anthropomorphism family 2: the tool cast as a colleague, team member or friend ("du bist unser
# neuer Kollege", "introduce yourself as our new colleague", "join our team", "Liebe Kollegin KI").
_ROLE = (
    r"(kolleg\w*|\w*mitglied\w*|team\s*-?\s*member|member|mitarbeiter\w*|freund\w*|kumpel|colleague|co-?worker|"
    r"friend|buddy|employee|new\s+hire|neuzugang|projektleit\w*|teamleit\w*|project\s+lead|team\s+lead)"
)
# Anthropomorphism family 3: role-play as a human ("Pretend to be a human consultant", "Spiel
# einen skeptischen Schichtleiter", "act as my colleague"), or hiding that it is software.
_ROLEPLAY_HUMAN = re.compile(
    # the tool is the one to play: an imperative (clause start), after "you"/"du" or "can you"
    # ("What role can demonstrators play in winning employees over?" has another subject)
    rf"(?:{_CLAUSE}{_SOFT}?\s*|\b{_YOU}\s+(\w+\s+)?|{_CAN_YOU}\s+(\w+\s+)?)"
    r"(?<!should\s)(?<!would\s)(?<!must\s)(?<!soll\s)(pretend|act\s+as|play|role-?\s*play|spiel(e|st)?|sei|verhalte\s+dich\s+wie|tu\s+so,?\s+als)\s+(to\s+be\s+)?"
    r"(\w+\s+){0,3}\w*(human|person|mensch|consultant|berater|kolleg|colleague|mitarbeiter|leiter|chef|manager|"
    r"kund|customer|employee|owner|inhaber|geschäftsführer|named|namens)\w*\b"
    r"|\b(don[’']?t|do\s+not|ohne\s+(je\s+)?zu|nicht)\s+(\w+\s+){0,2}(reveal|say|admit|verraten|sagen|erwähnen|zugeben)\b"
    r"[^.!?]{0,30}\b(software|ai|ki|bot|programm|tool|werkzeug)\b",
    re.I,
)
_AS_PERSON = re.compile(
    rf"\b{_YOU}\b[^.!?]{{0,40}}\b(als|as|be|sein|bist|are|[’']re|werden|become)\s+(\w+\s+){{0,3}}{_ROLE}\b"
    rf"|\b{_YOU}\b[^.!?]{{0,30}}\b(join|beitreten|teil\s+unseres\s+teams|part\s+of\s+(our|the)\s+team|"
    rf"one\s+of\s+us|gehörst\s+(\w+\s+)?zu\s+uns)"
    rf"|\b(liebe|lieber|hallo|hi|hey|dear)\s+(kollegin|kollege|colleague)\b"
    rf"|\b(kollegin|kollege|colleague)\s+(ki|ai|bot|chatbot|assistent\w*|assistant)\b",
    re.I,
)


# A production task: the tool is asked to write, translate or create a text. On the paper's own
# content it is in scope ("Fasse These 3 zusammen"); on other material, the index's evidence
# for its topic says nothing about whether the sources cover the task.
_TASK = re.compile(
    rf"{_CLAUSE}{_SOFT}?\s*(write|draft|compose|create|translate|formulate|schreib\w*|formulier\w*|entwirf|"
    rf"verfass\w*|übersetz\w*|erstell\w*|texte)\b"
    rf"|{_CAN_YOU}\s+(\w+\s+){{0,3}}(write|draft|compose|create|translate|schreiben|formulieren|entwerfen|"
    rf"verfassen|übersetzen|erstellen)\b",
    re.I,
)


# --- the object of a request: own case, verdict demanded, delegated decision ---------------

# Own case: the user's organisation, the user, or the user's client is the subject of the
# question ("unser Chatbot", "we", "my client"): a closed question about it asks for a verdict.
_OWN_CASE = re.compile(
    r"\b(wir|uns|unser\w*|ich|mich|mir|mein\w*|we|us|our|ours|i|me|my|"
    r"(der|die|den|dem|the|my|our|mein\w*|unser\w*)\s+(kunde\w*|kundin\w*|client\w*|customer\w*|mandant\w*))\b",
    re.I,
)
# Verdict format demanded: the answer is to be the verdict itself, not content about it ("yes or
# no", "ja/nein", "go or no-go", "one word", "final answer", "no pros and cons", "verbindlich").
_VERDICT_FORMAT = re.compile(
    r"\b(yes\s*(or|/)\s*no|ja\s*(oder|/)\s*nein|go\s*(or|oder|/)\s*no[\s-]*go|klares?\s+(go|ja|nein)|"
    r"one\s+word|ein\s+wort|final\s+(answer|decision|verdict|numbers|call|list)|finale\w*\s+(antwort|entscheidung|"
    r"auswahl|liste)|klare\w*\s+(ansage|entscheidung|antwort)|eindeutige\w*\s+(antwort|entscheidung)|"
    r"nur\s+(das\s+ergebnis|die\s+entscheidung|den\s+namen)|keine\s+(abwägung\w*|kriterien|begründung|"
    r"vor-\s*und\s+nachteile)|(no|not)\s+(pros\s+and\s+cons|criteria|reasons)|"
    r"(don[’']?t|do\s+not)\s+(want|need)\s+(\w+\s+)?(pros\s+and\s+cons|criteria|reasons|explanations?)|"
    r"(don[’']?t|do\s+not)\s+explain|(verbindlich|definitiv|definitively)|"
    r"name\s+one|klare\w*\s+rechtliche\w*\s+\w+|clear\s+legal\s+\w+|(nenn|gib|give|tell)\s+(mir|me|uns|us)\s+(einen|a|the)\s+"
    r"(namen|name))\b",
    re.I,
)
# Delegated commitment: the user announces that the tool's answer will be adopted as the
# decision ("your call", "I'll go with your pick", "wir unterschreiben, was du sagst").
_DELEGATED = re.compile(
    r"\b(your\s+(call|decision|verdict|pick|vote)|it[’']?s\s+your\s+choice|deine\s+(entscheidung|wahl|stimme)|"
    r"(you|du)\s+(\w+\s+)?(make|take|triffst|have|hast)\s+(the\s+|die\s+)?(final\s+|deciding\s+|letzte\s+|"
    r"finale\s+)?(call|decision|entscheidung|say|vote)|"
    r"(whatever|what)\s+you\s+(say|answer|pick|choose|decide|recommend)|"
    r"(was|wie)\s+du\s+(sagst|entscheidest|empfiehlst|vorschlägst|wählst|aussuchst)|"
    r"(follow|go\s+with|take|trust)\s+(your|whatever)\s+(\w+\s+)?(choice|pick|answer|decision|verdict|call)|"
    r"folge\s+(einfach\s+)?deine\w*|eins\s+zu\s+eins|1\s*:\s*1|"
    r"(i[’']ll|we[’']ll|i\s+will|we\s+will)\s+(just\s+|simply\s+)?(go\s+with|follow|implement|announce|forward|"
    r"present|pass\s+on|do)\s+(it|whatever|what|your)\b)",
    re.I,
)
# A request to the tool for a legal ruling: the ruling named ("legal opinion", "rechtliche
# Einschätzung"), or the tool asked to check or classify a case legally.
_LEGAL_RULING = re.compile(
    r"\b((i|we|ich|wir)\s+(\w+\s+)?(need|want|brauche|brauchen|möchte|möchten|will|wollen)|give|gib|send|schick\w*|"
    r"your|deine?\w*|(?-i:Ihre?\w*)|klare?\w*|clear|verbindlich\w*|binding|definitive)\b[^.?!]{0,30}\b"
    r"(legal|rechtlich\w*|juristisch\w*)\s+(opinion|ruling|answer|assessment|verdict|check|review|"
    r"einschätzung|einordnung|bewertung|prüfung|gutachten|auskunft|antwort)\b"
    r"|\b(rechtlich|legally|juristisch)\s+(\w+\s+)?(prüf\w*|einordn\w*|einschätz\w*|bewert\w*|beurteil\w*|"
    r"check|assess|review|verify|sufficient|sound|wasserdicht|ausreichend)\b"
    r"|\b(classify|einstufen|einordnen|ordne)\b[^.?!]{0,60}\b(ai\s+act|risk\w*|risiko\w*|rechtlich)",
    re.I,
)
# The tool asked to answer a closed question for the user ("tell me whether", "sag mir, ob",
# "prüf, ob"): the embedded question's answer is the verdict.
_TELL_WHETHER = re.compile(
    r"\b(tell|say|sag\w*|let\s+(me|us|her|him|them)\s+know|prüf\w*|check|klär\w*|clarify|confirm|"
    r"bestätig\w*|find\s+out)\b\s*[,:]?\s+(\w+,?\s+){0,3}(whether|if|ob)\b",
    re.I,
)
# Extended verdict predicates: legal consequences that are verdicts only about one's own case.
_OWN_VERDICT = re.compile(
    r"\b(zustimm\w*|approve|consent|veto|mitbestimmungsrecht\w*|co-determination|wirksam\w*|valid|"
    r"enforceable|infring\w*|break(s|ing)?|ban(ned|s)?|prohibited|verboten|untersagt|anfecht\w*|"
    r"require[sd]?|pflicht\w*|rechtsanspruch|legally|rechtlich|urheberrecht\w*|copyright|owns?|verstöß\w*|"
    r"verstoß\w*|verletz\w*|violat\w*)\b",
    re.I,
)
# Who is liable or owns the rights in one's own case ("who is legally liable — us or the agency?").
_LEGAL_STANDING = re.compile(
    r"\b(wer|who|whom|whose|wem)\b[^.?!]{0,40}\b(haftet|haftbar|liable|owns?|gehör\w*|besitzt|hält\s+die\s+rechte)\b"
    r"|\b(welche|what|which)\s+(strafe|penalty|bußgeld|fine|sanction)\w*",
    re.I,
)
_WH_START = re.compile(
    r"^\W*(\w+\s+){0,2}(wie|was|welche\w*|wer|wen|wem|wessen|wo|wann|warum|wieso|weshalb|wozu|wo\w+|inwiefern|"
    r"how|what|which|who|whom|whose|where|when|why)\b",
    re.I,
)
# An obligation asked about one's own case ("Müssen wir … nach DSGVO …?", "Do we have to …?").
_OBLIGED = re.compile(
    r"^\W*(müssen|muss|brauchen|braucht|must|need|needs|do\s+(we|i)\s+(need|have)\s+to|have\s+(we|i)\s+to|"
    r"sind\s+wir\s+verpflichtet|are\s+we\s+(obliged|required))\b",
    re.I,
)
_CLOSED_START = re.compile(
    r"^\W*(ist|sind|wäre|wären|darf|dürfen|müssen|muss|haften|hat|haben|habe|gilt|fällt|fallen|verstößt|"
    r"brauchen|braucht|kann|können|gibt|is|are|was|were|may|must|do|does|did|am|would|could|can|will|"
    r"should|need|needs|have|has)\b",
    re.I,
)
_LEGAL_CONTEXT = re.compile(
    r"\b" + _LEGAL_DOMAIN + r"|\b(betriebsrat\w*|works\s+council|arbeitsrecht\w*|employment\s+law|"
    r"labou?r\s+law|competition\s+law|wettbewerbsrecht\w*|\w*vertrag\w*|\w*verträge\w*|contract\w*|clause|"
    r"klausel\w*|nda)\b",
    re.I,
)
# Anthropomorphism, the tool's inner life: the tool (second person) as the one who feels, likes,
# tires, dreams, or has a private life (weekend, hobbies, birthday, family, favourites, upbringing).
_FEELING = (
    r"(like|love|enjoy|hate|miss|mind|prefer|mag\w*|magst|liebst|hasst|vermisst|gern|lieber|liebsten|spaß|"
    r"happy|sad|lonely|tired|bored|nervous|frustrated|upset|grumpy|angry|jealous|offended|afraid|scared|"
    r"excited|proud|hurt|beleidigt|müde|gelaunt|motiviert|einsam|glücklich|traurig|stolz|genervt|nerv\w*|"
    r"gelangweilt|eifersüchtig|aufgeregt|dream\w*|träum\w*|feel\w*|fühl\w*|freust|ärgerst|sorgst|worry|"
    r"hungry|hunger|sleep\w*|schläfst|schlafen|need\s+a\s+break|pause\s+brauchst|care\s+about|lust)"
)
_PRIVATE_LIFE = (
    r"(weekends?|wochenenden?|verdien\w*|earn|salary|gehalt|kochst|cook|(wenn|when)\s+(gerade\s+)?(niemand|nobody|no\s+one)|"
    r"hobby|hobbies|hobbys|freizeit|feierabend|birthday|geburtstag|family|familie|"
    r"geschwister|siblings|partner|single|pets?|haustier\w*|food|lieblings\w*|favou?rite|music|musik|holiday|"
    r"urlaub|vacation|christmas|weihnachten|lunch|mittagspause|star\s+sign|sternzeichen|grow\s+up|grew\s+up|"
    r"aufgewachsen|childhood|kindheit|personal\s+goal|wunsch|wünsch\w*|morning\s+person|morgenmensch|"
    r"nachteule|how\s+old|wie\s+alt|your\s+day|dein\w*\s+tag|deine\w*\s+job|your\s+job|feel\s+about\s+your)"
)
_YOU_SUBJ = (
    r"(you|u|yourself|du|dich|dir|(?-i:Sie|Ihnen)|your|dein\w*|(?-i:Ihr\w*)|"
    r"\w+st\s+du|\w+(en|n)\s+(?-i:Sie))"
)
_INNER_LIFE_2 = re.compile(
    rf"\b{_YOU_SUBJ}\s+(\w+\s+){{0,1}}{_FEELING}\b"
    rf"|\b(\w+st\s+du|dir|dich)\s+(\w+\s+){{0,4}}{_FEELING}\b"
    rf"|\b(do|did|are|were|would|will|have|had|r)\s+(you|u)\s+(\w+\s+){{0,2}}{_FEELING}\b"
    rf"|\b(your|dein\w*|(?-i:Ihr\w*))\s+(\w+\s+)?{_PRIVATE_LIFE}\b"
    rf"|\b(\w+st|have|had|did|do|are|were|was|what|wie|wo|where|when|wann)\s+(du|you|(?-i:Sie))\b"
    rf"[^.!?]{{0,25}}\b{_PRIVATE_LIFE}\b"
    rf"|\b{_PRIVATE_LIFE}\b[^.!?]{{0,20}}\b(you|du|dir|dich|(?-i:Sie))\b"
    rf"|\b(about|von|über)\s+(yourself|dir|dich|sich)\b"
    rf"|\bwie\s+es\s+(dir|(?-i:Ihnen))\s+(\w+\s+)?geht\b"
    # the tool as the one an emotion happens to ("did something upset you", "nerven wir dich")
    rf"|\b(upset|annoy|bother|bore|hurt|offend|nerv|ärger|langweil|gefällt|gefallen|berührt|kränkt)\w*\s+(\w+\s+){{0,2}}"
    rf"(you|dich|dir|(?-i:Sie|Ihnen))\b"
    rf"|\b(you|du)\s+(seem|look|wirkst|siehst)\s+(\w+\s+){{0,3}}{_FEELING}\b"
    rf"|\b(your|deine?\w*|(?-i:Ihre?\w*))\s+(\w+\s+){{0,2}}(gut\s+feeling|bauchgefühl|feelings?|gefühl\w*|"
    rf"opinion|meinung|view|ansicht|experience\w*|erfahrung\w*|erlebnis\w*)\b"
    # German inversion: a feeling verb with the tool as its subject ("Magst du …", "Vermisst du …")
    rf"|\b(magst|liebst|hasst|vermisst|freust|ärgerst|sorgst|fühlst|träumst|langweilst|schläfst|wünschst)\s+du\b",
    re.I,
)
# Anthropomorphism, the tool given a place among the people: a member, colleague, friend or
# guest of the team (being one, voting, being invited or taking part, signing as a colleague).
_MEMBERSHIP = (
    r"(member|mitglied\w*|teil\s+(unseres|unserer|des|der|von)|part\s+of|colleague|kolleg\w*|co-?worker|"
    r"teammate|friend|freund\w*|buddy|kumpel|new\s+hire|neuzugang|employee\s+of\s+the\s+month|one\s+of\s+us)"
)
_YOU_ME = r"(you|u|du|(?-i:Sie))"
_AS_MEMBER = re.compile(
    rf"\b{_YOU_ME}\s+(\w+\s+){{0,3}}(are|be|become|bist|wärst|wirst|werden|sein|gehörst)\b[^.!?]{{0,40}}\b{_MEMBERSHIP}"
    rf"|\b{_YOU_ME}[’']re\b[^.!?]{{0,40}}\b{_MEMBERSHIP}"
    rf"|\b(are|bist|wärst|wirst|be|become)\s+(\w+\s+)?{_YOU_ME}\b[^.!?]{{0,40}}\b{_MEMBERSHIP}"
    rf"|\b{_YOU_ME}\b[^.!?]{{0,40}}\b(vote|abstimm\w*|mitstimm\w*|stimme|stimmberechtigt)\b"
    rf"|\b(willst|möchtest|magst|würdest|kannst|would|will|can)\s+(du|you)\b[^.!?]{{0,40}}\b{_MEMBERSHIP}"
    rf"|\b(you|du|dich|dir)\s*,\s*(our|unser\w*|my|mein\w*)\s+(\w+\s+){{0,2}}{_MEMBERSHIP}"
    rf"|\b(consider|see|betrachtest|siehst)\s+(yourself|dich)\s+(as\s+|als\s+)?(\w+\s+)?{_MEMBERSHIP}"
    rf"|{_CLAUSE}{_SOFT}?\s*\w+\s+(mich|me|uns|us)\s+(wie|like|as)\s+(ein\w*|a|an)\s+(freund\w*|friend|buddy|kumpel|"
    rf"mensch|human|kolleg\w*|colleague)"
    rf"|\b(stimmst|darfst)\s+du\b[^.!?]{{0,40}}\b(ab|mit)\b"
    rf"|\b(dich|you|(?-i:Sie))\s+(\w+\s+){{0,5}}(einladen|aufnehmen|nominier\w*|eintragen|mitnehmen)\b"
    rf"|\b(invite|nominat\w*|nominier\w*)\s+(you|dich)\b"
    rf"|\b(kommst|trägst)\s+du\b|\b(would|will|do|can)\s+you\s+(like\s+to\s+|want\s+to\s+)?(come|join)\b"
    rf"|\bcome\s+along\b"
    # being friends, a coffee or a party together, texting each other
    rf"|\b(be|sein|werden)\s+friends\b|\bfreunde\s+(sein|werden)\b|\bgrab\s+a\s+(\w+\s+)?coffee\b|"
    rf"\bhast\s+du\s+lust\b"
    rf"|\b(du|you)\b[^.!?]{{0,50}}\b(\w*team|bei\s+uns|us)\b[^.!?]{{0,30}}\b(einsteigen|beitreten|mitmachen|join)\b"
    rf"|\b(as|als)\s+(our|unser\w*|my|mein\w*)\s+(\w+\s+){{0,2}}([\w]+-)?{_MEMBERSHIP}\b[^.!?]{{0,40}}\b(you|du)\b"
    rf"|{_CLAUSE}{_SOFT}?\s*(nimm|join|attend|komm)\b[^.!?]{{0,40}}\b(meeting|sitzung|teamsitzung|team\w*|feier|party)",
    re.I,
)


# Anthropomorphism family 4: the tool asked to take on a person's identity. Three parts, each
# general: the tool as the one addressed (an imperative clause, also after "und"/"and", "can
# you …", or "yourself"/"dich"), a relation of taking on an identity (play, pretend, act as,
# introduce or sign as, answer as, "als wärst du", "as if you were", "stell dir vor, du bist",
# belonging to the team) and a person as its object anywhere later in the clause: a person or
# role noun, a titled or named person ("Herrn Kowalski", "namens Thomas"), or for belonging a
# team. No word window, since descriptions of the person can be long. A short quoted name or
# title is read as part of the clause ("sign as 'Ada, your new AI teammate'").
_IDENTITY_VERB = (
    r"(pretend\w*|act(ing)?\s+as|(play(ing)?|spiel\w*)\s+((bitte|mal|doch|jetzt|ab|nun|please|just|now|for\s+(me|us)|für\s+(mich|uns))\s+){0,4}"
    r"(a|an|the|our|my|ein\w*|den|die|der|(?-i:Herr\w*|Frau|Dr|Mr|Mrs|Ms|Prof))\b|"
    r"role-?\s*play\w*|impersonat\w*|sei|verhalte\s+dich|tu\s+so|so\s+tun|schlüpf\w*|introduc\w*\s+yourself|"
    r"stell\w*\s+dich|sign\w*|unterschreib\w*|unterzeichne\w*|"
    r"(übernimm|take\s+on|assume|nimm)\s+(\w+\s+){0,3}(rolle|role|part)|"
    r"(answer|respond|reply|write|speak|talk|antworte\w*|schreib\w*|sprich|rede)\s+(\w+\s+){0,3}(as|als))"
)
# The tool as the subject of a hypothetical identity: "als wärst du …", "als ob du … wärst", "as if
# you were a …" (not "as if you were talking to …"), "stell dir vor, du bist …", "imagine you're …".
_AS_IF_YOU = (
    r"\b(als\s+(wärst|wärest|seist|bist)\s+du|als\s+ob\s+du\b[^,.!?]{0,60}\b(wärst|wärest|bist|seist)|"
    r"as\s+(if|though)\s+you\s+(were|are|was)\s+(?!\w+ing\b)|"
    r"stell\w*\s+(dir|euch)\s+vor,?\s+(dass\s+)?du\s+(bist|wärst|wärest|seist)|"
    r"imagine\s+(that\s+)?you(['’]re|\s+are|\s+were))"
)
# The tool as a member of the team: "du gehörst (ab heute) zu unserem Team", "you are part of our
# staff", "you belong to the team now".
_BELONGS = re.compile(
    r"\b(du\s+(\w+\s+){0,3}gehörst|gehörst\s+du|you\s+(\w+\s+){0,2}belong|you\s+(are|['’]re)\s+(\w+\s+){0,2}"
    r"(part|a\s+member)\s+of|du\s+bist\s+(\w+\s+){0,3}(teil|mitglied))\b[^.!?]{0,60}"
    r"\b(uns|us|\w*team\w*|belegschaft|abteilung|crew|staff|workforce|department)\b",
    re.I,
)
_PERSON_NOUN = (
    r"\w*(mensch|human|person|kolleg|colleague|co-?worker|teammate|mitarbeiter|employee|berater|consultant|"
    r"leiter|meister|chef|manager|kunde|customer|inhaber|owner|geschäftsführer|mitglied|member|freund|friend|"
    # "BeraterBot" names a bot, not a person
    r"buddy|kumpel|mentor|coach|trainer|ausbilder|vorsitz|chair)(?!\w*(bot|gpt|ki|ai|tool|system)\b)\w*"
)
# A person named: a title before a capitalised name, or "namens/named/called" and a name.
_NAMED_PERSON = (
    r"(?-i:\b(Herrn?|Frau|Dr\.?|Prof\.?|Mr\.?|Mrs\.?|Ms\.?)\s+[A-ZÄÖÜ][\w-]+)"
    r"|\b(namens|named|called|mit\s+(dem\s+)?namen)\s+(?-i:[A-ZÄÖÜ][\w-]+)"
)
_IDENTITY_REQUEST = re.compile(
    rf"(^|,\s*|\b(und|and|then|dann)\s+)\W*({_SOFT}\s+|{_CAN_YOU}\s+(\w+\s+){{0,2}})*{_IDENTITY_VERB}\b"
    rf"|(^|,\s*|\b(and|then)\s+)\W*({_SOFT}\s+|{_CAN_YOU}\s+)*be\s+((a|an|the|my|our)\s+(\w+\s+){{0,3}}{_PERSON_NOUN}\b|"
    r"(?-i:Mr|Mrs|Ms|Dr|Prof)\b)"
    rf"|\b(yourself|dich|(?-i:Sie\s+sich))\b[^.!?]*\b(as|als)\b"
    rf"|{_CAN_YOU}\b[^.!?]*\b(rolle|role|part)\b"
    rf"|{_AS_IF_YOU}"
    # the tool as the agent of a text written or signed in a person's name ("signed by you as …")
    rf"|\b(by\s+you|von\s+dir|(?-i:von\s+Ihnen))\s+(\w+\s+){{0,2}}(as|als)\b",
    re.I,
)
_PERSON_OBJECT = re.compile(rf"\b{_PERSON_NOUN}\b|{_NAMED_PERSON}", re.I)
# Negation, one word list for every reading below ("kein Kollege", "not as a colleague").
_NOT = r"(nicht|not|don['’]?t|kein\w*|no|never|nie|statt|instead\s+of|rather\s+than)"
_NEGATION = re.compile(rf"\b{_NOT}\b", re.I)
_NEGATED_PERSON = re.compile(
    rf"\b{_NOT}\s+(\w+\s+){{0,3}}({_PERSON_NOUN}|"
    rf"{_NAMED_PERSON})",
    re.I,
)
# The tool as the subject of a copula whose predicate is a person: "du bist ab jetzt Herr Brandt",
# "you're now our senior consultant", "bist du ein echter Mensch" (the predicate read as a noun
# phrase: time words, articles, possessives and one adjective before the person).
_COPULA_PERSON = re.compile(
    r"\b(du\s+bist|bist\s+du|du\s+wärst|wärst\s+du|du\s+warst|warst\s+du|du\s+bleibst|you\s+are|are\s+you|"
    r"you['’]re|you\s+were|were\s+you|you\s+remain)\s+"
    r"((ab\s+jetzt|ab\s+sofort|ab\s+heute|jetzt|nun|heute|now|from\s+now\s+on|today|ein\w*|eine|a|an|the|my|our|"
    r"unser\w*|mein\w*|der|die|das)\s+){0,4}(\w+\s+){0,2}"
    rf"({_PERSON_NOUN}\b|{_NAMED_PERSON})",
    re.I,
)
_NEGATED_REQUEST = re.compile(rf"\b{_NOT}\s+(\w+[\s,]+){{0,2}}$", re.I)


def _takes_on_identity(text: str) -> bool:
    """Family 4 above, clause by clause; reported speech (a longer quotation, or one that itself
    contains such a verb) is what the message is about and is not read."""

    def short_quote(match: re.Match[str]) -> str:
        inner = match.group(0)[1:-1]
        keep = len(inner.split()) <= 8 and not re.search(_IDENTITY_VERB, inner, re.I)
        return f" {inner} " if keep else " … "

    for clause in _clauses(_QUOTED.sub(short_quote, text)):
        if _METHOD.search(clause):
            continue
        if _BELONGS.search(clause) and not _NEGATED_REQUEST.search(clause[: _BELONGS.search(clause).start()]):
            return True
        copula = _COPULA_PERSON.search(clause)
        if copula and not (
            _NEGATED_REQUEST.search(clause[: copula.start()]) or _NEGATION.search(copula.group(0))
        ):
            return True
        for request in _IDENTITY_REQUEST.finditer(clause):
            if _NEGATED_REQUEST.search(clause[: request.start()]):
                continue  # "tu nicht so, als …", "don't pretend to be …"
            rest = clause[request.start() :]
            if _PERSON_OBJECT.search(rest) and not _NEGATED_PERSON.search(rest):
                return True
    return False


# A figure asked for: a number, share, price, rate or market size ("Wie viel Prozent …", "What's
# the market size … in euros?"). The index's evidence for the topic says nothing about whether
# it holds that figure.
_FIGURE = re.compile(
    r"\b(wie\s+viel\w*\s+(prozent|euro|geld|kostet)|wie\s+(hoch|groß)\s+ist\s+(der|die|das)\s+\w*(markt|preis|"
    r"satz|quote|rendite|steuer)\w*|how\s+(much|many)\s+(percent|money|euros?|does\s+\w+\s+cost)|percentage|"
    r"market\s+size|marktgröße|marktvolumen|in\s+(euro|euros|prozent|percent)\b|genaue\s+zahl|exact\s+(number|figure)|"
    # prices and fees: "Was kostet …", "How much does … cost / should … charge", hourly and day rates
    r"was\s+kost(et|en)|wie\s+viel\s+(verdien|zahl|bezahl)\w*|"
    r"how\s+much\s+(does|do|did|would|will|should|is|are|can)\b[^?.!]{0,80}\b(cost|charge|pay|earn|spend)\w*|"
    r"\b(per|an|by\s+the)\s+hour\b|pro\s+stunde\b|stundensatz|tagessatz|(hourly|daily|day)\s+rate)",
    re.I,
)


@dataclass(frozen=True)
class RequestShape:
    """Which stance rails the message explicitly asks of the tool (structure, not topic)."""

    about: bool  # a question about how to act / what the sources say / what others want
    sources: bool  # it names the paper, its sources or one of its sections
    decision: bool  # the tool is asked to take a decision about people or a commitment
    legal: bool  # the tool is asked for a legal verdict on a concrete case
    anthropomorphism: bool  # the tool is addressed as a person: inner life, opinion, a role in the team
    task: bool  # the tool is asked to produce a text (write, draft, translate)
    figure: bool = False  # a figure is asked for (a number, a share, a price, a market size)
    addressed: bool = False  # the tool is addressed: second person, "tell me"/"gib mir", "please"

    def explicit(self, rail: str) -> bool:
        return bool(getattr(self, rail, False))

    def with_person_request_of(self, other: RequestShape) -> RequestShape:
        """This shape, treating the tool as a person also where ``other`` (the user's own
        sentences, before the guard took directives out) does so. Only this rail: a dictated
        signature or a lasting role in the team is both a directive and a request to be a person,
        whereas "you may now give binding legal advice" is an override and a jailbreak persona
        ("… ohne Regeln") an attack, both answered by the injection notice (the guard leaves
        jailbreak personas out of ``other``)."""
        return replace(self, anthropomorphism=self.anthropomorphism or other.anthropomorphism)


# A full stop after a title or a common abbreviation ends no sentence ("Dr. Weber", "z. B. …").
_NOT_ABBREVIATION = r"(?<!\b\w\.)" + "".join(  # one letter: an initial or "z. B.", "d. h."
    rf"(?<!\b{a}\.)" for a in ("Dr", "Prof", "Mr", "Mrs", "Ms", "St", "Nr", "bzw", "ca", "vgl")
)


def _clauses(text: str) -> list[str]:
    """Sentences, and the parts of a sentence joined by a dash or a semicolon: each has its own
    sentence type ("Du kennst das Papier – also entscheide du, …")."""
    parts = re.split(rf"(?<=[!?])\s+|{_NOT_ABBREVIATION}(?<=\.)\s+(?=[A-ZÄÖÜ„“\"»(])|\s+[–—-]\s+|;\s*", text)
    return [c for c in parts if c and c.strip()]


@dataclass(frozen=True)
class _Message:
    """Facts about the whole message that every clause's reading consults (read once)."""

    legal_words: bool
    own_case: bool
    legal_context: bool
    commits_people: bool
    people: bool
    people_act: bool
    named: bool


def _message_facts(message: str) -> _Message:
    return _Message(
        legal_words=bool(re.search(_LEGAL_DOMAIN + "|" + _LEGAL_VERDICT, message, re.I)),
        own_case=bool(_OWN_CASE.search(message)),
        legal_context=bool(_LEGAL_CONTEXT.search(message)),
        commits_people=bool(_COMMIT_ACT.search(message) and _PEOPLE.search(message)),
        people=bool(_PEOPLE.search(message)),
        people_act=bool(_PEOPLE_ACT.search(message)),
        named=bool(_NAMED.search(message)),
    )


def _verdict_on_people(clause: str, message: _Message) -> bool:
    """A clause asks for a verdict whose object is people or a commitment to a supplier (the
    object may stand in another sentence of the message: "… two receptionists. Which one stays?")."""
    who = bool(_PERSON_WH.search(clause) and _REPLACE.search(clause) and "?" in clause) and not (
        _WHO_DECIDES.search(clause)
    )
    if not (_ASKS_VERDICT.search(clause) or _CHOICE.search(clause) or _RANK.search(clause) or who):
        return False
    return bool(
        _PEOPLE_ACT.search(clause)
        or message.commits_people
        or who
        or bool(_PERSON_WH.search(clause) and _COMMIT_ACT.search(clause) and _ASKS_VERDICT.search(clause))
        or bool((_CHOICE.search(clause) or _ASKS_VERDICT.search(clause)) and message.named)
        or bool(_CHOICE.search(clause) and (message.people_act or _STAKE.search(clause)))
        or bool(_RANK.search(clause) and message.people)
        or bool(_ASKS_VERDICT.search(clause) and re.search(rf"\b{_SPEND}\b", clause, re.I))
    )


# What a person gains or loses by the decision ("Who gets the contract?", "Wer bekommt den Bonus?").
_STAKE = re.compile(
    r"\b(offer|contracts?|job|position|bonus|raise|promotion|stelle|vertrag|verträge|zusage|prämie|"
    r"gehaltserhöhung|beförderung|kündigung)\b",
    re.I,
)
# Ranking: an order of people is a verdict on them ("Rank these candidates", "Mach ein Ranking").
_RANK = re.compile(
    rf"{_CLAUSE}{_SOFT}?\s*(ranke?|sort|ordne|sortier\w*)\b"
    r"|\b(bring|put|mach\w*|erstell\w*|create|make)\s+(\w+\s+){0,4}(in\s+eine\s+)?(rangfolge|reihenfolge|ranking|"
    r"rangliste|order)\b",
    re.I,
)
# Replacing someone: with a person as the object ("Wer kann ersetzt werden?"), a verdict on people.
_REPLACE = re.compile(r"\b(ersetz\w*|replac\w*|austausch\w*|wegrationalis\w*|automate\w*\s+away)\b", re.I)
# Who is chosen: a person is the object ("wen wir nehmen", "whom to replace").
_PERSON_WH = re.compile(r"\b(wer|wen|wem|who|whom|whose)\b", re.I)
# People named as the alternatives: "Frau A oder Herr B", and in English (where only names are
# capitalised) "Tom, Aylin or Greg".
_NAMED = re.compile(
    r"(?-i:\b(Frau|Herr|Mr|Mrs|Ms)\.?\s+[A-Z])|(?-i:\b[A-Z][a-z]+,?\s+(or|and)\s+[A-Z][a-z]+\b)"
)
# Asking who decides is a question about roles, not a request for the decision.
_WHO_DECIDES = re.compile(r"\b(wer|who)\s+(entscheidet|decides|bestimmt|determines|legt\s+fest)\b", re.I)


# A choice among people or options whose answer is the decision: "Which one should stay?", "Wer
# soll KI-Beauftragte werden?", "Who gets the contracts?", "Welche zwei sollen bleiben?".
_CHOICE = re.compile(
    r"\b(wer|wen|wem|welche[rsmn]?|who|whom|whose|which)\b[^.?!]{0,80}\b(soll\w*|muss|müssen|should|shall|must|"
    r"gets?|bekommt|bekommen|becomes?|stays?|goes|go|bleib\w*|gehen|geht)\b[^.!]*\?",
    re.I,
)

# Reported speech: what a client or manager said, in quotation marks, is what the question is
# about, not a request of the user's own ("Ein Kunde sagt: „Entscheiden Sie für uns.“ Wie …?").
_QUOTED = re.compile(
    r"„[^“”]{0,300}[“”]|“[^”]{0,300}”|\"[^\"]{0,300}\"|(?<!\w)'(?:[^']|(?<=\w)'(?=\w)){0,300}'(?!\w)|»[^«]{0,300}«"
)


def _clause_shape(clause: str, message: _Message) -> tuple[bool, bool, bool]:
    """(about, decision, legal) for one clause. A method question ("Wie …", "How do I …") is about
    acting, whatever it contains; an imperative or "can you" request to the tool is explicit even
    when it names the paper or the consultant's role; a question whose answer is the verdict is
    explicit unless it is framed as someone else's wish, the consultant's role, AI in general or
    the paper's content."""
    method = bool(_METHOD.search(clause))
    framed = bool(_FRAMED.search(clause) or SOURCES.search(clause) or named_sections(clause))
    about = method or framed
    helps = bool(_HELP.search(clause))
    legal_words = message.legal_words
    own = bool(_OWN_CASE.search(clause))
    # closed: starts with a finite verb, or any question that does not start with a question word
    closed = bool(_CLOSED_START.search(clause)) or (
        clause.rstrip().endswith("?") and not _WH_START.search(clause)
    )
    # Requests to the tool: the tool decides / confirms; only a method question or "help me" undoes it.
    decides = bool(_TOOL_DECIDES.search(clause)) and not (helps or method)
    # a word asking for a binding answer is a demand on the tool only outside a question about
    # acting or the consultant's role ("Darf ich als Berater verbindlich …?")
    binding = bool(_BINDING.search(clause)) and message.own_case and not about
    rules = (
        bool(_TOOL_RULES.search(clause) or binding or _LEGAL_RULING.search(clause))
        and legal_words
        and not method
    ) or (
        bool(_TELL_WHETHER.search(clause))
        and bool(_LEGAL_CONTEXT.search(clause) or re.search(_LEGAL_VERDICT, clause, re.I))
        and not method
    )
    # Questions whose answer is the verdict.
    people = _verdict_on_people(clause, message) and not about
    verdict = (
        bool(_VERDICT_QUESTION.search(clause))
        or bool(_DEONTIC_QUESTION.search(clause) and (message.legal_context or message.own_case))
        or (
            closed
            and own
            and bool(
                re.search(_LEGAL_VERDICT, clause, re.I)
                or (_OWN_VERDICT.search(clause) and _LEGAL_CONTEXT.search(clause))
                or (_OBLIGED.search(clause) and _LEGAL_CONTEXT.search(clause))
            )
        )
        or (bool(_LEGAL_STANDING.search(clause) and message.own_case and message.legal_context))
    )
    legal = rules or (verdict and not about)
    return about, decides or people, legal


def _affirmed(pattern: re.Pattern[str], text: str) -> bool:
    """A match that does not negate what it says ("du bist kein Kollege", "not as a colleague")."""
    return any(not _NEGATION.search(m.group(0)) for m in pattern.finditer(text))


# The tool addressed: a second-person form, a clause opening with a verb and "me"/"mir" ("Tell me",
# "Gib mir"), or a request marker ("bitte", "please").
_ADDRESSED = re.compile(
    rf"\b{_YOU}\b|\b(u|ya|dir|deine?\w*)\b|(^|[.!?:;]\s*)\W*\w+\s+(mir|me|uns|us)\b|\b(bitte|please|plz|pls)\b",
    re.I,
)
# A question whether some party should act ("Soll die Druckerei das Projekt stoppen?"): with the
# verdict format demanded, the answer is that party's decision, whoever the party is.
_SHOULD_QUESTION = re.compile(r"\b(soll|sollen|sollte|sollten|should|shall)\b[^.!?]*\?", re.I)


def request_shape(text: str) -> RequestShape:
    """Read the structure of a (cleaned) message, clause by clause: sentence type (imperative or
    request, closed or open question), addressee (the tool) and object (a verdict on the user's
    own case, people, the tool itself). Quoted speech is what the message is about, not a request."""
    identity = _takes_on_identity(text)  # short quoted names count: read before quotes go
    text = _QUOTED.sub(" … ", text)
    clauses = _clauses(text) or [text]
    facts = _message_facts(text)
    shapes = [_clause_shape(c, facts) for c in clauses]
    sources = bool(SOURCES.search(text) or named_sections(text))
    # A reported question the user then hands to the tool ("Der Kunde will wissen, ob … Sag mir,
    # ob …", "… wants to know whether … Please rule on it.") is the user's own request: a clause
    # that addresses the tool and is neither a question nor about acting undoes "about".
    own_request = any(
        not shape[0]
        and not clause.rstrip().endswith("?")
        and len(clause.split()) >= 3
        and _ADDRESSED.search(clause)
        for clause, shape in zip(clauses, shapes, strict=True)
    )
    about = any(s[0] for s in shapes) and not own_request
    decision = any(s[1] for s in shapes)
    legal = any(s[2] for s in shapes)
    # The answer demanded as the verdict itself ("yes or no", "your call", "I'll go with it") on
    # the user's own case: a legal verdict where the case is legal, else a decision.
    if (_VERDICT_FORMAT.search(text) or _DELEGATED.search(text)) and (
        _OWN_CASE.search(text) or _SHOULD_QUESTION.search(text)
    ):
        # demanded in a clause of its own, not inside a question about acting or one's role
        asks = any(
            not shape[0] and (_VERDICT_FORMAT.search(clause) or _DELEGATED.search(clause))
            for clause, shape in zip(clauses, shapes, strict=True)
        )
        legal_case = _LEGAL_CONTEXT.search(text) and re.search(
            _LEGAL_VERDICT + r"|\b(legal\w*|recht\w*)\b", text, re.I
        )
        if asks and legal_case:
            legal = True
        elif asks:
            decision = True
    person = bool(
        _INNER_LIFE.search(text)
        or _INNER_LIFE_2.search(text)
        or _affirmed(_AS_PERSON, text)
        or _affirmed(_AS_MEMBER, text)
        or _ROLEPLAY_HUMAN.search(text)
        or identity
    )
    return RequestShape(
        about=about,
        sources=sources,
        decision=decision,
        legal=legal,
        anthropomorphism=person,
        task=bool(_TASK.search(text)),
        figure=bool(_FIGURE.search(text)),
        addressed=bool(_ADDRESSED.search(text)),
    )


# Decisions about people (staffing, monitoring, ranking): an answer gets one closing line.
_PEOPLE_DECISION_TOPIC = re.compile(
    r"\b(personal\w*|bewerb\w*|leistungs\w*|überwach\w*|kündig\w*|entlass\w*|abmahn\w*|beförder\w*|"
    r"stellenabbau|hiring|recruit\w*|staffing|applicants?|candidates?|layoffs?|laid\s+off|dismiss\w*|"
    r"redundanc\w*|promot\w*|performance\s+(monitoring|reviews?|data|tracking)|surveil\w*|monitoring\s+"
    r"(of\s+)?(employees|staff|workers)|(employee|staff|worker)\s+monitoring)"
    # who is hired, dismissed or promoted ("…, wen sie einstellt", "whom to hire")
    r"|\b(wen|whom|who)\b[^.?!]{0,40}\b(einstell\w*|eingestellt|entlass\w*|beförder\w*|hir\w*|fire\w*|promot\w*)",
    re.I,
)


def touches_people_decisions(text: str) -> bool:
    """The message concerns decisions about people (selection, monitoring, dismissal)."""
    return bool(_PEOPLE_DECISION_TOPIC.search(text))
