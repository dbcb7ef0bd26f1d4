"""Real German text for the scale benchmark: Debian's documentation packages, chunked by the
product's own chunker, embedded once with the configured model and cached, then varied.

Source: ``developers-reference-de`` and ``debian-edu-doc-de`` extracted to /tmp/debdocs::

    cd /tmp && apt-get download developers-reference-de debian-edu-doc-de \
      && mkdir -p /tmp/debdocs && for f in *.deb; do dpkg -x $f /tmp/debdocs; done
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from lxml import html as lxml_html

DEBDOCS = Path("/tmp/debdocs/usr/share")
SOURCES = [
    "developers-reference/de/developers-reference.html",
    "doc/debian-edu-doc-de/debian-edu-bookworm-manual.html",
]
_BLOCKS = {"p", "li", "dd", "dt", "pre", "td", "th", "blockquote"}
_HEADINGS = {"h1", "h2", "h3", "h4"}


def html_to_markdown(path: Path) -> str:
    """Headings as Markdown headings, block elements as paragraphs (enough for chunking)."""
    tree = lxml_html.parse(str(path))
    for bad in tree.xpath("//script|//style|//nav|//*[contains(@class,'sphinxsidebar')]"):
        bad.drop_tree()
    out: list[str] = []
    for el in tree.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        if tag in _HEADINGS:
            text = " ".join(el.text_content().split()).rstrip("¶").strip()
            if text:
                out.append(f"## {text}")
        elif tag in _BLOCKS and not any(a.tag in _BLOCKS for a in el.iterancestors()):
            text = " ".join(el.text_content().split())
            if len(text) > 20:
                out.append(text)
    return "\n\n".join(out)


@dataclass
class RealChunk:
    """One chunk of real text with its sentences, as the product's chunker cut it."""

    text: str
    section_title: str
    sentences: list[str]
    lang: str
    source: int  # which of ``SOURCES``


def real_chunks() -> list[RealChunk]:
    """Every chunk of the Debian documents (German), in document order."""
    from assistant import corpus
    from assistant.chunking import chunk_document
    from assistant.config import Settings

    if hasattr(corpus, "user_document_from_text"):  # the tree before assistant/extract (older design)
        user_document_from_text = corpus.user_document_from_text
    else:
        from assistant.extract import user_document_from_text

    s = Settings()
    out: list[RealChunk] = []
    for n, rel in enumerate(SOURCES):
        path = DEBDOCS / rel
        doc = user_document_from_text(path.name, html_to_markdown(path), detect_lang=lambda _t: "de")
        for c in chunk_document(doc, s.chunk_tokens, s.chunk_overlap_sentences, s.encoding_name):
            out.append(RealChunk(c.text, c.section_title, list(c.sentences), c.lang, n))
    return out


_WORD = re.compile(r"\b([A-Za-zÄÖÜäöüß]{5,})\b")
_SYLLABLES = ["ka", "ro", "mel", "tan", "ber", "li", "gen", "sto", "wa", "ner", "fu", "dal", "ke", "mi"]


