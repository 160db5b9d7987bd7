"""Build the report's view model from a plan, its evidence and an audience policy.

Every claim gets its evidence as :class:`~controltower.report.models.Refs`: links to the
evidence appendix (signals and work with their quotes, accounts, guardrails) or to the
pattern and candidate rows. Only what a ref points to goes into the appendix, and only
what the audience may see is linked at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from controltower.diagnose.models import SEVERITY_RANK, Band, Economics, Finding
from controltower.domain import PLANNED
from controltower.report.audience import AudiencePolicy, Redactor, Section
from controltower.report.evidence import EvidenceBook, cite
from controltower.report.format import (
    anchor,
    hours,
    measure,
    money,
    number,
    pct,
    signed_pct,
    weeks,
)
from controltower.report.models import (
    AdoptionRow,
    Brief,
    BriefItem,
    CandidateRow,
    CoverageRow,
    DecisionRow,
    DecisionsView,
    EconomicsRow,
    EconomicsView,
    EvidenceEntry,
    FindingRow,
    Kpi,
    LensRow,
    PatternRow,
    ProductizationRow,
    Ref,
    Refs,
    ReportView,
    RoadmapRow,
    StanceCell,
    TeamPlan,
)
from controltower.settings import ReportSettings

if TYPE_CHECKING:
    from controltower.decisions.models import (
        DecisionState,
        DeploymentProductization,
        Productization,
    )
    from controltower.optimize import RoadmapEntry
    from controltower.plan import Plan
    from controltower.value import CandidateResult, PatternResult

__all__ = ["SECTION_TITLES", "build_view", "economics_sentence"]

SECTION_TITLES: dict[Section, str] = {
    "brief": "Executive brief",
    "roadmap": "Roadmap",
    "patterns": "Patterns",
    "value": "Value",
    "lenses": "Role lenses and conflicts",
    "diagnostics": "Diagnostics",
    "economics": "FDE economics",
    "adoption": "Adoption",
    "decisions": "Decisions",
    "appendix": "Appendix",
    "evidence": "Evidence",
}

_ROLE_ORDER = (
    "fde",
    "solutions-architect",
    "ai-architect",
    "ml-engineer",
    "platform-engineering",
    "leadership",
)


class _Linker:
    """Turns ids into refs for one audience and collects the evidence appendix."""

    def __init__(self, plan: Plan, book: EvidenceBook, policy: AudiencePolicy) -> None:
        self.book = book
        self.policy = policy
        self.patterns = {p.id for p in plan.patterns}
        self.candidates = {c.id for c in plan.capabilities}
        self.tabled = {c.id for c in plan.candidates}
        self.entries: dict[str, EvidenceEntry] = {}

    def account_label(self, account_id: str) -> str:
        account = self.book.accounts.get(account_id)
        return f"{account.name} ({account_id})" if account else account_id

    def ref(self, identifier: str) -> Ref | None:
        """A ref to an id, or None when the audience may not see it."""
        if identifier in self.patterns:
            target = "pattern" if self.policy.shows("patterns") else None
            return Ref(id=identifier, label=identifier, anchor=_maybe(target, identifier))
        if identifier in self.candidates:
            tabled = self.policy.shows("value") and identifier in self.tabled
            target = "cand" if tabled else None
            return Ref(id=identifier, label=identifier, anchor=_maybe(target, identifier))
        if not self.policy.internal or not self.policy.shows("evidence"):
            return None
        entry = self._entry(identifier)
        if entry is None:
            return Ref(id=identifier, label=identifier)
        self.entries.setdefault(entry.anchor, entry)
        label = entry.title if entry.kind == "account" else identifier
        return Ref(id=identifier, label=label, anchor=entry.anchor)

    def _entry(self, identifier: str) -> EvidenceEntry | None:
        target = anchor("ev", identifier)
        if identifier in self.book.quotes and self.policy.quotes:
            quote = self.book.quotes[identifier]
            kind = "signal" if quote.kind == "signal" else "custom work"
            title = f"{kind} {identifier} · {self.account_label(quote.account_id)}"
            return EvidenceEntry(
                anchor=target, kind=quote.kind, id=identifier, title=title, text=quote.text
            )
        if identifier in self.book.accounts and self.policy.accounts:
            account = self.book.accounts[identifier]
            text = f"{account.segment}, {account.industry}, AI maturity tier {account.tier}"
            if self.policy.money:
                text += f", ARR {money(account.arr)}"
            return EvidenceEntry(
                anchor=target,
                kind="account",
                id=identifier,
                title=self.account_label(identifier),
                text=text,
            )
        if identifier in self.book.guardrails:
            return EvidenceEntry(
                anchor=target,
                kind="guardrail",
                id=identifier,
                title=f"guardrail {identifier}",
                text=self.book.guardrails[identifier],
            )
        return None

    def refs(self, ids: Sequence[str], limit: int) -> Refs:
        """Refs to the first ``limit`` ids the audience may see, and how many more."""
        shown, more = cite(ids, limit)
        items = [r for r in (self.ref(i) for i in shown) if r is not None]
        if not items:
            return Refs()
        return Refs(items=items, more=more if self.policy.internal else 0)


def _maybe(prefix: str | None, identifier: str) -> str | None:
    return anchor(prefix, identifier) if prefix else None


def _span(entry: RoadmapEntry) -> str:
    if entry.period is None:
        return "—"
    if entry.end_period and entry.end_period != entry.period:
        return f"{entry.period} → {entry.end_period}"
    return entry.period


class _Builder:
    """Builds each part of the view; one method per section."""

    def __init__(
        self,
        plan: Plan,
        book: EvidenceBook,
        policy: AudiencePolicy,
        settings: ReportSettings,
    ) -> None:
        self.plan = plan
        self.book = book
        self.policy = policy
        self.settings = settings
        self.link = _Linker(plan, book, policy)
        self.redact = Redactor(
            [*book.accounts, *(a.name for a in book.accounts.values()), *book.name_words]
            if not policy.accounts
            else []
        )
        self.candidates = {c.id: c for c in plan.capabilities}
        self.entries = {e.capability_id: e for e in plan.roadmap}

    # --- shared -------------------------------------------------------------------------

    def trap(self) -> Finding | None:
        """The plan's high-touch-trap finding: with one, falling hours are no escape yet."""
        return next((f for f in self.plan.diagnostics if f.code == "high-touch-trap"), None)

    def text(self, value: str) -> str:
        """Free text as the audience may read it."""
        return self.redact(value)

    def money(self, value: float) -> str:
        return money(value) if self.policy.money else "—"

    def patterns_of(self, candidate_id: str) -> Refs:
        """Refs to a candidate's patterns only (the brief's compact evidence)."""
        candidate = self.candidates.get(candidate_id)
        if candidate is None:
            return Refs()
        return self.link.refs(candidate.model.pattern_ids, self.settings.ids_per_claim)

    # --- roadmap ------------------------------------------------------------------------

    def roadmap_row(self, entry: RoadmapEntry) -> RoadmapRow:
        return RoadmapRow(
            id=entry.capability_id,
            anchor=anchor("road", entry.capability_id),
            name=self.text(entry.name),
            team=entry.team or "—",
            status=entry.status,
            period=entry.period,
            end_period=entry.end_period,
            span=_span(entry),
            effort=weeks(entry.effort_weeks),
            effort_weeks=entry.effort_weeks,
            load=entry.load,
            value=self.money(entry.planned_value or entry.value),
            reason=entry.reason if self.policy.internal else "",
            refs=self.patterns_of(entry.capability_id),
        )

    def teams(self) -> list[TeamPlan]:
        rows = [self.roadmap_row(e) for e in self.plan.roadmap if e.status in PLANNED]
        names = sorted({r.team for r in rows})
        return [
            TeamPlan(
                team=team,
                now=[r for r in rows if r.team == team and r.status == "now"],
                next=[r for r in rows if r.team == team and r.status == "next"],
                later=[r for r in rows if r.team == team and r.status == "later"],
            )
            for team in names
        ]

    def left_out(self, status: str) -> list[RoadmapRow]:
        if not self.policy.internal:
            return []
        return [self.roadmap_row(e) for e in self.plan.roadmap if e.status == status]

    # --- patterns -----------------------------------------------------------------------

    def _pattern_stance(self, pattern: PatternResult) -> tuple[str, list[str]]:
        """The recommendation and candidates a reader sees for a pattern.

        Internal readers get the readiness recommendation and every candidate. Outsiders
        (the customer view) get only what the roadmap plans for it, "planned" or "under
        review": a ``reject`` or a refused candidate would disclose internal reasons.
        """
        if self.policy.internal:
            return pattern.recommendation, list(pattern.candidate_ids)
        planned = [
            c
            for c in pattern.candidate_ids
            if (entry := self.entries.get(c)) is not None and entry.status in PLANNED
        ]
        return ("planned" if planned else "under review"), planned

    def pattern_row(self, pattern: PatternResult) -> PatternRow:
        recurrence = pattern.recurrence
        limit = self.settings.ids_per_claim
        recommendation, candidates = self._pattern_stance(pattern)
        quotes = self.book.representatives.get(pattern.id, []) if self.policy.quotes else []
        quote_refs = [r for r in (self.link.ref(q) for q in quotes) if r is not None]
        return PatternRow(
            id=pattern.id,
            anchor=anchor("pattern", pattern.id),
            label=self.text(pattern.label),
            key_phrases=[self.text(k) for k in pattern.key_phrases],
            trend=pattern.trend or "unknown",
            recommendation=recommendation,
            accounts=recurrence.accounts if recurrence else len(pattern.account_ids),
            signals=recurrence.signals if recurrence else len(pattern.signal_ids),
            work_items=recurrence.work_items if recurrence else len(pattern.work_ids),
            fde_hours=recurrence.fde_hours if recurrence else 0.0,
            arr=recurrence.arr if recurrence and self.policy.money else 0.0,
            account_refs=self.link.refs(pattern.account_ids, limit),
            signal_refs=self.link.refs(pattern.signal_ids, limit),
            work_refs=self.link.refs(pattern.work_ids, limit),
            quotes=quote_refs,
            quote_texts=[self.book.quotes[r.id].text for r in quote_refs],
            quote_accounts=[
                self.link.ref(self.book.quotes[r.id].account_id) or r for r in quote_refs
            ],
            candidates=[r for r in (self.link.ref(c) for c in candidates) if r],
            reasons=pattern.reasons if self.policy.internal else [],
        )

    # --- value --------------------------------------------------------------------------

    def candidate_row(self, candidate: CandidateResult) -> CandidateRow:
        value = candidate.value
        entry = self.entries.get(candidate.id)
        scores = candidate.scores
        return CandidateRow(
            id=candidate.id,
            anchor=anchor("cand", candidate.id),
            name=self.text(candidate.name),
            team=candidate.model.team or "—",
            status=entry.status if entry else candidate.status,
            recommendation=candidate.readiness or "n/a",
            p10=self.money(value.p10) if value else "—",
            p50=self.money(value.p50) if value else "—",
            p90=self.money(value.p90) if value else "—",
            p10_value=value.p10 if value else 0.0,
            p50_value=value.p50 if value else 0.0,
            p90_value=value.p90 if value else 0.0,
            roi=f"{candidate.roi.p50:,.1f}×" if candidate.roi else "—",
            effort=weeks(candidate.model.effort_weeks),
            effort_weeks=candidate.model.effort_weeks,
            arr_touched=candidate.model.revenue_touched,
            arr=self.money(candidate.model.revenue_touched),
            scores={
                "RICE": _score(scores.rice),
                "WSJF": _score(scores.wsjf),
                "ICE": _score(scores.ice),
                "scorecard": _score(scores.scorecard),
            },
            patterns=[r for r in (self.link.ref(p) for p in candidate.model.pattern_ids) if r],
            refs=self.link.refs(
                [*candidate.model.signal_ids, *candidate.model.work_ids],
                self.settings.ids_per_claim,
            ),
        )

    def lenses(self) -> tuple[list[str], list[LensRow]]:
        rows: list[LensRow] = []
        found = {s.role for c in self.plan.candidates for s in c.stances}
        roles = [r for r in _ROLE_ORDER if r in found] + sorted(found - set(_ROLE_ORDER))
        for candidate in self._live_candidates():
            cells = [self._stance_cell(candidate, role) for role in roles]
            disagreement = candidate.disagreement
            rows.append(
                LensRow(
                    id=candidate.id,
                    name=candidate.name,
                    status=self._status(candidate.id, candidate.status),
                    cells=cells,
                    conflict=bool(disagreement and disagreement.conflict),
                    summary=disagreement.summary if disagreement else "",
                )
            )
        rows.sort(key=lambda r: (not r.conflict, _status_rank(r.status)))
        return roles, rows

    def _stance_cell(self, candidate: CandidateResult, role: str) -> StanceCell:
        mine = [s for s in candidate.stances if s.role == role]
        entered = [s for s in mine if s.source == "entered"]
        chosen = entered[-1] if entered else (mine[0] if mine else None)
        if chosen is None:
            return StanceCell(role=role, stance=None, text="—", reason="no stance")
        reasons = "; ".join(
            f"{s.reason} ({s.source}{', ' + s.author if s.author else ''})" for s in mine
        )
        return StanceCell(
            role=role,
            stance=chosen.stance,
            text=f"{chosen.stance:+d}" + (" ✎" if entered else ""),
            reason=reasons,
        )

    def _live_candidates(self) -> list[CandidateResult]:
        return sorted(
            self.plan.candidates,
            key=lambda c: (
                _status_rank(self._status(c.id, c.status)),
                -(c.value.p50 if c.value else 0.0),
            ),
        )

    def _status(self, candidate_id: str, fallback: str) -> str:
        entry = self.entries.get(candidate_id)
        return entry.status if entry else fallback

    # --- diagnostics, economics, adoption, decisions ------------------------------------

    def findings(self) -> list[FindingRow]:
        ordered = sorted(self.plan.diagnostics, key=lambda f: SEVERITY_RANK[f.severity])
        return [
            FindingRow(
                code=f.code,
                severity=f.severity,
                message=f.message,
                remedy=f.remedy,
                measure=f"{f.metric} = {measure(f.value)} (threshold {measure(f.threshold)})",
                refs=self.link.refs(
                    _unique([*f.subjects, *f.evidence]), self.settings.ids_per_claim
                ),
            )
            for f in ordered
        ]

    def economics(self) -> EconomicsView | None:
        economics = self.plan.economics
        if economics is None:
            return None
        rows = [
            EconomicsRow(
                period=p.period,
                fde_hours_with=_band(p.with_plan.fde_hours, hours),
                fde_hours_without=_band(p.without_plan.fde_hours, hours),
                per_deployment_with=_band(p.with_plan.fde_hours_per_new_deployment, hours),
                per_deployment_without=_band(p.without_plan.fde_hours_per_new_deployment, hours),
                cogs_with=_band(p.with_plan.fde_cost, self.money),
                cogs_without=_band(p.without_plan.fde_cost, self.money),
                margin_with=_band(p.with_plan.gross_margin, pct),
                margin_without=_band(p.without_plan.gross_margin, pct),
                shipped=len(p.with_plan.shipped),
            )
            for p in economics.periods
        ]
        trap = self.trap()
        return EconomicsView(
            rows=rows,
            escape=economics.escape_period or "not within the horizon",
            escape_without=economics.escape_period_without or "not within the horizon",
            verdict=(
                f"That is no escape from the high-touch trap yet: hours per new deployment "
                f"fall {-trap.value:.0%} over the horizon, short of the {-trap.threshold:.0%} "
                "the check needs (see the risks)."
                if trap is not None and economics.escape_period is not None
                else ""
            ),
            assumptions=economics.assumptions,
            refs=self.link.refs(economics.evidence, self.settings.ids_per_claim),
        )

    def adoption(self) -> list[AdoptionRow] | None:
        adoption = self.plan.adoption
        if adoption is None:
            return None
        return [
            AdoptionRow(
                id=c.capability_id,
                name=self.text(c.name),
                shipped=c.shipped.isoformat() if c.shipped else "—",
                eligible=len(c.eligible_accounts),
                adopting=len(set(c.adopting_accounts) & set(c.eligible_accounts)),
                share=pct(c.curve[-1].share) if c.curve else "—",
                target=f"{pct(c.target_share)} in {c.target_days} days",
                status=c.status,
                reason=c.reason,
                refs=self.link.refs(
                    _unique([*c.evidence, *c.adopting_accounts]), self.settings.ids_per_claim
                ),
            )
            for c in adoption.capabilities
        ]

    def decisions(self) -> DecisionsView | None:
        review = self.plan.decisions
        made = self.plan.productization
        if review is None and made is None:
            return None
        rows = [self._decision_row(d) for d in review.standing] if review else []
        rows.sort(key=lambda r: (not r.revisit, r.id))
        summary = (
            f"{len(review.standing)} standing decision(s), {len(review.to_revisit)} to "
            f"revisit (a reopen trigger fired), {review.superseded} superseded."
            if review
            else "The decision log was not read for this plan."
        )
        deployments = sorted(made.deployments, key=lambda d: -d.bespoke_hours) if made else []
        limit = self.settings.table_rows
        return DecisionsView(
            summary=summary,
            rows=rows,
            productization=_productization_line(made) if made else None,
            deployments=[self._deployment_row(d) for d in deployments[:limit]],
            more_deployments=max(len(deployments) - limit, 0),
        )

    def _decision_row(self, state: DecisionState) -> DecisionRow:
        fired = [t.expression for t in state.triggers if t.status == "fired"]
        triggers = (
            f"fired: {'; '.join(fired)}"
            if fired
            else f"{len(state.triggers)} trigger(s), none fired"
            if state.triggers
            else "no trigger"
        )
        return DecisionRow(
            id=state.decision_id,
            subject=self.link.ref(state.subject) or Ref(id=state.subject, label=state.subject),
            choice=state.choice,
            decided=f"{state.decided_on.isoformat()} by {state.decided_by}",
            rationale=state.rationale,
            dissent=", ".join(state.dissent) or "none",
            triggers=triggers,
            revisit=state.revisit,
            effect=state.effect or (state.roadmap_status or ""),
        )

    def _deployment_row(self, row: DeploymentProductization) -> ProductizationRow:
        return ProductizationRow(
            deployment_id=row.deployment_id,
            account=self.link.ref(row.account_id) if self.policy.accounts else None,
            bespoke=hours(row.bespoke_hours),
            productized=hours(row.productized_hours),
            rate=pct(row.rate),
            capabilities=[r for r in (self.link.ref(c) for c in row.capabilities) if r],
            gave_back="too early" if row.gave_back is None else "yes" if row.gave_back else "no",
            refs=self.link.refs(row.evidence, self.settings.ids_per_claim),
        )

    # --- brief --------------------------------------------------------------------------

    def brief(self, economics: EconomicsView | None) -> Brief:
        planned = [e for e in self.plan.roadmap if e.status in PLANNED]
        build = [
            BriefItem(
                id=e.capability_id,
                name=self.text(e.name),
                when=f"{e.status} · {_span(e)}",
                why=self._why(e.capability_id),
                refs=self.patterns_of(e.capability_id),
            )
            for e in sorted(planned, key=lambda e: (_status_rank(e.status), -e.value))
        ]
        refuse = [
            BriefItem(
                id=e.capability_id,
                name=e.name,
                when=e.status,
                why=e.reason,
                refs=self.patterns_of(e.capability_id),
            )
            for e in self.left_out_entries()
        ]
        shown = self.settings.brief_items
        return Brief(
            kpis=self.kpis(planned),
            build=build[:shown],
            build_more=max(0, len(build) - shown),
            refuse=refuse,
            economics=self.economics_line(),
            risks=self.risks(),
            risks_note=self.risks_note(),
        )

    def left_out_entries(self) -> list[RoadmapEntry]:
        if not self.policy.internal:
            return []
        refused = [e for e in self.plan.roadmap if e.status == "refused"]
        deferred = sorted(
            (e for e in self.plan.roadmap if e.status == "deferred"), key=lambda e: -e.value
        )
        return refused + deferred[: self.settings.top_risks]

    def _why(self, candidate_id: str) -> str:
        candidate = self.candidates.get(candidate_id)
        if candidate is None:
            return ""
        model = candidate.model
        if not self.policy.internal:
            return f"raised by {len(model.account_ids)} customer(s)"
        parts = [f"{len(model.account_ids)} account(s)"]
        if model.pattern_ids:
            parts.append(f"{len(model.pattern_ids)} pattern(s)")
        if model.fde_hours:
            parts.append(f"{hours(model.fde_hours)} of bespoke FDE work")
        if self.policy.money:
            payers = next((t.evidence_ids for t in model.terms if t.name == "revenue touched"), [])
            parts.append(
                f"{money(model.revenue_touched)} ARR touched"
                + (
                    f" (the {len(payers)} with signals)"
                    if len(payers) != len(model.account_ids)
                    else ""
                )
            )
            if candidate.value:
                parts.append(f"P50 value {money(candidate.value.p50)}")
        return ", ".join(parts)

    def kpis(self, planned: list[RoadmapEntry]) -> list[Kpi]:
        counts = {s: sum(e.status == s for e in self.plan.roadmap) for s in PLANNED}
        kpis = [
            Kpi(
                label="Planned",
                value=str(len(planned)),
                detail=f"{counts['now']} now · {counts['next']} next · {counts['later']} later",
            )
        ]
        if self.policy.money:
            total = sum(e.planned_value for e in planned)
            kpis.append(Kpi(label="Planned value (P50)", value=money(total), detail="discounted"))
        economics = self.plan.economics
        if economics is not None and economics.periods and self.policy.money:
            last = economics.periods[-1]
            margin, margin_without = last.with_plan.gross_margin, last.without_plan.gross_margin
            if margin is not None and margin_without is not None:
                kpis.append(
                    Kpi(
                        label=f"Gross margin {last.period}",
                        value=pct(margin.p50),
                        detail=signed_pct(margin.p50 - margin_without.p50) + " vs no plan",
                    )
                )
            kpis.append(self.escape_kpi(economics))
        if self.policy.internal:
            left = sum(e.status in ("deferred", "refused") for e in self.plan.roadmap)
            kpis.append(Kpi(label="Left out", value=str(left), detail="deferred or refused"))
        return kpis

    def escape_kpi(self, economics: Economics) -> Kpi:
        """The escape point, agreeing with the high-touch-trap check (as the brief's prose)."""
        trap = self.trap()
        if economics.escape_period is None:
            detail = "FDE hours per new deployment do not keep falling within the horizon"
            return Kpi(label="Escapes high-touch trap", value="no", detail=detail)
        if trap is not None:
            return Kpi(
                label="Escapes high-touch trap",
                value="not yet",
                detail=f"hours per deployment fall from {economics.escape_period}, by "
                f"{-trap.value:.0%}: short of the {-trap.threshold:.0%} the check needs",
            )
        return Kpi(
            label="Escapes high-touch trap",
            value=economics.escape_period,
            detail="first period FDE hours per deployment keep falling",
        )

    def economics_line(self) -> str:
        economics = self.plan.economics
        if not self.policy.money:
            return ""
        if economics is None or not economics.periods:
            return "The FDE economics were not computed for this plan."
        trap = self.trap()
        return economics_sentence(economics, trap)

    def risks(self) -> list[BriefItem]:
        if not self.policy.internal:
            return []
        ordered = sorted(self.plan.diagnostics, key=lambda f: SEVERITY_RANK[f.severity])
        return [
            BriefItem(
                id=f.code,
                name=f.code,
                when=f.severity,
                why=f"{f.message} Remedy: {f.remedy}",
                refs=self.link.refs(
                    _unique([*f.subjects, *f.evidence]), self.settings.ids_per_claim
                ),
            )
            for f in ordered[: self.settings.top_risks]
        ]

    def risks_note(self) -> str:
        if not self.policy.internal:
            return ""
        if self.plan.diagnostics:
            shown = min(len(self.plan.diagnostics), self.settings.top_risks)
            return f"{shown} of {len(self.plan.diagnostics)} finding(s), worst first."
        checked = self.plan.diagnostics_checked
        if not checked:
            return "Diagnostics were not computed for this plan."
        return f"No failure mode was found on this roadmap ({len(checked)} checks ran)."

    # --- appendix -----------------------------------------------------------------------

    def coverage(self) -> list[CoverageRow]:
        counts = self.book.coverage
        rows = [
            CoverageRow(what=f"{entity}.csv", count=number(count))
            for entity, count in counts.items()
            if count
        ]
        in_patterns = {s for p in self.plan.patterns for s in p.signal_ids}
        work_in = {w for p in self.plan.patterns for w in p.work_ids}
        accounts_in = {a for p in self.plan.patterns for a in p.account_ids}
        rows += [
            _share_row("signals in a pattern", len(in_patterns), counts.get("signals", 0)),
            _share_row("custom work in a pattern", len(work_in), counts.get("custom_work", 0)),
            _share_row(
                "accounts with patterned evidence", len(accounts_in), counts.get("accounts", 0)
            ),
            CoverageRow(what="patterns", count=number(len(self.plan.patterns))),
            CoverageRow(what="candidates", count=number(len(self.plan.candidates))),
        ]
        meta = self.plan.meta
        if "status" in meta:
            rows.append(
                CoverageRow(
                    what="solver",
                    count=str(meta.get("status")),
                    note=f"{meta.get('solver', '')}, gap {meta.get('gap', '')}",
                )
            )
        timings = meta.get("timings")
        if isinstance(timings, dict):
            rows += [
                CoverageRow(what=str(k).removesuffix("_seconds"), count=f"{float(v):.2f} s")
                for k, v in timings.items()
            ]
        return rows

    def settings_rows(self) -> list[tuple[str, str]]:
        settings = self.plan.meta.get("settings")
        return list(_flatten(settings)) if isinstance(settings, dict) else []


