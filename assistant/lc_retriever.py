"""The hybrid search as a LangChain retriever (imported only when LangChain is wanted)."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever


class LangChainRetriever(BaseRetriever):
    """Wraps ``HybridRetriever``: Documents of the top sections' chunks, best section first."""

    hybrid: Any

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [Document(page_content=text, metadata=meta) for text, meta in self.hybrid.passages(query)]