def _variant(word: str, replica: int) -> str:
    """A new but German-looking word type, stable for (word, replica)."""
    h = int(hashlib.blake2b(f"{word}|{replica}".encode(), digest_size=4).hexdigest(), 16)
    return word + _SYLLABLES[h % 14] + _SYLLABLES[(h // 14) % 14] + str((h // 196) % 7 or "")


def vary_text(text: str, replica: int, share: float = 0.12) -> str:
    """Replica 0 is the real text; later replicas replace a share of the longer words with new
    word types (stable per replica), so BM25's vocabulary keeps growing as in a real library."""
    if replica == 0:
        return text

    def swap(m: re.Match) -> str:
        w = m.group(1)
        h = int(hashlib.blake2b(f"{w}|{replica}|s".encode(), digest_size=2).hexdigest(), 16)
        return _variant(w, replica) if h / 65535 < share else w

    return _WORD.sub(swap, text)


def vary_vectors(vectors: np.ndarray, replica: int, noise: float = 0.02) -> np.ndarray:
    """Replica 0 as embedded; later replicas perturbed (cosine ≈ 0.93 to the original) and
    renormalised, so replicas are near but not identical neighbours."""
    if replica == 0:
        return vectors
    rng = np.random.default_rng(replica)
    v = vectors + rng.normal(0.0, noise, vectors.shape).astype(np.float32)
    return (v / np.linalg.norm(v, axis=1, keepdims=True)).astype(np.float32)


QUERIES = [
    "Welche Mailingliste sollte ich zuerst abonnieren?",
    "Wie melde ich ein neues Paket mit einem ITP-Fehlerbericht an?",
    "Wie lade ich ein Paket in die Distribution experimental hoch?",
    "Was muss ich bei einem Sicherheitsupdate beachten?",
    "Wie richte ich einen LTSP-Server für Thin Clients ein?",
    "Wie ändere ich das Passwort eines Benutzers in GOsa?",
    "Was ist ein Non-Maintainer-Upload und wann ist er erlaubt?",
    "Wie erstelle ich eine Sicherung mit slbackup?",
    "Welche Rechner-Profile bietet Debian Edu bei der Installation?",
    "Wie übergebe ich ein verwaistes Paket an einen neuen Betreuer?",
    "Wie verwende ich debconf-Vorlagen richtig?",
    "Wo finde ich die Paketbeschreibung und wie schreibe ich sie gut?",
    "Wie funktioniert die Migration von unstable nach testing?",
    "Welche Aufgaben hat das Release-Team?",
    "Wie füge ich einen Drucker im Netzwerk hinzu?",
    "Wie beantrage ich ein Konto als Debian-Entwickler?",
    "How do I report a bug against a package?",
    "Which tools help to check a package for policy violations?",
    "Wie übersetze ich Paketbeschreibungen ins Deutsche?",
    "Was passiert mit Paketen, die aus dem Archiv entfernt werden?",
]


def cached_vectors(chunks: list[RealChunk], out_dir: Path, embed_max: int = 96) -> dict[str, np.ndarray]:
    """Chunk vectors (section title + text, as the index embeds them) and query vectors, embedded
    once with the configured model and kept in ``out_dir`` (saved after every batch, so an
    interrupted run continues).

    On this shared 2-core machine the model manages ~1 chunk/s, so only the first ``embed_max``
    chunks are embedded; every later chunk takes a perturbed copy of an embedded one, and each
    sentence a perturbed copy of its chunk's vector. Costs do not depend on the values.
    """
    from assistant.config import Settings
    from assistant.embeddings import get_embeddings

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "scale_vectors.npz"
    saved = dict(np.load(path)) if path.is_file() else {}
    known = dict(zip(saved.get("hashes", []), saved.get("chunks", []), strict=True))
    texts = [f"{c.section_title}\n{c.text}" for c in chunks[:embed_max]]
    hashes = [hashlib.sha1(t.encode()).hexdigest() for t in texts]
    missing = [i for i, h in enumerate(hashes) if h not in known]
    emb = get_embeddings(Settings()) if missing or "queries" not in saved else None
    for i in range(0, len(missing), 16):
        part = missing[i : i + 16]
        for j, vec in zip(part, emb.encode_passages([texts[j] for j in part]), strict=True):
            known[hashes[j]] = vec.astype(np.float32)
        saved.update(hashes=np.array(list(known)), chunks=np.vstack(list(known.values())))
        np.savez(path, **saved)
        print(f"  embedded {min(i + 16, len(missing))}/{len(missing)} chunks", flush=True)
    if "queries" not in saved:
        saved["queries"] = np.vstack([emb.encode_query(q) for q in QUERIES]).astype(np.float32)
        np.savez(path, **saved)
    done = np.vstack([known[h] for h in hashes])
    base = done[np.arange(len(chunks)) % len(done)]  # chunk i (i >= embed_max) copies i % embed_max
    chunk_vecs = (
        np.vstack([done, vary_vectors(base[len(done) :], 10_000)]) if len(chunks) > len(done) else done
    )
    sentences = list(dict.fromkeys(s for c in chunks for s in c.sentences))
    owner = {}
    for i, c in enumerate(chunks):
        for s in c.sentences:
            owner.setdefault(s, i)
    sent_vecs = vary_vectors(chunk_vecs[[owner[s] for s in sentences]], 20_000, noise=0.03)
    return {"chunks": chunk_vecs, "sentences": sent_vecs, "queries": saved["queries"]}