def economics_sentence(economics: Economics, trap: Finding | None = None) -> str:
    """What the plan does to COGS and gross margin by the last period, in one sentence.

    ``trap`` is the plan's high-touch-trap finding, if any: with one, hours that fall from
    an escape period but by less than the check requires are not called an escape.
    """
    last = economics.periods[-1]
    with_cost, without_cost = last.with_plan.fde_cost.p50, last.without_plan.fde_cost.p50
    with_margin, without_margin = last.with_plan.gross_margin, last.without_plan.gross_margin
    margin = (
        f"gross margin {pct(with_margin.p50)} vs {pct(without_margin.p50)} "
        f"({signed_pct(with_margin.p50 - without_margin.p50)})"
        if with_margin is not None and without_margin is not None
        else "no gross margin (no revenue)"
    )
    if economics.escape_period and trap is not None:
        escape = (
            f"FDE hours per new deployment fall from {economics.escape_period}, but by "
            f"{-trap.value:.0%} over the horizon, short of the {-trap.threshold:.0%} fall that "
            "leaves the high-touch trap (see the risks)"
        )
    elif economics.escape_period:
        escape = f"the company escapes the high-touch trap from {economics.escape_period}"
    else:
        escape = "FDE hours per new deployment do not keep falling within the horizon"
    return (
        f"By {last.period}, FDE cost of goods sold is {money(with_cost)} with the plan vs "
        f"{money(without_cost)} without, and {margin}; {escape}."
    )


