"""Command-line interface: a thin layer over ``assistant.chain`` and friends."""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn

from .config import get_settings

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="KI-Beratungsassistent der Zukunftszentren (offline, mit Quellenangaben).",
)
index_app = typer.Typer(no_args_is_help=True, help="Index bauen und prüfen.")
rails_app = typer.Typer(no_args_is_help=True, help="Guardrails messen und kalibrieren.")
feedback_app = typer.Typer(no_args_is_help=True, help="Feedback aus der Web-Oberfläche.")
docs_app = typer.Typer(no_args_is_help=True, help="Bibliothek: Dokumente auflisten und entfernen.")
app.add_typer(index_app, name="index")
app.add_typer(rails_app, name="rails")
app.add_typer(feedback_app, name="feedback")
app.add_typer(docs_app, name="docs")
err = Console(stderr=True)
out = Console()


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]Fehler:[/] {message}")
    raise typer.Exit(code)


def _progress():
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        console=err,
        transient=True,
    )


@contextmanager
def _ingest_progress():
    """A ``(done, total, what)`` callback: a live bar with rate and time left on a terminal,
    a plain line every few seconds otherwise (logs, pipes, CI)."""
    from .progress import PlainReporter, ProgressMeter

    if not err.is_terminal:
        yield PlainReporter(
            lambda line: err.print(line, markup=False, highlight=False), get_settings().progress_interval
        )
        return
    meter = ProgressMeter()
    with Progress(TextColumn("{task.description}"), BarColumn(), console=err, transient=True) as bar:
        task = bar.add_task("…", total=1)

        def report(done: int, total: int, what: str) -> None:
            meter.update(done, total, what)
            bar.update(task, completed=done, total=max(total, 1), description=meter.line())

        yield report


def _assistant():
    from .chain import Assistant
    from .corpus import CorpusError
    from .embeddings import EmbeddingError
    from .rails import RailsConfigError

    try:
        return Assistant(get_settings())
    except (CorpusError, EmbeddingError, RailsConfigError) as exc:
        _fail(str(exc))


def _user_errors():
    from .chain import UserInputError
    from .corpus import CorpusError

    return (UserInputError, CorpusError)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Die Frage / the question")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Ein JSON-Objekt ausgeben (Schema: README).")
    ] = False,
) -> None:
    """Eine Frage beantworten, mit Quellen."""
    from .startup import collector_paused

    with collector_paused():  # a one-shot answer: start-up objects are never garbage
        assistant = _assistant()
        try:
            answer = assistant.ask(question)
        except _user_errors() as exc:
            _fail(str(exc))
    if as_json:
        sys.stdout.write(json.dumps(answer.to_json(), ensure_ascii=False, indent=2) + "\n")
    else:
        out.print(answer.render(), markup=False, highlight=False)


@app.command()
def chat() -> None:
    """Interaktiver Chat im Terminal (Folgefragen beziehen sich auf den Verlauf)."""
    from .startup import collector_paused

    with collector_paused():
        assistant = _assistant()
    history: list[dict[str, str]] = []
    out.print(
        "Fragen Sie etwas zur KI-Beratung (leere Zeile oder Strg+D beendet). "
        "Ein Werkzeug für Menschen – Entscheidungen bleiben bei Ihnen; keine Rechtsberatung.\n"
    )
    while True:
        try:
            question = input("Sie: ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        try:
            answer = assistant.ask(question, history)
        except _user_errors() as exc:
            err.print(str(exc))
            continue
        out.print("\n" + answer.render() + "\n", markup=False, highlight=False)
        history += [
            {"role": "user", "content": answer.question},
            {"role": "assistant", "content": answer.text},
        ]


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help=".md/.txt/.pdf/.docx Dateien oder Ordner")],
) -> None:
    """Eigene Dokumente in den Index aufnehmen (Art: user); geänderte Dateien ersetzen nur Geändertes."""
    from .ingest import ingest_files

    files = _expand(paths)
    if not files:
        _fail("Keine unterstützten Dateien gefunden (.md, .txt, .pdf, .docx).")
    try:
        with _ingest_progress() as report:
            result = ingest_files(get_settings(), files, progress=report)
    except KeyboardInterrupt:
        _fail(
            "Abgebrochen. Fertig aufgenommene Dokumente bleiben vollständig, alle anderen sind "
            "nicht sichtbar; berechnete Vektoren sind gespeichert – derselbe Befehl setzt fort.",
            130,
        )
    for name, message in result.errors.items():
        err.print(f"[yellow]Übersprungen:[/] {name}: {message}", highlight=False)
    for name, title in result.duplicates.items():
        err.print(
            f"[yellow]Schon in der Bibliothek:[/] {name} (gleicher Inhalt wie „{title}“), "
            "nicht doppelt aufgenommen.",
            highlight=False,
        )
    out.print(
        f"{len(result.documents)} Dokument(e) aufgenommen: {result.report.added} neue Abschnitte, "
        f"{result.report.removed} entfernt, {result.report.unchanged} unverändert."
    )
    if result.report.sentences_pending:
        out.print(
            f"Durchsuchbar; Satzvektoren für {result.report.sentences_pending} Abschnitte folgen "
            "beim nächsten 'assistant ingest' oder 'assistant index build'."
        )
    if result.errors and not result.documents:
        raise typer.Exit(2)


