"""The report's narrative: deterministic by default, optionally written by a language model.

Both narrators start from the same structured list of :class:`Fact` s, built from the
audience's view (so a customer narrative never sees what the customer view withholds).

- :class:`DeterministicNarrator` (the default) joins each section's facts into a paragraph.
- :class:`LLMNarrator` sends the facts, and nothing else, to an OpenAI-compatible
  chat-completions endpoint and asks for one paragraph per section. Every sentence it
  returns goes through :func:`check_sentence`, the grounding check: a sentence that
  names a number or an id that is not in the facts is dropped, and the report says so.
  Paragraphs the model wrote are marked as model-written in the report.

Failure path: when the endpoint errors, times out, or answers something that is not the
JSON asked for, the LLM narrator falls back to the deterministic narrative and says why
in :attr:`Narration.note` (shown at the top of the report, and printed by the CLI); a
report is always written.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Collection, Sequence
from typing import Protocol

from pydantic import BaseModel, Field

from controltower.report.format import pct
from controltower.report.models import Paragraph, ReportView

__all__ = [
    "API_KEY_ENV",
    "NARRATIVE_SECTIONS",
    "DeterministicNarrator",
    "Fact",
    "LLMNarrator",
    "Narration",
    "Narrator",
    "NarratorError",
    "check_sentence",
    "collect_facts",
    "split_sentences",
]

API_KEY_ENV = "TOWER_LLM_API_KEY"
NARRATIVE_SECTIONS: tuple[str, ...] = (
    "brief",
    "roadmap",
    "patterns",
    "value",
    "diagnostics",
    "economics",
)


class Fact(BaseModel):
    """One fact of the analysis, in words, with the section it belongs to."""

    id: str
    section: str
    text: str


class Narration(BaseModel):
    """Narrative paragraphs per section, and a note when something went wrong."""

    sections: dict[str, list[Paragraph]] = Field(default_factory=dict)
    note: str | None = None


class Narrator(Protocol):
    """Writes the narrative of a report from its facts."""

    def narrate(self, facts: Sequence[Fact], *, known_ids: Collection[str] = ()) -> Narration:
        """One or more paragraphs per section that has facts.

        Args:
            facts: The analysis facts (all the narrative may say).
            known_ids: Every id of the plan, for the grounding check of written text.
        """
        ...


class NarratorError(Exception):
    """The language model could not be used (network, HTTP status, or answer shape)."""


# --- facts ------------------------------------------------------------------------------


class _Facts:
    def __init__(self) -> None:
        self.items: list[Fact] = []

    def add(self, section: str, text: str) -> None:
        self.items.append(Fact(id=f"F{len(self.items) + 1}", section=section, text=text))


class _Named(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


def _names(rows: Sequence[_Named], limit: int = 5) -> str:
    shown = [f"{r.name} ({r.id})" for r in rows[:limit]]
    more = len(rows) - limit
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def collect_facts(view: ReportView) -> list[Fact]:
    """The analysis facts of a view: what the narrative may say, one sentence each."""
    facts = _Facts()
    _brief_facts(view, facts)
    _roadmap_facts(view, facts)
    _pattern_facts(view, facts)
    _value_facts(view, facts)
    _diagnostic_facts(view, facts)
    if view.economics is not None and view.brief.economics:
        facts.add("economics", view.brief.economics)
    return facts.items


def _brief_facts(view: ReportView, facts: _Facts) -> None:
    build = view.brief.build
    # The brief lists only its first items; the counts are the whole roadmap's.
    now = [row for team in view.teams for row in team.now]
    later = {s: sum(len(getattr(team, s)) for team in view.teams) for s in ("next", "later")}
    facts.add(
        "brief",
        f"The plan schedules {len(now) + later['next'] + later['later']} item(s): "
        f"{len(now)} now, {later['next']} next and {later['later']} later.",
    )
    if now:
        facts.add("brief", f"Built now: {_names(now)}.")
    if build and build[0].why:
        top = build[0]
        facts.add("brief", f"The top item, {top.name} ({top.id}): {top.why}.")
    refused = [b for b in view.brief.refuse if b.when == "refused"]
    if refused:
        facts.add("brief", f"Refused: {_names(refused)}.")
    if view.brief.economics and view.economics is not None:
        facts.add("brief", view.brief.economics)
    if view.brief.risks:
        top = view.brief.risks[0]
        facts.add("brief", f"The most severe risk is {top.name} ({top.when}).")


def _roadmap_facts(view: ReportView, facts: _Facts) -> None:
    for team in view.teams:
        parts = [
            f"{status} {_names(rows)}"
            for status, rows in (("now", team.now), ("next", team.next), ("later", team.later))
            if rows
        ]
        facts.add("roadmap", f"Team {team.team} plans " + "; ".join(parts) + ".")
    busiest = max(
        view.capacity,
        key=lambda c: float(c["used"]) / float(c["usable"]) if float(c["usable"]) else 0.0,
        default=None,
    )
    if busiest is not None and float(busiest["usable"]):
        share = float(busiest["used"]) / float(busiest["usable"])
        facts.add(
            "roadmap",
            f"The busiest team-period is {busiest['team']} in {busiest['period']}, "
            f"at {pct(share)} of its usable capacity.",
        )
    unsized = sum(row.effort_weeks is None for row in view.deferred)
    sized = len(view.deferred) - unsized
    if sized:
        facts.add("roadmap", f"{sized} candidate(s) with an effort are deferred: not in this plan.")
    if unsized:
        facts.add(
            "roadmap",
            f"{unsized} candidate(s) without a team or an effort (the engine's proposals among "
            "them) wait to be sized before they can be planned.",
        )


def _pattern_facts(view: ReportView, facts: _Facts) -> None:
    if not view.patterns:
        return
    broadest = max(view.patterns, key=lambda p: p.accounts)
    facts.add(
        "patterns",
        f"The analysis found {len(view.patterns)} pattern(s); the broadest is "
        f"{broadest.label} ({broadest.id}), raised by {broadest.accounts} account(s), "
        f"trend {broadest.trend}, recommendation {broadest.recommendation}.",
    )
    counts: dict[str, int] = {}
    for p in view.patterns:
        counts[p.recommendation] = counts.get(p.recommendation, 0) + 1
    facts.add(
        "patterns",
        "Recommendations: " + ", ".join(f"{n} {r}" for r, n in sorted(counts.items())) + ".",
    )
    rising = [p for p in view.patterns if p.trend in ("emerging", "growing")]
    if rising:
        facts.add(
            "patterns",
            "Rising: " + ", ".join(f"{p.label} ({p.id}, {p.trend})" for p in rising[:5]) + ".",
        )


def _value_facts(view: ReportView, facts: _Facts) -> None:
    ranked = sorted(view.candidates, key=lambda c: -c.p50_value)[:3]
    for c in ranked:
        facts.add(
            "value",
            f"{c.name} ({c.id}) is worth P50 {c.p50} (P10 {c.p10}, P90 {c.p90}) for "
            f"{c.effort}, status {c.status}.",
        )


def _diagnostic_facts(view: ReportView, facts: _Facts) -> None:
    findings = view.findings or []
    if findings:
        counts = {s: sum(f.severity == s for f in findings) for s in ("critical", "warn", "info")}
        codes = list(dict.fromkeys(f.code for f in findings if f.severity == findings[0].severity))
        facts.add(
            "diagnostics",
            f"The diagnostics found {len(findings)} failure mode(s): {counts['critical']} "
            f"critical, {counts['warn']} warn and {counts['info']} info; the most severe: "
            f"{', '.join(codes)}.",
        )
    if not view.findings and view.internal and view.brief.risks_note:
        facts.add("diagnostics", view.brief.risks_note)


# --- deterministic ----------------------------------------------------------------------


class DeterministicNarrator:
    """The default narrator: each section's facts, in order, as one paragraph."""

    def narrate(self, facts: Sequence[Fact], *, known_ids: Collection[str] = ()) -> Narration:
        """One paragraph per section that has facts."""
        sections: dict[str, list[Paragraph]] = {}
        for section in NARRATIVE_SECTIONS:
            texts = [f.text for f in facts if f.section == section]
            if texts:
                sections[section] = [Paragraph(text=" ".join(texts))]
        return Narration(sections=sections)