def _share_row(what: str, part: int, whole: int) -> CoverageRow:
    note = f"{pct(part / whole)} of {number(whole)}" if whole else ""
    return CoverageRow(what=what, count=number(part), note=note)


def _flatten(tree: dict[str, object], prefix: str = "") -> Iterable[tuple[str, str]]:
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flatten(value, f"{name}.")
        else:
            yield name, str(value)


def _band(band: Band | None, fmt: object) -> str:
    assert callable(fmt)
    if band is None:
        return "n/a (no revenue)"
    return f"{fmt(band.p50)} ({fmt(band.p10)}–{fmt(band.p90)})"


def _score(value: float | None) -> str:
    return "—" if value is None else f"{value:,.3g}" if abs(value) < 1000 else money(value)


def _status_rank(status: str) -> int:
    order = ("now", "next", "later", "deferred", "refused", "candidate", "proposed")
    return order.index(status) if status in order else len(order)


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))


def _productization_line(made: Productization) -> str:
    give_back = (
        f"; {made.engagements_gave_back} of {made.engagements_judged} judged engagement(s) "
        f"gave back a capability within {made.window_days} days"
        if made.engagements_judged
        else ""
    )
    return (
        f"{pct(made.rate)} of bespoke FDE hours ({hours(made.productized_hours)} of "
        f"{hours(made.bespoke_hours)}) became platform capability{give_back}."
    )


