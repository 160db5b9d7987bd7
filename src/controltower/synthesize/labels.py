"""Labels of patterns: class-based TF-IDF key phrases and the most representative texts.

c-TF-IDF as BERTopic defines it (Grootendorst 2022, "BERTopic: Neural topic modeling with a
class-based TF-IDF procedure", eq. 1): the documents of each class are joined into one;
``W(t, c) = tf(t, c) * log(1 + A / f(t))`` with ``tf(t, c)`` the frequency of term ``t``
in class ``c`` (L1-normalised per class), ``f(t)`` its frequency over all classes and ``A``
the average number of words per class.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
from numpy.typing import NDArray
from sklearn.feature_extraction.text import CountVectorizer

_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
"""Kana, CJK ideographs and Hangul: scripts written without spaces between words."""
_TOKEN = rf"(?u)[{_CJK}]|\b[^\W\d_{_CJK}][\w\-\+]+\b"
"""A word of two or more characters starting with a letter of any script, or one CJK
character (CJK runs have no spaces; their 1-3 character n-grams stand for words)."""
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+\.\w+", re.IGNORECASE)
"""Links and e-mail addresses: they name no need, and would label a pattern ``com``."""
_CJK_GAP = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")


def _prepare(text: str) -> str:
    return _NOISE.sub(" ", text)


def class_tfidf_phrases(
    documents_per_class: Sequence[Sequence[str]], *, top: int = 6, ngram_max: int = 3
) -> list[list[str]]:
    """Return the top key phrases of each class by c-TF-IDF over 1..``ngram_max``-grams.

    A phrase contained in a better-ranked phrase of the same class (``sso`` inside
    ``okta sso``) is dropped so that the list says more.

    Args:
        documents_per_class: The texts of each class.
        top: Phrases per class.
        ngram_max: Longest phrase, in words.

    Returns:
        One list of phrases per class, best first (empty for a class with no words).
    """
    joined = [" ".join(_prepare(text) for text in texts) for texts in documents_per_class]
    if not any(text.strip() for text in joined):
        return [[] for _ in joined]
    vectorizer = CountVectorizer(
        ngram_range=(1, ngram_max), stop_words="english", token_pattern=_TOKEN, lowercase=True
    )
    try:
        counts = vectorizer.fit_transform(joined).astype(np.float64)
    except ValueError:  # only stop words
        return [[] for _ in joined]
    terms = vectorizer.get_feature_names_out()
    per_class = np.asarray(counts.sum(axis=1)).ravel()
    totals = np.asarray(counts.sum(axis=0)).ravel()
    words_per_class = float(per_class.mean())
    idf = np.log(1.0 + words_per_class / np.maximum(totals, 1.0))
    tf = counts.multiply(1.0 / np.maximum(per_class, 1.0)[:, None]).tocsr()
    weights = tf.multiply(idf[None, :]).tocsr()
    result: list[list[str]] = []
    for row in range(weights.shape[0]):
        line = weights.getrow(row)
        order = np.argsort(-line.data, kind="stable")
        # Lazily: only the best terms are read until ``top`` distinct phrases are found.
        # CJK n-grams lose the spaces the tokenizer put between their characters, and a
        # single CJK character says too little on its own.
        phrases = (_CJK_GAP.sub("", t) for t in terms[line.indices[order]])
        result.append(_distinct((t for t in phrases if len(t) > 1), top))
    return result


def _distinct(phrases: Iterable[str], top: int) -> list[str]:
    chosen: list[str] = []
    for phrase in phrases:
        if any(_contains(kept, phrase) or _contains(phrase, kept) for kept in chosen):
            continue
        chosen.append(phrase)
        if len(chosen) == top:
            break
    return chosen


def _contains(longer: str, shorter: str) -> bool:
    return f" {shorter} " in f" {longer} "


def label_from_phrases(phrases: Sequence[str], *, words: int = 3) -> str:
    """A short human label from the best key phrases (``okta sso / scim``)."""
    return " / ".join(phrases[:words]) if phrases else "(no words)"


def representatives(vectors: NDArray[np.float32], *, count: int = 3) -> list[int]:
    """Indices of the ``count`` rows closest (by cosine) to the centroid of ``vectors``."""
    if len(vectors) == 0:
        return []
    centroid = vectors.mean(axis=0)
    norm = float(np.linalg.norm(centroid))
    if norm > 0:
        centroid = centroid / norm
    scores = vectors @ centroid
    return [int(i) for i in np.argsort(-scores, kind="stable")[:count]]