# --- grounding --------------------------------------------------------------------------

_ID = re.compile(
    r"\b(?=[\w-]*[A-Za-z])(?=[\w-]*\d)[A-Za-z0-9]+(?:[-_][A-Za-z0-9]+)+\b"
    r"|\b[A-Za-z]+\d[A-Za-z0-9]*\b"
)
_NUMBER = re.compile(r"(?<![\w.])(\d[\d,]*(?:\.\d+)?)\s?(%|k|K|M|B|bn)?(?![\w])")
_SCALE = {None: 1.0, "%": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "bn": 1e9}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph (split after ``.``, ``!`` or ``?`` and a space)."""
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def _ids(text: str) -> set[str]:
    return {m.group(0).lower() for m in _ID.finditer(text)}


def _numbers(text: str) -> list[tuple[str, float]]:
    without_ids = _ID.sub(" ", text)
    found = []
    for match in _NUMBER.finditer(without_ids):
        figure = float(match.group(1).replace(",", "")) * _SCALE[match.group(2)]
        found.append((match.group(0).strip(), figure))
    return found


class Grounding:
    """The ids and numbers the facts contain: what model-written text may mention.

    A number is grounded when a fact holds the same figure within 1% (so ``9.87M`` and
    ``9,873,009`` match, but a model's own arithmetic does not); id parts count too (the
    ``2027`` of ``2027-Q1``). An id is a token with letters and digits (``cap-07``,
    ``P0001``, ``2027-Q1``) or any of ``known_ids`` (the plan's ids, such as ``cap-sso``);
    it is grounded when a fact names it (case-insensitive).
    """

    def __init__(self, facts: Sequence[Fact], known_ids: Collection[str] = ()) -> None:
        text = "\n".join(f.text for f in facts)
        self.known = {i.lower() for i in known_ids}
        self.ids = _ids(text) | {i for i in self.known if _mentions(text, i)}
        parts = [float(p) for i in self.ids for p in re.split(r"[-_]", i) if p.isdigit()]
        self.numbers = [n for _, n in _numbers(text)] + parts

    def number_ok(self, figure: float) -> bool:
        return any(abs(figure - n) <= max(0.01 * abs(n), 1e-9) for n in self.numbers)


def _mentions(text: str, identifier: str) -> bool:
    return (
        re.search(rf"(?<![\w-]){re.escape(identifier)}(?![\w-])", text, re.IGNORECASE) is not None
    )


def check_sentence(sentence: str, grounding: Grounding) -> list[str]:
    """Why a sentence is not grounded in the facts (an empty list: it is)."""
    named = _ids(sentence) | {i for i in grounding.known if _mentions(sentence, i)}
    problems = [f"unknown id {i}" for i in sorted(named - grounding.ids)]
    problems += [
        f"unsupported number {text}"
        for text, figure in _numbers(sentence)
        if not grounding.number_ok(figure)
    ]
    return problems


# --- language model ---------------------------------------------------------------------

_SYSTEM = (
    "You write the narrative of a product plan report for executives. Use only the facts "
    "you are given: do not add numbers, ids, names or claims that are not in them, and do "
    "not compute new figures. Copy numbers and ids exactly as written. Write plain, "
    "direct prose. Answer with one JSON object whose keys are the section names you are "
    "given and whose values are one paragraph of text each."
)


class LLMNarrator:
    """Narrative written by a language model behind an OpenAI-compatible endpoint.

    Args:
        url: Base URL of the API (``…/v1``) or the full ``…/chat/completions`` URL.
        model: Model name sent with the request.
        api_key: Bearer token; None reads ``$TOWER_LLM_API_KEY`` (no header when unset).
        timeout: Seconds to wait for the answer.
        temperature: Sampling temperature.
    """

    def __init__(
        self,
        url: str,
        model: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
        temperature: float = 0.2,
    ) -> None:
        self.url = url
        self.model = model
        self.api_key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        self.timeout = timeout
        self.temperature = temperature

    @property
    def endpoint(self) -> str:
        """The chat-completions URL."""
        base = self.url.rstrip("/")
        return base if base.endswith("/chat/completions") else f"{base}/chat/completions"

    def narrate(self, facts: Sequence[Fact], *, known_ids: Collection[str] = ()) -> Narration:
        """Model-written paragraphs, grounded; the deterministic narrative on failure."""
        fallback = DeterministicNarrator().narrate(facts)
        sections = [s for s in NARRATIVE_SECTIONS if any(f.section == s for f in facts)]
        try:
            written = self._ask(facts, sections)
        except NarratorError as error:
            return Narration(
                sections=fallback.sections,
                note=f"The language model could not be used ({error}); the narrative "
                "is the deterministic one.",
            )
        grounding = Grounding(facts, known_ids)
        result: dict[str, list[Paragraph]] = {}
        missing: list[str] = []
        for section in sections:
            paragraph = _grounded(written.get(section, ""), grounding)
            if paragraph is None:
                missing.append(section)
                result[section] = fallback.sections.get(section, [])
            else:
                result[section] = [paragraph]
        note = (
            "Model-written paragraphs are marked; sentences naming figures or ids that are "
            "not in the analysis were removed."
        )
        if missing:
            note += f" Deterministic text was used for: {', '.join(missing)}."
        return Narration(sections=result, note=note)

    def _ask(self, facts: Sequence[Fact], sections: Sequence[str]) -> dict[str, str]:
        prompt = {
            "sections": list(sections),
            "facts": [f.model_dump() for f in facts],
        }
        messages = [
            {"role": "system", "content": _SYSTEM},
            {"role": "user", "content": json.dumps(prompt, ensure_ascii=False)},
        ]
        content = self._post(messages)
        return _parse_sections(content)

    def _post(self, messages: list[dict[str, str]]) -> str:
        body = json.dumps(
            {"model": self.model, "messages": messages, "temperature": self.temperature}
        ).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.endpoint, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                payload = json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            raise NarratorError(f"{self.endpoint} answered HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise NarratorError(f"{self.endpoint} did not answer: {reason}") from error
        except ValueError as error:
            raise NarratorError(f"{self.endpoint} answered something that is not JSON") from error
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise NarratorError("the answer has no choices[0].message.content") from error
        if not isinstance(content, str):
            raise NarratorError("the answer's message content is not text")
        return content


def _parse_sections(content: str) -> dict[str, str]:
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, flags=re.DOTALL)
    if fenced:
        text = fenced.group(1)
    try:
        parsed = json.loads(text)
    except ValueError as error:
        raise NarratorError("the model did not answer with a JSON object") from error
    if not isinstance(parsed, dict):
        raise NarratorError("the model did not answer with a JSON object")
    return {str(k): v for k, v in parsed.items() if isinstance(v, str)}


def _grounded(text: str, grounding: Grounding) -> Paragraph | None:
    """The grounded sentences of a model paragraph, or None when none survive."""
    kept: list[str] = []
    removed: list[str] = []
    for sentence in split_sentences(text):
        problems = check_sentence(sentence, grounding)
        if problems:
            removed.append("; ".join(problems))
        else:
            kept.append(sentence)
    if not kept:
        return None
    return Paragraph(text=" ".join(kept), source="model", removed=removed)