def build_view(
    plan: Plan,
    book: EvidenceBook,
    policy: AudiencePolicy,
    settings: ReportSettings | None = None,
) -> ReportView:
    """The report's view model for one audience (no narrative or charts yet).

    Args:
        plan: The plan to report on.
        book: The evidence it quotes (:func:`~controltower.report.evidence.load_evidence`).
        policy: The audience's policy.
        settings: Report settings (defaults when None).
    """
    builder = _Builder(plan, book, policy, settings or ReportSettings())
    economics = builder.economics()
    roles, lenses = builder.lenses() if policy.shows("lenses") else ([], [])
    periods = _strings(plan.meta.get("periods"))
    scenario = plan.meta.get("scenario")
    view = ReportView(
        title="Product plan" + (f" — scenario {scenario}" if scenario else ""),
        subtitle=" · ".join(
            [
                *([_horizon(periods)] if periods else []),
                policy.label,
                f"Control Tower {plan.meta.get('version', '')}",
            ]
        ),
        audience=policy.audience,
        audience_label=policy.label,
        sections=[(s, SECTION_TITLES[s]) for s in policy.sections],
        money=policy.money,
        internal=policy.internal,
        brief=builder.brief(economics),
        teams=builder.teams(),
        periods=periods,
        deferred=builder.left_out("deferred"),
        refused=builder.left_out("refused"),
        capacity=_capacity(plan.meta.get("capacity")) if policy.internal else [],
        patterns=[builder.pattern_row(p) for p in plan.patterns]
        if policy.shows("patterns")
        else [],
        candidates=[builder.candidate_row(c) for c in builder._live_candidates()]
        if policy.shows("value")
        else [],
        roles=roles,
        lenses=lenses,
        findings=builder.findings() if policy.internal else None,
        economics=economics if policy.shows("economics") else None,
        adoption=builder.adoption() if policy.shows("adoption") else None,
        decisions=builder.decisions() if policy.shows("decisions") else None,
        settings=builder.settings_rows() if policy.shows("appendix") else [],
        coverage=builder.coverage() if policy.shows("appendix") else [],
        evidence=[],
    )
    view.evidence = sorted(builder.link.entries.values(), key=lambda e: (_kind_rank(e.kind), e.id))
    return view


def _horizon(periods: list[str]) -> str:
    return periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _capacity(value: object) -> list[dict[str, float | str]]:
    """Capacity use per team and period from ``meta.capacity``."""
    if not isinstance(value, list):
        return []
    return [
        {
            "team": str(c["team"]),
            "period": str(c["period"]),
            "used": float(c["used"]),
            "usable": float(c["usable"]),
        }
        for c in value
        if isinstance(c, dict)
    ]


def _kind_rank(kind: str) -> int:
    order = ("signal", "work", "account", "guardrail")
    return order.index(kind) if kind in order else len(order)