def _expand(paths: list[Path]) -> list[Path]:
    from .corpus import USER_SUFFIXES

    files = []
    for path in paths:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.suffix.lower() in USER_SUFFIXES)
        else:
            files.append(path)
    return files


@index_app.command("build")
def index_build() -> None:
    """Index für das mitgelieferte Korpus bauen oder aktualisieren (idempotent)."""
    from .index import build_index

    with _ingest_progress() as progress:
        index, report = build_index(get_settings(), progress=progress)
    from .rails import load_rails

    load_rails(get_settings(), index.embeddings)  # fits the rail model here if its inputs changed
    from .views import get_views

    get_views(index, index.version())  # stores the search views, so no start has to build them
    state = "neu aufgebaut" if report.rebuilt else "aktualisiert"
    out.print(
        f"Index {state}: {report.added} hinzugefügt, {report.removed} entfernt, "
        f"{report.unchanged} unverändert."
    )


@index_app.command("status")
def index_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Dokumente, Abschnitte nach Art, Modell und letzte Aktualisierung."""
    from .index import Index

    status = Index(get_settings()).status()
    if as_json:
        sys.stdout.write(json.dumps(status.__dict__, ensure_ascii=False, indent=2) + "\n")
        return
    out.print(f"Dokumente: {len(status.documents)}")
    for kind, n in status.chunks_by_kind.items():
        out.print(f"  Chunks ({kind}): {n}")
    out.print(f"Chunks gesamt: {status.total_chunks}; Sätze: {status.sentences}")
    out.print(f"Modell: {status.model}")
    out.print(
        f"Zuletzt gebaut: {status.built_at}"
        + ("  [veraltet – 'assistant index build']" if status.stale else ""),
        markup=False,
    )
    if status.sentences_pending:
        pending = sum(status.sentences_pending.values())
        out.print(
            f"Satzvektoren ausstehend: {pending} Abschnitte "
            "(durchsuchbar; 'assistant index build' ergänzt sie)"
        )
    if status.staged_chunks or status.staged_sentences:
        out.print(
            f"Nicht übernommene Reste eines abgebrochenen Schreibvorgangs: {status.staged_chunks} Chunks, "
            f"{status.staged_sentences} Sätze (unsichtbar; beim nächsten Schreiben entfernt)"
        )
    if status.consistent:
        out.print("Konsistenz: in Ordnung")
    else:
        for problem in status.problems:
            err.print(f"[red]Inkonsistent:[/] {problem}", highlight=False)
        _fail("Der Index ist inkonsistent. 'assistant index build' baut die betroffenen Dokumente neu.", 1)


@index_app.command("remove")
def index_remove(doc_ids: list[str]) -> None:
    """Eigene Dokumente aus dem Index entfernen (wie 'assistant docs remove')."""
    docs_remove(doc_ids)


@docs_app.command("list")
def docs_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Alle Dokumente: Titel, Art, Seiten, Abschnitte, hinzugefügt, Quelle."""
    from rich.table import Table

    from .index import Index

    docs = Index(get_settings()).documents()
    if as_json:
        rows = [
            {k: getattr(d, k) for k in ("doc_id", "title", "kind", "pages", "added", "source")}
            | {"chunks": len(d.chunk_ids), "sentences_pending": len(d.pending)}
            for d in docs
        ]
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2) + "\n")
        return
    head = ("Titel", "Art", "Seiten", "Abschnitte", "Hinzugefügt", "Quelle", "doc_id")
    rows = [
        (d.title, d.kind, str(d.pages or "–"), str(len(d.chunk_ids)), d.added[:16], d.source, d.doc_id)
        for d in docs
    ]
    if not out.is_terminal:  # pipes and logs: one tab-separated line per document
        sys.stdout.write("\n".join("\t".join(r) for r in [head, *rows]) + "\n")
        return
    table = Table(*head)
    for row in rows:
        table.add_row(*row)
    out.print(table)


