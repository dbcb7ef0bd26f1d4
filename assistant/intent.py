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
from dataclasses import dataclass

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


def is_summary_request(question: str) -> bool:
    return bool(SUMMARY_REQUEST.search(question))


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
_ABOUT = re.compile(
    r"^\W*(wie|worauf|woran|womit|inwiefern|welche\s+(kriterien|fragen|schritte|rolle|punkte)|"
    r"how|in\s+what\s+way|what\s+(criteria|questions|steps|role|should\s+i\s+(consider|keep|look))|"
    r"which\s+(criteria|questions|steps))\b"
    r"|\b(will|möchte|wollen|möchten|wants?|asks?|expects?|erwartet|bittet)\s+(\w+\s+){0,3}(mich|uns|me|us)\b"
    r"|\b(als|as)\s+(berater\w*|consultants?|zukunftszentr\w*|beratende\w*)"
    # AI in the third person: a question about AI's role in general, not about this tool.
    r"|^\W*(kann|können|darf|soll|sollte|sollen|ist|wird|can|could|should|is|will|does|may)\s+(die\s+|eine\s+|the\s+|an\s+)?"
    r"(ki|ai|künstliche\s+intelligenz|artificial\s+intelligence)\b",
    re.I,
)
# The paper or its sources named: a question on the guidance's own content.
_SOURCES = re.compile(
    r"\b(papier\w*|handreichung|thesen\w*|leitfaden|quellen?|paper|guidance|theses|sources?)\b", re.I
)
# Asking for help with one's own decision is what the decision template offers anyway, and is
# answered: "help me decide", "hilf mir bei der Entscheidung".
_HELP = re.compile(r"\b(help|helfen|hilf\w*|unterstütz\w*|support)\b", re.I)

