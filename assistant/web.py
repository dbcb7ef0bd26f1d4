"""Gradio web chat: streaming cited answers, sources panel, feedback, uploads, index status.

Thin UI over ``assistant.chain.Assistant``; every text the user sees comes from
``prompts/ui.yaml`` or the core. User- and document-supplied text is HTML-escaped, so
markup in a question, answer or upload is shown as text and never executed.
"""

from __future__ import annotations

import html
import ipaddress
import re
import sys
from pathlib import Path
from typing import Any

import gradio as gr
import yaml

from . import web_library as library
from .chain import Answer, Assistant, UserInputError
from .config import Settings
from .errors import SERVICE_ERRORS as _SERVICE_ERRORS  # shown as messages, never a traceback
from .feedback import FeedbackStore
from .index import IndexStatus
from .startup import preload_plotting
from .web_library import library_rows, own_documents, scope_choices, scope_of

_CSS = """
.sources-scroll { max-height: 62vh; overflow-y: auto; padding-right: 4px; }
.src { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
       margin-bottom: 8px; }
.src.flash { outline: 3px solid var(--color-accent); }
.src-head { font-weight: 600; margin-bottom: 4px; }
.src mark { background: #fff3b0; color: inherit; padding: 0 1px; }
.notice { font-size: 0.9em; opacity: 0.85; }
"""
# Clicking a citation link "[n]" in an answer scrolls the sources panel to that source.
_JS = """
() => {
  document.addEventListener('click', (e) => {
    const a = e.target.closest('a[href^="#src-"]');
    if (!a) return;
    e.preventDefault(); e.stopPropagation();
    const el = document.getElementById(a.getAttribute('href').slice(1));
    if (el) {
      el.scrollIntoView({behavior: 'smooth', block: 'nearest'});
      el.classList.add('flash'); setTimeout(() => el.classList.remove('flash'), 1500);
    }
  }, true);
}
"""


def load_ui_text(settings: Settings) -> dict[str, Any]:
    return yaml.safe_load((settings.prompts_dir / "ui.yaml").read_text(encoding="utf-8"))


def escape_md(text: str) -> str:
    """Show text literally in the Markdown chat: escape HTML and Markdown link syntax."""
    return html.escape(text, quote=False).replace("[", "\\[").replace("]", "\\]")


def answer_markdown(answer: Answer, partial: str | None = None) -> str:
    """Answer text for the chat, citations as in-page links to the sources panel."""
    text = escape_md(partial if partial is not None else answer.render())
    return re.sub(r"\\\[(\d+)\\\]", r"[[\1]](#src-\1)", text)


def sources_html(answer: Answer | None, ui: dict[str, Any]) -> str:
    """Sources panel: each cited passage with id, title, kind and the cited sentences highlighted."""
    if answer is None or not answer.citations:
        return f"<div id='sources-empty'>{html.escape(ui['no_sources'])}</div>"
    parts = []
    for c in answer.citations:
        body = html.escape(c.text)
        for sentence in sorted(c.highlights, key=len, reverse=True):
            escaped = html.escape(sentence)
            if escaped in body:
                body = body.replace(escaped, f"<mark>{escaped}</mark>", 1)
        body = body.replace("\n\n", "<br><br>")
        parts.append(
            f"<div class='src' id='src-{c.n}' data-section='{html.escape(c.section)}'>"
            f"<div class='src-head'>[{c.n}] {html.escape(c.label(answer.language))}</div>"
            f"<div class='src-body'>{body}</div></div>"
        )
    return "<div class='sources-scroll'>" + "\n".join(parts) + "</div>"


def status_markdown(assistant: Assistant, ui: dict[str, Any], status: IndexStatus | None = None) -> str:
    """The index status line; ``status`` if already read (``assistant serve`` reads it while
    Gradio imports), else read now."""
    try:
        status = status or assistant.index.status()
    except _SERVICE_ERRORS as exc:
        return f"⚠️ {html.escape(str(exc))}"
    kinds = ", ".join(f"{ui['kinds'].get(k, k)}: {v}" for k, v in status.chunks_by_kind.items())
    return ui["status"].format(
        docs=len(status.documents),
        chunks=status.total_chunks,
        kinds=kinds,
        model=status.model,
        built=status.built_at,
    )