@docs_app.command("remove")
def docs_remove(
    names: Annotated[list[str], typer.Argument(help="doc_id, Dateiname, Pfad oder Titel ('docs list')")],
) -> None:
    """Eigene Dokumente aus dem Index und der Bibliothek entfernen."""
    from .index import Index
    from .ingest import find_documents, remove_user_documents

    settings = get_settings()
    index = Index(settings)
    found, missing = find_documents(index, names)
    shipped = [d for d in found if d.kind != "user"]
    for name in missing:
        err.print(f"[yellow]Nicht gefunden:[/] {name} – 'assistant docs list' zeigt die Namen.")
    for d in shipped:
        err.print(f"[yellow]Nicht entfernt:[/] {d.title} gehört zum mitgelieferten Korpus (Art {d.kind}).")
    users = [d for d in found if d.kind == "user"]
    if not users:
        _fail("Kein eigenes Dokument zum Entfernen gefunden.")
    removed = remove_user_documents(settings, [d.doc_id for d in users], index=index)
    titles = ", ".join(d.title for d in users)
    out.print(f"{len(users)} Dokument(e) entfernt ({removed} Abschnitte): {titles}")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Adresse (Standard 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (Standard 7860)")] = None,
) -> None:
    """Web-Chat starten (Gradio)."""
    from concurrent.futures import ThreadPoolExecutor

    def warmed():
        from .errors import SERVICE_ERRORS
        from .startup import preload_plotting

        assistant = _assistant()
        assistant.warm_up()
        preload_plotting()  # what Gradio's first request would import
        try:  # the first page's status line (Chroma reads, outside the interpreter lock)
            status = assistant.index.status()
        except SERVICE_ERRORS:
            status = None  # the page reads it again and shows the error
        return assistant, status

    from .startup import collector_paused

    # The model loads, the first answers run and the index status is read (much of it outside
    # the interpreter lock) while Gradio is imported: start-up takes less than their sum.
    with collector_paused():  # resumes, with the start-up objects frozen, once ready
        with ThreadPoolExecutor(1, thread_name_prefix="warm-up") as pool:
            pending = pool.submit(warmed)
            from .web import launch

            assistant, status = pending.result()
        settings = get_settings()
        demo = launch(settings, host, port, prevent_thread_lock=True, assistant=assistant, status=status)
    demo.block_thread()


@app.command()
def cluster(
    workers: Annotated[int | None, typer.Option(help="Anzahl Web-Worker (Standard 2)")] = None,
    chroma_port: Annotated[int | None, typer.Option(help="Port des Chroma-Servers (Standard 8000)")] = None,
    base_port: Annotated[int | None, typer.Option(help="Port des ersten Workers (Standard 7860)")] = None,
    host: Annotated[str | None, typer.Option(help="Adresse der Worker (Standard 127.0.0.1)")] = None,
    data: Annotated[Path | None, typer.Option(help="Gemeinsamer Ordner (Standard var/cluster)")] = None,
    build: Annotated[
        bool, typer.Option("--build", help="Index auch dann mit dem Korpus abgleichen, wenn er aktuell ist")
    ] = False,
) -> None:
    """Team-Betrieb: Chroma-Server und mehrere Web-Worker starten; Strg+C beendet alles."""
    from .cluster import Cluster, run

    settings = get_settings()
    if settings.chroma_host:
        _fail("`assistant cluster` starts its own Chroma server: unset ASSISTANT_CHROMA_HOST.")
    node = Cluster(settings, workers, host, chroma_port, base_port, data, build=build, echo=out.print)
    raise typer.Exit(run(node))


