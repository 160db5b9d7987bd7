"""Audience views: which sections a reader gets and what is withheld from them.

- ``full`` (default, the PM): every section, nothing withheld.
- ``exec`` (leadership): brief, roadmap, value, diagnostics, economics, adoption,
  decisions, evidence; no role lenses, pattern detail or settings.
- ``engineering`` (platform and ML engineers, architects): brief, roadmap, patterns,
  value, lenses, diagnostics, decisions, appendix, evidence; no economics or adoption.
- ``fde`` (forward deployed engineers): brief, patterns, roadmap, lenses, adoption,
  diagnostics, evidence; no value table, economics or settings.
- ``customer`` (a customer): brief, roadmap (now / next / later) and patterns, without
  any account name or id, money figure (ARR, value, COGS), quote, FDE cost, or internal
  reason (guardrails, role stances, diagnostics, deferred and refused items); a pattern
  shows "planned" or "under review" and its planned candidates only, not its
  recommendation.

The customer view is built without the withheld data (not hidden by CSS): a test checks
that no account name, id or ARR figure, guardrail rule or stance reason is in its files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, get_args

from pydantic import BaseModel

from controltower.errors import InputError

__all__ = ["AUDIENCES", "Audience", "AudiencePolicy", "Redactor", "policy_for"]

Audience = Literal["full", "exec", "engineering", "fde", "customer"]
AUDIENCES: tuple[Audience, ...] = get_args(Audience)

Section = Literal[
    "brief",
    "roadmap",
    "patterns",
    "value",
    "lenses",
    "diagnostics",
    "economics",
    "adoption",
    "decisions",
    "appendix",
    "evidence",
]
SECTIONS: tuple[Section, ...] = get_args(Section)


class AudiencePolicy(BaseModel):
    """What one audience sees."""

    audience: Audience
    label: str
    sections: tuple[Section, ...]
    money: bool = True
    accounts: bool = True
    quotes: bool = True
    internal: bool = True

    def shows(self, section: Section) -> bool:
        """Whether the report for this audience has a section."""
        return section in self.sections


_POLICIES: dict[Audience, AudiencePolicy] = {
    "full": AudiencePolicy(audience="full", label="Full report", sections=SECTIONS),
    "exec": AudiencePolicy(
        audience="exec",
        label="Executive view",
        sections=(
            "brief",
            "roadmap",
            "value",
            "diagnostics",
            "economics",
            "adoption",
            "decisions",
            "evidence",
        ),
    ),
    "engineering": AudiencePolicy(
        audience="engineering",
        label="Engineering view",
        sections=(
            "brief",
            "roadmap",
            "patterns",
            "value",
            "lenses",
            "diagnostics",
            "decisions",
            "appendix",
            "evidence",
        ),
    ),
    "fde": AudiencePolicy(
        audience="fde",
        label="Field (FDE) view",
        sections=("brief", "patterns", "roadmap", "lenses", "adoption", "diagnostics", "evidence"),
    ),
    "customer": AudiencePolicy(
        audience="customer",
        label="Customer view",
        sections=("brief", "roadmap", "patterns"),
        money=False,
        accounts=False,
        quotes=False,
        internal=False,
    ),
}


def policy_for(audience: str) -> AudiencePolicy:
    """The policy of an audience by name.

    Raises:
        InputError: Not one of :data:`AUDIENCES`.
    """
    if audience not in _POLICIES:
        raise InputError(f"unknown audience {audience!r}: use one of {', '.join(AUDIENCES)}")
    return _POLICIES[audience]


class Redactor:
    """Replaces account names and ids in free text (the customer view's safety net).

    Free text such as key phrases or capability names can carry a customer's name, or a
    word of it that points at the customer; in a view without accounts every occurrence
    (whole words, any case) becomes "a customer".
    """

    def __init__(self, names: Iterable[str]) -> None:
        words = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
        self._pattern = (
            re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
            if words
            else None
        )

    def __call__(self, text: str) -> str:
        """The text with every account name and id replaced."""
        if self._pattern is None:
            return text
        return self._pattern.sub("a customer", text)