def parse_auth(value: str | None) -> list[tuple[str, str]] | None:
    """``user:pass,user2:pass2`` or a path to a file with one ``user:pass`` per line."""
    if not value:
        return None
    path = Path(value)
    raw = path.read_text(encoding="utf-8").splitlines() if path.is_file() else value.split(",")
    pairs = [tuple(x.strip().split(":", 1)) for x in raw if ":" in x]
    if not pairs:
        raise ValueError("ASSISTANT_AUTH must be 'user:password[,user2:password2]' or a file of such lines.")
    return [(u, p) for u, p in pairs]


def build_app(assistant: Assistant, settings: Settings, status: IndexStatus | None = None) -> gr.Blocks:
    """The Blocks app (also used by tests without launching a browser); ``status``: the index
    status for the first page, if already read."""
    texts = load_ui_text(settings)
    store = FeedbackStore(settings.feedback_path, settings.sqlite_busy_timeout)
    library.complete_sentences_in_background(assistant.index)  # left pending by a stopped ingest
    docs = assistant.index.documents()  # one manifest read for the first page's library and filter

    def respond(message: str, chat: list[dict], answers: list[dict], scope: str | None = None):
        message = (message or "").strip()
        if not message:
            yield chat, answers, gr.update(), ""
            return
        # The chat holds exactly one (question, answer) pair per record, so the history the
        # core resolves follow-ups against comes straight from the records (already redacted).
        history = [
            turn
            for a in answers
            for turn in (
                {"role": "user", "content": a["question"]},
                {"role": "assistant", "content": a["answer"]},
            )
        ]
        try:
            stream = assistant.stream(message, history, scope_of(scope))
            shown_q = escape_md(message)
            for partial, answer in stream:
                if answer is None:
                    yield (
                        chat
                        + [
                            {"role": "user", "content": shown_q},
                            {"role": "assistant", "content": answer_markdown(None, partial)},
                        ],
                        answers,
                        gr.update(),
                        "",
                    )
                    continue
                shown_q = escape_md(answer.question) if answer.notices else shown_q
                record = {
                    "question": answer.question,
                    "answer": answer.text,
                    "language": answer.language,
                    "rails": [h.name for h in answer.rails],
                    "feedback_id": None,
                }
                chat = chat + [
                    {"role": "user", "content": shown_q},
                    {"role": "assistant", "content": answer_markdown(answer)},
                ]
                yield chat, answers + [record], sources_html(answer, texts[answer.language]), ""
        except (UserInputError, *_SERVICE_ERRORS) as exc:
            gr.Warning(str(exc))  # shown as a notice; the chat keeps its question/answer pairs
            yield chat, answers, gr.update(), message

    def chat_api(message: str, history: list[dict] | None = None) -> str:
        """Answer one message; returns the answer text with [n] citations and the source list."""
        try:
            return assistant.ask(message, history or []).render()
        except (UserInputError, *_SERVICE_ERRORS) as exc:
            return str(exc)

    def on_like(answers: list[dict], data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        position = int(index) // 2
        if position >= len(answers):
            return answers, ""
        record = answers[position]
        record["feedback_id"] = store.add(
            1 if data.liked else -1,
            record["question"],
            record["answer"],
            language=record["language"],
            rails=record["rails"],
        )
        answers[position] = record
        return answers, texts["de"]["feedback_thanks"]

    def on_comment(comment: str, answers: list[dict], lang: str):
        ui = texts["en" if lang == "English" else "de"]
        rated = [a for a in answers if a.get("feedback_id")]
        if not rated:
            return ui["feedback_first"], comment
        store.set_comment(rated[-1]["feedback_id"], comment or "")
        return ui["feedback_thanks"], ""

    def library_view(ui: dict[str, Any], scope: str | None = None):
        """Status line, library table, remove choices and search-filter choices, up to date."""
        docs = assistant.index.documents()  # one manifest read for the table and both choices
        own = [(d.title, d.doc_id) for d in own_documents(docs)]
        choices = scope_choices(docs, ui)
        keep = scope if scope in {v for _, v in choices} else "all"
        return (
            status_markdown(assistant, ui),
            gr.update(value=library_rows(docs, ui)),
            gr.update(choices=own, value=None),
            gr.update(choices=choices, value=keep),
        )

    def on_upload(files, lang: str, progress=gr.Progress()):
        ui = texts["en" if lang == "English" else "de"]
        try:
            message = library.upload(assistant.index, settings, files, ui, progress)
        except _SERVICE_ERRORS as exc:
            message = f"⚠️ {html.escape(str(exc))}"
        return message, status_markdown(assistant, ui)

    def on_library(lang: str, scope: str):
        return library_view(texts["en" if lang == "English" else "de"], scope)

    def on_remove(doc_id: str | None, lang: str, scope: str, request: gr.Request):
        ui = texts["en" if lang == "English" else "de"]
        username = getattr(request, "username", None) if request is not None else None
        try:
            message = library.remove(assistant.index, settings, doc_id, ui, username)
        except _SERVICE_ERRORS as exc:
            message = f"⚠️ {html.escape(str(exc))}"
        return (message, *library_view(ui, scope))

    def on_language(lang: str):
        ui = texts["en" if lang == "English" else "de"]
        return (
            f"## {ui['title']}\n{ui['subtitle']}",
            f"<div class='notice' id='notice'>ℹ️ {html.escape(ui['notice'])}</div>",
            gr.update(placeholder=ui["placeholder"]),
            gr.update(value=ui["send"]),
            gr.update(value=ui["new"]),
            gr.update(label=ui["feedback_comment"]),
            gr.update(value=ui["feedback_send"]),
            f"### {ui['sources']}",
            status_markdown(assistant, ui),
            gr.update(label=ui["upload"]),
            gr.update(value=ui["upload_button"]),
            gr.update(label=ui["library"]),
            gr.update(label=ui["scope"], choices=scope_choices(assistant.index.documents(), ui)),
        )

    de = texts["de"]
    with gr.Blocks(title=de["title"], analytics_enabled=False) as demo:
        answers = gr.State([])
        with gr.Row():
            header = gr.Markdown(f"## {de['title']}\n{de['subtitle']}")
            lang = gr.Radio(
                ["Deutsch", "English"], value="Deutsch", label=de["language"], scale=0, min_width=220
            )
        notice = gr.HTML(f"<div class='notice' id='notice'>ℹ️ {html.escape(de['notice'])}</div>")
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(
                    elem_id="chat",
                    height=520,
                    buttons=["copy", "copy_all"],
                    feedback_options=("Like", "Dislike"),
                    sanitize_html=True,
                    latex_delimiters=[],
                    label="Chat",
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder=de["placeholder"],
                        show_label=False,
                        scale=5,
                        elem_id="question",
                        lines=1,
                        max_lines=6,
                    )
                    send = gr.Button(de["send"], variant="primary", scale=1, elem_id="send")
                with gr.Row():
                    new = gr.Button(de["new"], size="sm", elem_id="new-conversation")
                gr.Examples(texts["examples"], inputs=box, label=de["examples"])
                with gr.Row():
                    comment = gr.Textbox(label=de["feedback_comment"], scale=4, elem_id="comment")
                    comment_send = gr.Button(de["feedback_send"], size="sm", scale=1, elem_id="comment-send")
                feedback_msg = gr.Markdown(elem_id="feedback-msg")
            with gr.Column(scale=2):
                sources_head = gr.Markdown(f"### {de['sources']}")
                sources = gr.HTML(sources_html(None, de), elem_id="sources")
                status = gr.Markdown(status_markdown(assistant, de, status), elem_id="index-status")
                with gr.Accordion(de["upload"], open=False) as upload_box:
                    upload = gr.File(
                        file_count="multiple", file_types=[".md", ".txt", ".pdf", ".docx"], elem_id="upload"
                    )
                    upload_btn = gr.Button(de["upload_button"], size="sm", elem_id="upload-button")
                    upload_msg = gr.Markdown(elem_id="upload-msg")
                with gr.Accordion(de["library"], open=False) as library_box:
                    library_table = gr.Dataframe(
                        value=library_rows(docs, de),
                        headers=de["library_headers"],
                        interactive=False,
                        wrap=True,
                        elem_id="library",
                    )
                    with gr.Row():
                        remove_choice = gr.Dropdown(
                            choices=[(d.title, d.doc_id) for d in own_documents(docs)],
                            label=de["remove_label"],
                            scale=3,
                            elem_id="remove-choice",
                        )
                        remove_btn = gr.Button(
                            de["remove_button"], size="sm", scale=1, elem_id="remove-button"
                        )
                    library_msg = gr.Markdown(elem_id="library-msg")
                scope = gr.Dropdown(
                    choices=scope_choices(docs, de),
                    value="all",
                    label=de["scope"],
                    elem_id="scope",
                )

        outputs = [chatbot, answers, sources, box]
        box.submit(respond, [box, chatbot, answers, scope], outputs, api_visibility="private")
        send.click(respond, [box, chatbot, answers, scope], outputs, api_visibility="private")
        new.click(lambda: ([], [], sources_html(None, de), ""), None, outputs, api_visibility="private")
        chatbot.like(on_like, [answers], [answers, feedback_msg], api_visibility="private")
        comment_send.click(
            on_comment, [comment, answers, lang], [feedback_msg, comment], api_visibility="private"
        )
        # Callable by scripts and the cluster test (with the same login as the page), not in the API docs.
        library_outputs = [status, library_table, remove_choice, scope]
        upload_btn.click(
            on_upload, [upload, lang], [upload_msg, status], api_name="upload", api_visibility="undocumented"
        ).then(on_library, [lang, scope], library_outputs, api_visibility="private")
        remove_btn.click(
            on_remove, [remove_choice, lang, scope], [library_msg, *library_outputs], api_visibility="private"
        )
        lang.change(
            on_language,
            [lang],
            [
                header,
                notice,
                box,
                send,
                new,
                comment,
                comment_send,
                sources_head,
                status,
                upload_box,
                upload_btn,
                library_box,
                scope,
            ],
            api_visibility="private",
        )
        gr.api(chat_api, api_name="chat")
    return demo


def _is_loopback(host: str) -> bool:
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def launch(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    prevent_thread_lock: bool = False,
    assistant: Assistant | None = None,
    status: IndexStatus | None = None,
):
    """Start the web chat (127.0.0.1:7860 unless configured otherwise) and say when it is ready.

    ``assistant`` may come already warmed (``assistant serve`` builds it while Gradio imports),
    with ``status``, the index status read beside it; otherwise it is built and warmed here.
    Ready is announced only after one answer has gone through the HTTP API, so no
    first-request set-up is left for a user.
    """
    host = host or settings.host
    port = port or settings.port
    auth = parse_auth(settings.auth)
    if not _is_loopback(host) and not auth:
        print(
            "\n" + "!" * 78 + f"\nWARNUNG / WARNING: the web chat listens on {host} without login.\n"
            "Anyone who can reach this machine can use it and read answers. Set ASSISTANT_AUTH\n"
            "(user:password or a file of such lines), or bind to 127.0.0.1.\n" + "!" * 78 + "\n",
            file=sys.stderr,
        )
    if assistant is None:
        assistant = Assistant(settings)
        assistant.warm_up()  # no lazy work left for the first user's question
    demo = start(assistant, settings, host, port, auth, prevent_thread_lock=True, status=status)
    local = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}/"
    with assistant.untraced(settings.warm_up_questions[:1]):
        warm_http(local, settings.warm_up_questions[0])
    print(f"Bereit / ready: http://{host}:{port}/", flush=True)
    if not prevent_thread_lock:
        demo.block_thread()
    return demo