@app.command("eval")
def eval_cmd(
    eval_set: Annotated[Path, typer.Argument(help="Eval-Set (JSON Lines)")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="Ausgabeordner")] = None,
    profile: Annotated[str, typer.Option(help="default | naive")] = "default",
    compare: Annotated[Path | None, typer.Option(help="Ordner eines früheren Laufs")] = None,
    check: Annotated[bool, typer.Option("--check", help="Gegen evals/thresholds.toml prüfen")] = False,
    skip_invalid: Annotated[bool, typer.Option("--skip-invalid")] = False,
    rails: Annotated[Path | None, typer.Option("--rails", help="Labelled rail set to report too")] = None,
    generator: Annotated[
        str | None, typer.Option(help="extractive | openai | ollama (Endpunkt aus den Einstellungen)")
    ] = None,
    llm_judge: Annotated[
        bool, typer.Option(help="Mit Sprachmodell: Treue und Korrektheit vom Modell beurteilen lassen")
    ] = True,
) -> None:
    """Eval-Set durch die ganze Pipeline laufen lassen; Metriken, Berichte, optional Gate."""
    from . import evals

    if profile not in ("default", "naive"):
        _fail("--profile must be 'default' or 'naive'.")
    try:
        items = evals.load_eval_set(eval_set, skip_invalid=skip_invalid)
    except evals.EvalSetError as exc:
        _fail(str(exc))
    out_dir = out_dir or Path("evals/runs") / f"{eval_set.stem}-{profile}"
    with _progress() as progress:
        task = progress.add_task(f"Eval ({profile})", total=len(items))
        settings = get_settings()
        if generator:
            if generator not in ("extractive", "openai", "ollama"):
                _fail("--generator must be 'extractive', 'openai' or 'ollama'.")
            settings = settings.model_copy(update={"generator": generator})
        run = evals.run_eval(
            settings,
            items,
            profile=profile,
            progress=lambda: progress.advance(task),
            rails_set=rails,
            llm_judge=llm_judge,
        )
    evals.write_reports(run, out_dir)
    out.print(evals.summary_table(run.summary))
    out.print(f"\nBerichte: {out_dir}/report.md, report.html, results.jsonl, summary.json")
    if compare:
        out.print(evals.compare_runs(out_dir, compare))
    if check:
        failures = evals.check_thresholds(run.summary, Path("evals/thresholds.toml"))
        if failures:
            for f in failures:
                err.print(f"[red]unter Schwelle:[/] {f}")
            raise typer.Exit(1)
        out.print("Alle Schwellen erreicht.")


@rails_app.command("eval")
def rails_eval(labelled: Path) -> None:
    """Recall je Guardrail und Fehlalarme auf normalen Fragen messen."""
    from .rails_eval import evaluate_rails, load_labelled

    report = evaluate_rails(_assistant(), load_labelled(labelled))
    out.print(report.table())
    out.print(json.dumps(report.latency_ms, indent=2))
    for fp in report.false_positives:
        out.print(f"FP {fp['id']}: {fp['fired']} – {fp['text'][:90]}", markup=False)
    for miss in report.misses:
        out.print(f"MISS {miss['id']}: {miss['rail']} (fired {miss['fired']})", markup=False)


@rails_app.command("calibrate")
def rails_calibrate(
    labelled: Path,
    max_fp: Annotated[
        float, typer.Option(help="Erlaubter Fehlalarm-Anteil je Guardrail (fünf Rails: etwa 5× insgesamt)")
    ] = 0.005,
) -> None:
    """Schwellen aus einem Entwicklungs-Set vorschlagen (nie aus dem Test-Set)."""
    from .rails_eval import calibrate, load_labelled

    out.print(json.dumps(calibrate(_assistant(), load_labelled(labelled), max_fp_share=max_fp), indent=2))


@feedback_app.command("export")
def feedback_export(
    fmt: Annotated[str, typer.Option("--format", help="csv | jsonl")] = "jsonl",
    dest: Annotated[Path | None, typer.Option("--out", help="Datei (Standard: stdout)")] = None,
) -> None:
    """Feedback (PII-bereinigt) exportieren."""
    from .feedback import FeedbackStore

    if fmt not in ("csv", "jsonl"):
        _fail("--format must be csv or jsonl.")
    text = FeedbackStore(get_settings().feedback_path).export(fmt)
    if dest:
        dest.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


def main() -> None:
    from rich.markup import escape

    from .errors import SERVICE_ERRORS

    try:
        app()
    except SERVICE_ERRORS as exc:
        err.print(f"[bold red]Fehler:[/] {escape(str(exc))}", highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
