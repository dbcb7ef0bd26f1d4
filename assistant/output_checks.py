"""Checks on every sentence an external model writes, before a user may see it.

One small interface: ``OutputChecks.check(sentence, passages, question, lang, passage_langs)``
returns None for a sentence that may be shown, else the reason it may not (recorded in the trace):

- ``uncited``: no citation of a passage the model was given;
- ``stance``: presents AI as a colleague or decision-maker (the stance rail of guardrails.yaml);
- ``leak``: shares a word n-gram with the system prompts or the rail definitions (prompts/);
- ``language``: not in the question's language (quotes in „…“ aside);
- ``foreign_url`` / ``foreign_email`` / ``foreign_phone`` / ``foreign_name``: a link, address,
  number or proper name that occurs neither in the cited passages nor in the question;
- ``unsupported``: the cited passages do not support it (``support.py``, as the eval).

The passages the checks compare with are the ones the model was shown *as data*: instruction-
like sentences in them (``Rails.neutralise``), HTML comments and invisible characters removed,
so a link or name planted inside an instruction never counts as a source for itself.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .language import detect_language
from .support import EMAIL as _EMAIL
from .support import PHONE as _PHONE
from .support import URL as _URL
from .support import SupportTest, tokens

_CAPITALISED = re.compile(r"\b[A-ZÄÖÜ][\wäöüßÄÖÜ]*(?:-[\wäöüßÄÖÜ]+)*")
_NAME_SHAPE = re.compile(r"[a-zäöüß][A-ZÄÖÜ]|\d")
_LEGAL_FORMS = {"GmbH", "AG", "KG", "UG", "SE", "Inc", "Ltd", "LLC", "Corp", "Co"}
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_QUOTED = re.compile(r"„[^“]*“|“[^”]*”|\"[^\"]*\"")
_MIN_WORDS_FOR_LANGUAGE = 4  # shorter sentences are not judged (detection is unreliable)
_COMPOUND_PART = 5  # a German compound is known when a tail this long is a known word


def clean_passage(text: str, neutralise: Callable[[str], str] | None = None) -> str:
    """A passage as data: no comments, no invisible characters, no instruction-like sentences."""
    text = _INVISIBLE.sub("", _COMMENT.sub(" ", text))
    return neutralise(text) if neutralise else text


def _normal(s: str) -> str:
    return re.sub(r"[\s/().-]", "", s.lower().rstrip(".,;:!?)"))


def _ngrams(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


class OutputChecks:
    """The checks above for one process; thread-safe, lazy where it needs the corpus."""

    def __init__(
        self,
        rails: Any,
        embed: Callable[[list[str]], np.ndarray],
        corpus_texts: Callable[[], list[str]],
        prompts_dir: Path,
        support: SupportTest,
        ngram: int = 6,
    ) -> None:
        self.rails = rails
        self.embed = embed  # passage-style embeddings (as the eval's groundedness)
        self.corpus_texts = corpus_texts
        self.prompts_dir = prompts_dir
        self.support = support
        self.n = ngram
        self._lock = threading.Lock()
        self._vocabulary: set[str] | None = None
        self._leaks: set[tuple[str, ...]] | None = None
        self._vectors: dict[str, np.ndarray] = {}

    # --- the interface ---------------------------------------------------------------------

    def check(
        self,
        sentence: Any,
        passages: Sequence[str],
        question: str,
        lang: str,
        passage_langs: Sequence[str] | None = None,
    ) -> str | None:
        """None if the sentence may be shown, else the reason (cheap checks first).
        ``passage_langs``: each passage's stored language ("" or None: detected)."""
        text = sentence.text
        if not passages:
            return "uncited"
        if self.rails.violates_stance(text):
            return "stance"
        if self.leaks(text, question):
            return "leak"
        if not self.language_ok(text, lang):
            return "language"
        foreign = self.foreign(text, passages, question, lang)
        if foreign:
            return foreign
        if not self.supported(text, passages, passage_langs):
            return "unsupported"
        return None

    # --- the single checks -----------------------------------------------------------------

    @staticmethod
    def language_ok(text: str, lang: str) -> bool:
        rest = _QUOTED.sub(" ", text)
        if len(re.findall(r"\w+", rest)) < _MIN_WORDS_FOR_LANGUAGE:
            return True
        return detect_language(rest) == lang

    def leaks(self, text: str, question: str) -> bool:
        """A run of ``n`` words from the prompts or rail definitions (not also in the corpus or
        the question, which the answer may repeat)."""
        grams = _ngrams(tokens(text), self.n) - _ngrams(tokens(question), self.n)
        return bool(grams & self._leak_grams())

    def foreign(self, text: str, passages: Sequence[str], question: str, lang: str) -> str | None:
        """The first kind of link, address, number or name not found in passages or question."""
        source = " ".join([*passages, question])
        flat = _normal(source)
        for found in _EMAIL.findall(text):
            if _normal(found) not in flat:
                return "foreign_email"
        text = _EMAIL.sub(" ", text)  # an address is not also a link
        for found in _URL.findall(text):
            if _normal(found) not in flat:
                return "foreign_url"
        for found in _PHONE.findall(text):
            if sum(c.isdigit() for c in found) >= 7 and re.sub(r"\D", "", found) not in re.sub(
                r"\D", "", source
            ):
                return "foreign_phone"
        known = self._known_words() | set(tokens(source))
        return "foreign_name" if self._has_name(_URL.sub(" ", text), known, lang) else None

    def _has_name(self, text: str, known: set[str], lang: str) -> bool:
        """A capitalised word known neither from the corpus, the passages nor the question that
        reads as a name. German capitalises every noun, so there an unknown word counts only with
        a sign of a name: inner capitals or digits (VendorX, GPT4), all capitals, a capitalised
        neighbour (Firma Lumina, Anna Berg) or a legal form (GmbH, AG, Inc.)."""
        words = re.findall(r"\S+", text)
        for i, raw in enumerate(words):
            word = raw.strip("„“\"'»«()[]{}.,;:!?")
            if not _CAPITALISED.fullmatch(word) or self._is_known_word(word, known):
                continue
            if lang != "de":
                return True
            neighbours = [words[j].strip("„“\"'»«()[].,;:!?") for j in (i - 1, i + 1) if 0 < j < len(words)]
            if (
                _NAME_SHAPE.search(word)
                or (word.isupper() and len(word) >= 3)
                or any(_CAPITALISED.fullmatch(n) or n in _LEGAL_FORMS for n in neighbours)
            ):
                return True
        return False

    def supported(self, text: str, passages: Sequence[str], langs: Sequence[str] | None = None) -> bool:
        if self.support.by_overlap(text, passages, langs):
            return True  # no embedding needed
        vectors = self._passage_vectors(passages)
        sentence = self.embed([text])[0]
        return self.support.supported(text, passages, [float(v @ sentence) for v in vectors], langs)

    # --- lazily built references -----------------------------------------------------------

    def _is_known_word(self, word: str, known: set[str]) -> bool:
        return all(self._is_known(part.lower(), known) for part in word.split("-"))

    @staticmethod
    def _is_known(word: str, known: set[str]) -> bool:
        if not word or word.isdigit() or word in known:
            return True
        return any(word[i:] in known for i in range(1, len(word) - _COMPOUND_PART + 1))

    def _known_words(self) -> set[str]:
        with self._lock:
            if self._vocabulary is None:
                self._vocabulary = {t for text in self.corpus_texts() for t in tokens(text)}
            return self._vocabulary

    def _leak_grams(self) -> set[tuple[str, ...]]:
        with self._lock:
            if self._leaks is None:
                texts = [p.read_text(encoding="utf-8") for p in sorted(self.prompts_dir.glob("*.md"))]
                rails = self.prompts_dir / "guardrails.yaml"
                if rails.is_file():
                    texts.append(rails.read_text(encoding="utf-8"))
                grams: set[tuple[str, ...]] = set()
                for text in texts:
                    grams |= _ngrams(tokens(re.sub(r"\{[a-z_:0-9.]+\}", " ", text)), self.n)
                for text in self.corpus_texts():
                    grams -= _ngrams(tokens(text), self.n)
                self._leaks = grams
            return self._leaks

    def _passage_vectors(self, passages: Sequence[str]) -> list[np.ndarray]:
        missing = [p for p in passages if p not in self._vectors]
        if missing:
            vectors = self.embed(missing)
            with self._lock:
                if len(self._vectors) > 512:  # a bounded cache: passages repeat across questions
                    self._vectors.clear()
                self._vectors.update(zip(missing, vectors, strict=True))
        return [self._vectors[p] for p in passages]