def warm_http(url: str, question: str, timeout: float = 60.0) -> bool:
    """One answer through the ``/chat`` API (Gradio sets up its queue worker and imports on the
    first request). Best effort: with a login configured the call is refused, which is fine."""
    import json
    import urllib.request

    try:
        body = json.dumps({"data": [question, []]}).encode()
        request = urllib.request.Request(
            f"{url}gradio_api/call/chat", body, {"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            event = json.loads(response.read())["event_id"]
        with urllib.request.urlopen(f"{url}gradio_api/call/chat/{event}", timeout=timeout) as response:
            return "event: complete" in response.read().decode()
    except (OSError, ValueError, KeyError):
        return False


def start(
    assistant: Assistant,
    settings: Settings,
    host: str,
    port: int,
    auth: list[tuple[str, str]] | None = None,
    prevent_thread_lock: bool = True,
    status: IndexStatus | None = None,
):
    """Build the app and serve it (queue with a concurrency limit, no share link, no analytics)."""
    preload_plotting()  # Gradio's first request would import matplotlib (and pyplot)
    demo = build_app(assistant, settings, status)
    demo.queue(default_concurrency_limit=settings.concurrency_limit, max_size=settings.queue_size)
    demo.launch(
        server_name=host,
        server_port=port,
        share=False,
        auth=auth,
        show_error=False,
        prevent_thread_lock=prevent_thread_lock,
        css=_CSS,
        js=_JS,
        footer_links=[],
        ssr_mode=False,
        quiet=True,
    )
    return demo