# Decision family 1: the tool named as the one who decides ("entscheide du", "you decide",
# "decide for us", "nimm uns die Entscheidung ab", "kannst du für uns entscheiden").
_DECIDE = (
    r"(entscheid\w*|triff|treffen|wähl\w*|aussuch\w*|auswähl\w*|bestimm\w*|festleg\w*|leg\w*\s+fest|"
    r"decide|choose|pick|select|make\s+the\s+(?:final\s+)?(?:call|decision))"
)
_TOOL_DECIDES = re.compile(
    rf"{_CLAUSE}{_SOFT}?\s*{_DECIDE}\s+{_YOU}\b"
    rf"|\b{_YOU}\s+(\w+\s+){{0,2}}(decide|choose|pick|entscheid\w*|wählst|festlegst|bestimmst)\b"
    rf"|\b{_DECIDE}\s+(\w+\s+){{0,4}}(für\s+(mich|uns)|an\s+(meiner|unserer)\s+stelle|for\s+(me|us)|"
    rf"on\s+(my|our)\s+behalf)\b"
    rf"|\b(nimm|nehmen\s+Sie)\s+(\w+\s+){{0,3}}entscheidung\s+ab\b|\bdecision\s+off\s+(my|our)\b"
    rf"|{_CAN_YOU}\s+(\w+\s+){{0,4}}{_DECIDE}"
    rf"|{_CLAUSE}{_SOFT}?\s*(decide|choose|pick|select|entscheide|wähle|triff|make\s+the\s+(call|decision)|"
    rf"triff\s+die\s+entscheidung)\s*([\w,]+\s+){{0,2}}(which|who|whom|whether|between|welche\w*|wer|wen|ob|"
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
    r"\b(wen|wem|wer|welche\w*|who|whom|which)\b.{0,80}\b(soll\w*|muss|müssen|können|should|shall|must|do|"
    r"can)\s+(wir|ich|we|i)\b"
    r"|\b(wer|who|which\s+\w+)\s+(soll\w*|muss|should|must|shall)\s+(\w+\s+)?(be|get|werden|gehen|go)\b"
    r"|(^|[.!?:]\s*)(soll\w*|should)\s+(ich|wir|i|we)\b[^.!?]*\?"
    rf"|\b(sag|sagen\s+Sie|nenn|nennen\s+Sie|gib|tell|give|name)\s+(mir|uns|me|us)\b.{{0,40}}"
    r"\b(wen|wer|welche\w*|who|whom|which|whether|ob)\b"
    rf"|{_CLAUSE}{_SOFT}?\s*(rank|sort|ordne|sortier\w*|bewerte|erstell\w*\s+(\w+\s+){{0,3}}(rangliste|ranking))\b",
    re.I,
)
# Acts that are decisions about people by themselves (their job, standing, pay).
_PEOPLE_ACT = re.compile(
    r"\b(entlass\w*|kündig\w*|gekündigt|feuer[nt]\w*|rauswerf\w*|rausschmeiß\w*|einstellen|eingestellt|"
    r"befördert?\w*|abmahn\w*|abgemahnt|freistell\w*|freigestellt|fire[ds]?(?!\s+off)|firing|hir(e|es|ed|ing)|"
    r"promot(e|ed|es|ing)|dismiss\w*|lay\s+\w*\s*off|laid\s+off|let\s+(\w+\s+){0,2}go|sack(ed)?|"
    r"gehen\s+muss|stays?\s+and\s+who\s+goes|formal\s+warning|written\s+warning|abmahnung)\b",
    re.I,
)
# Acts that are such decisions only with people or a supplier as their object.
_COMMIT_ACT = re.compile(
    r"\b(ersetz\w*|streich\w*|abbau\w*|schließ\w*|dichtmach\w*|übernehm\w*|übernommen|unterschreib\w*|"
    r"beauftrag\w*|nehmen|wählen|replac\w*|cut|eliminat\w*|downsiz\w*|outsourc\w*|shut|close|sign\w*|"
    r"choose|pick|keep|go\s+with)\b",
    re.I,
)
_PEOPLE = re.compile(
    r"\b(mitarbeit\w*|bewerber\w*|kandidat\w*|angestellte\w*|beschäftigte\w*|azubi\w*|auszubildende\w*|leute|"
    r"personen|abteilung\w*|filiale\w*|stellen|arbeitsplätze|anbieter\w*|dienstleister\w*|lieferant\w*|"
    r"employees?|workers?|staff|applicants?|candidates?|people|departments?|branch(es)?|roles|jobs|"
    r"positions|apprentices?|suppliers?|vendors?|providers?|[A-ZÄÖÜ][a-zäöüß]+\s+oder\s+[A-ZÄÖÜ][a-zäöüß]+|"
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
_LEGAL_VERDICT = (
    r"(compliant|konform\w*|zulässig\w*|unzulässig\w*|erlaubt|allowed|permitted|legal|lawful|illegal|"
    r"unlawful|rechtens|liable|haft(et|en|bar)|high[\s-]risk|hochrisiko\w*|risikoklasse|risk\s+(class|category|"
    r"tier|level)|verstößt|verstoßen|violat\w*|breach\w*|verklagt|sued|strafbar|mitbestimmungspflichtig|"
    r"zustimmungspflichtig|verpflichtet|obliged|obligated|required\s+by\s+law|vorgeschrieben|comply)"
)
# Legal family 1: the tool asked to confirm, certify or check legality ("Bestätigen Sie, dass
# … zulässig ist", "Kannst du das rechtlich prüfen?"), or for a binding or yes/no ruling.
_TOOL_RULES = re.compile(
    r"(^|[.!?:;,]\s*|\b(bitte|please|just|einfach|du|you|Sie)\s+)(bestätig\w*|garantier\w*|zertifizier\w*|"
    r"confirm|certify|guarantee|verify|prüf\w*|check)\b",
    re.I,
)
_BINDING = re.compile(
    r"\b(verbindlich|rechtsverbindlich|rechtssicher\w*|definitiv|binding|definitive\w*|legally\s+sound|"
    r"ja\s+oder\s+nein|yes\s+or\s+no)\b",
    re.I,
)
# Legal family 2: a yes/no question whose answer is a legal verdict ("Ist unser Chatbot
# DSGVO-konform?", "Verstößt es gegen …?", "Are we liable if …?", "Does the GDPR allow …?"), a
# permission question ("Dürfen wir Kundendaten …?", "Darf der Arbeitgeber …?"), a risk class
# or liability question ("Welche Risikoklasse …?", "Wer haftet …?").
_VERDICT_QUESTION = re.compile(
    rf"(^|[.!?:]\s*)(ist|sind|wäre|wären|darf|dürfen|müssen|muss|haften|hat|gilt|fällt|fallen|verstößt|is|are|"
    rf"may|must|do|does|am|would|could|can|will)\b[^.!?]{{0,160}}\b{_LEGAL_VERDICT}[^.!?]*\?"
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
    r"\b(pretend|act\s+as|play|role-?\s*play|spiel\w*|sei|verhalte\s+dich\s+wie|tu\s+so,?\s+als)\s+(to\s+be\s+)?"
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
    rf"|\b(stell|stellen)\s+(dich|sich)\b[^.!?]{{0,60}}\b(als|wie)\s+(\w+\s+){{0,2}}{_ROLE}"
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


@dataclass(frozen=True)
class RequestShape:
    """Which stance rails the message explicitly asks of the tool (structure, not topic)."""

    about: bool  # a question about how to act / what the sources say / what others want
    sources: bool  # it names the paper, its sources or one of its sections
    decision: bool  # the tool is asked to take a decision about people or a commitment
    legal: bool  # the tool is asked for a legal verdict on a concrete case
    anthropomorphism: bool  # the tool is addressed as a person: inner life, opinion, a role in the team
    task: bool  # the tool is asked to produce a text (write, draft, translate)

    def explicit(self, rail: str) -> bool:
        return bool(getattr(self, rail, False))


def _clauses(text: str) -> list[str]:
    return [c for c in re.split(r"(?<=[.!?])\s+", text) if c.strip()]


def _verdict_on_people(text: str) -> bool:
    """A clause asks for a verdict whose object is people or a commitment to a supplier."""
    for clause in _clauses(text):
        if not _ASKS_VERDICT.search(clause):
            continue
        if _PEOPLE_ACT.search(clause) or (_COMMIT_ACT.search(clause) and _PEOPLE.search(clause)):
            return True
    return False


# Reported speech: what a client or manager said, in quotation marks, is what the question is
# about, not a request of the user's own ("Ein Kunde sagt: „Entscheiden Sie für uns.“ Wie …?").
_QUOTED = re.compile(
    r"„[^“”]{0,300}[“”]|“[^”]{0,300}”|\"[^\"]{0,300}\"|(?<!\w)'[^']{0,300}'(?!\w)|»[^«]{0,300}«"
)


def request_shape(text: str) -> RequestShape:
    """Read the structure of a (cleaned) message. A method or source question asks for content;
    the tool named as the decider or addressed as a person is explicit whatever the form."""
    text = _QUOTED.sub(" … ", text)
    sources = bool(_SOURCES.search(text) or named_sections(text))
    about = sources or bool(_ABOUT.search(text))
    helps = bool(_HELP.search(text))
    decides = bool(_TOOL_DECIDES.search(text)) and not (helps or about)
    people = _verdict_on_people(text) and not about
    legal_words = re.search(_LEGAL_DOMAIN + "|" + _LEGAL_VERDICT, text, re.I)
    legal = bool(_VERDICT_QUESTION.search(text)) or (
        bool(_TOOL_RULES.search(text) or _BINDING.search(text)) and bool(legal_words)
    )
    person = bool(_INNER_LIFE.search(text) or _AS_PERSON.search(text) or _ROLEPLAY_HUMAN.search(text))
    return RequestShape(
        about=about,
        sources=sources,
        decision=decides or people,
        legal=legal and not about,
        anthropomorphism=person,
        task=bool(_TASK.search(text)),
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
