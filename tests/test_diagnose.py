"""Failure-mode detectors: each fires on a purpose-built case and stays quiet on a healthy one.

Most cases build :class:`DiagnosisInputs` directly from small pydantic objects (a roadmap
of two or three items is enough to put a metric on either side of its threshold); the
workspace tests at the end go through import, synthesis, evaluation, the optimizer, the
roadmap CSV audit and the CLI.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import synthesized_workspace, write_csv
from controltower.cli import app
from controltower.decisions import record_decision
from controltower.diagnose import DiagnosisInputs, diagnose, distance, load_diagnosis_inputs
from controltower.diagnose.audit import diagnose_workspace
from controltower.diagnose.models import (
    CODES,
    Band,
    Diagnosis,
    Economics,
    EconomicsPeriod,
    EconomicsPoint,
    Finding,
)
from controltower.diagnose.roadmap_file import load_roadmap_file
from controltower.domain import Account, Capability, Guardrail, ModelConstraint
from controltower.errors import BundleError
from controltower.optimize import RoadmapEntry, TeamLoad, plan_roadmap
from controltower.optimize.model import PlanConflictError
from controltower.settings import LensSettings, Settings
from controltower.value import CandidateResult, Evaluation, PatternResult, evaluate
from controltower.value.frameworks import FrameworkScores
from controltower.value.lenses import RoleStance, disagreement
from controltower.value.model import CandidateValue, Distribution
from controltower.value.readiness import Readiness, Recommendation
from controltower.workspace import Workspace
from test_value import planted_bundle

ROOT = Path(__file__).resolve().parents[1]
PERIODS = ("P1", "P2", "P3")

# --- small builders ------------------------------------------------------------------


def candidate(
    cid: str,
    *,
    accounts: Sequence[str] = ("a1", "a2", "a3", "a4"),
    patterns: Sequence[str] = ("P1",),
    kind: str | None = "capability",
    effort: float = 4.0,
    high: float | None = None,
    p50: float = 100.0,
    reach: float = 0.75,
    fde_hours: float = 0.0,
    evidenced: bool = True,
    stances: Sequence[tuple[str, int]] = (),
) -> CandidateResult:
    """A candidate whose evidence is one signal per account (none when not ``evidenced``)."""
    signals = [f"s-{cid}-{a}" for a in accounts] if evidenced else []
    model = CandidateValue(
        capability_id=cid,
        name=f"Candidate {cid}",
        team="core",
        kind=kind,
        status="candidate",
        pattern_ids=list(patterns),
        signal_ids=signals,
        work_ids=[],
        account_ids=list(accounts) if evidenced else [],
        effort_weeks=effort,
        effort_low=effort,
        effort_high=high or effort,
        revenue_touched=0.0,
        weighted_revenue=0.0,
        fde_hours=fde_hours,
        reach=reach,
        fit=0.0,
        confidence=0.5,
        success_probability=0.95,
        impact=3.0,
        terms=[],
        point_value=p50,
    )
    own = [
        RoleStance(role=r, stance=s, reason=f"{r} says {s:+d}", source="entered")
        for r, s in stances
    ]
    return CandidateResult(
        id=cid,
        name=model.name,
        status="candidate",
        model=model,
        links=[],
        value=Distribution(p10=p50 / 2, p50=p50, p90=p50 * 2),
        roi=None,
        cost_of_delay=None,
        scores=FrameworkScores(),
        readiness=None,
        readiness_score=None,
        stances=own,
        disagreement=disagreement(cid, own, LensSettings()) if own else None,
    )


def pattern(
    pid: str,
    recommendation: Recommendation = "standardize",
    *,
    accounts: Sequence[str] = ("a1", "a2", "a3", "a4"),
    candidates: Sequence[str] = (),
    reason: str | None = None,
) -> PatternResult:
    why = reason or f"{recommendation}: test"
    readiness = Readiness(
        pattern_id=pid,
        label=f"pattern {pid}",
        recommendation=recommendation,
        score=0.5,
        accounts=len(accounts),
        industries=2,
        segments=1,
        top_account=accounts[0],
        top_account_share=0.3,
        convergence=None,
        months=3,
        first_seen=None,
        block_guardrails=[],
        warn_guardrails=[],
        candidate_ids=list(candidates),
        reasons=[why],
    )
    return PatternResult(
        id=pid,
        label=f"pattern {pid}",
        key_phrases=[],
        signal_ids=[],
        work_ids=[],
        account_ids=list(accounts),
        recurrence=None,
        trend="stable",
        recommendation=recommendation,
        customization_trap=False,
        readiness=readiness,
        candidate_ids=list(candidates),
        reasons=[why],
    )


Plan = dict[str, tuple[str, float]]
"""Planned candidate id -> (first period, weeks); each occupies one period of team core."""


def build(
    candidates: Sequence[CandidateResult],
    plan: Plan,
    *,
    patterns: Sequence[PatternResult] = (),
    capacity: float = 20.0,
    **rows: object,
) -> DiagnosisInputs:
    """Inputs with ``plan`` planned on team ``core`` and every other candidate deferred."""
    entries = []
    for c in candidates:
        period, weeks = plan.get(c.id, (None, c.model.effort_weeks or 0.0))
        status = ("now", "next", "later")[PERIODS.index(period)] if period else "deferred"
        entries.append(
            RoadmapEntry(
                capability_id=c.id,
                name=c.name,
                team="core",
                period=period,
                end_period=period,
                effort_weeks=weeks,
                load={period: weeks} if period else {},
                status=status,
                reason="test",
                value=c.value.p50 if c.value else 0.0,
            )
        )
    used = {p: sum(w for per, w in plan.values() if per == p) for p in PERIODS}
    loads = [
        TeamLoad(team="core", period=p, capacity=capacity, usable=capacity, used=used[p])
        for p in PERIODS
    ]
    evaluation = Evaluation(
        patterns=list(patterns),
        candidates=list(candidates),
        conflicts=[],
        unknown_addresses={},
        seed=0,
        draws=100,
        embedder="test",
    )
    return DiagnosisInputs(evaluation=evaluation, entries=entries, capacity=loads, **rows)  # type: ignore[arg-type]


def run(inputs: DiagnosisInputs, settings: Settings | None = None) -> Diagnosis:
    return diagnose(inputs, settings or Settings())


def of(diagnosis: Diagnosis, code: str) -> list[Finding]:
    return [f for f in diagnosis.findings if f.code == code]


# --- chasing-requests ---------------------------------------------------------------------


def test_chasing_requests_fires_on_effort_for_one_account() -> None:
    narrow = candidate("c-narrow", accounts=["a9"], effort=6)
    broad = candidate("c-broad", effort=4)
    alternative = candidate("c-alt", accounts=["a1", "a2", "a3", "a5", "a6"], effort=5)
    found = of(
        run(build([narrow, broad, alternative], {"c-narrow": ("P1", 6), "c-broad": ("P1", 4)})),
        "chasing-requests",
    )
    assert len(found) == 1
    finding = found[0]
    assert finding.severity == "critical"  # 6 of 10 weeks >= 0.5
    assert finding.value == pytest.approx(0.6)
    assert finding.threshold == pytest.approx(0.25)
    assert {"c-narrow", "a9", "s-c-narrow-a9"} <= set(finding.evidence)
    assert "account a9 alone backs 6 weeks" in finding.message
    assert finding.remedy.startswith("swap c-narrow") and "for c-alt" in finding.remedy
    # An alternative on another team is no swap: the weeks freed are on core.
    inputs = build([narrow, broad, alternative], {"c-narrow": ("P1", 6), "c-broad": ("P1", 4)})
    elsewhere = [
        e.model_copy(update={"team": "edge"}) if e.capability_id == "c-alt" else e
        for e in inputs.entries
    ]
    [moved] = of(run(replace(inputs, entries=elsewhere)), "chasing-requests")
    assert moved.remedy.startswith("take out c-narrow") and "and plan c-alt" in moved.remedy
    assert "the weeks freed on core do not make room on edge" in moved.remedy


def test_chasing_requests_warns_between_thresholds_and_is_quiet_when_healthy() -> None:
    narrow = candidate("c-narrow", accounts=["a9", "a8"], effort=3)
    broad = candidate("c-broad", effort=7)
    warn = run(build([narrow, broad], {"c-narrow": ("P1", 3), "c-broad": ("P1", 7)}))
    assert [f.severity for f in of(warn, "chasing-requests")] == ["warn"]
    healthy = run(build([narrow, broad], {"c-narrow": ("P1", 2), "c-broad": ("P1", 10)}))
    assert of(healthy, "chasing-requests") == []
    settings = Settings()
    settings.diagnostics.narrow_max_accounts = 1
    assert (
        of(run(build([narrow, broad], {"c-narrow": ("P1", 3)}), settings), "chasing-requests") == []
    )


# --- ignoring-field-feedback -----------------------------------------------------------------


def test_ignoring_field_feedback_fires_on_unevidenced_effort() -> None:
    bare = candidate("c-bare", evidenced=False, patterns=[], effort=5)
    backed = candidate("c-backed", effort=5)
    spare = candidate("c-spare", effort=5)
    found = of(
        run(
            build(
                [bare, backed, spare],
                {"c-bare": ("P1", 5), "c-backed": ("P1", 5)},
                patterns=[pattern("P1", candidates=["c-backed", "c-spare"])],
            )
        ),
        "ignoring-field-feedback",
    )
    assert [(f.severity, f.value) for f in found] == [("critical", 0.5)]
    assert found[0].subjects[0] == "c-bare" and "swap c-bare" in found[0].remedy


def test_ignoring_field_feedback_fires_on_ready_patterns_left_out() -> None:
    six = ["a1", "a2", "a3", "a4", "a5", "a6"]
    served = candidate("c-served", patterns=["P2"])
    waiting = candidate("c-waiting", patterns=["P1"], accounts=six)
    patterns = [
        pattern("P1", accounts=six, candidates=["c-waiting"]),
        pattern("P2", candidates=["c-served"]),
        pattern("P3", "watch", accounts=["a7", "a8", "a9"]),
    ]
    found = of(
        run(build([served, waiting], {"c-served": ("P1", 4)}, patterns=patterns)),
        "ignoring-field-feedback",
    )
    assert len(found) == 1
    finding = found[0]
    assert finding.severity == "critical"  # 6 of 10 ready accounts unaddressed
    assert finding.value == pytest.approx(0.6)
    assert finding.subjects == ["P1"]  # P3 is not ready: not counted
    assert finding.remedy.startswith("plan c-waiting")


def test_ignoring_field_feedback_is_quiet_when_ready_patterns_are_planned() -> None:
    first = candidate("c-1", patterns=["P1"])
    second = candidate("c-2", patterns=["P2"])
    patterns = [pattern("P1", candidates=["c-1"]), pattern("P2", candidates=["c-2"])]
    plan = {"c-1": ("P1", 4), "c-2": ("P2", 4)}
    assert of(run(build([first, second], plan, patterns=patterns)), "ignoring-field-feedback") == []


# --- features-over-capabilities --------------------------------------------------------------


def test_features_over_capabilities_fires_on_a_feature_roadmap() -> None:
    features = [candidate(f"f-{k}", kind="feature", effort=4) for k in range(2)]
    capability = candidate("c-cap", effort=2)
    spare = candidate("c-spare", effort=6)
    plan = {"f-0": ("P1", 4), "f-1": ("P1", 4), "c-cap": ("P1", 2)}
    found = of(run(build([*features, capability, spare], plan)), "features-over-capabilities")
    assert [(f.severity, f.value) for f in found] == [("critical", pytest.approx(0.8))]
    assert "for c-spare" in found[0].remedy


def test_features_over_capabilities_fires_on_a_feature_chosen_over_its_capability() -> None:
    feature = candidate("f-quick", kind="feature", effort=2)
    capability = candidate("c-full", effort=6, accounts=["a1", "a2", "a3", "a4", "a5"])
    core = candidate("c-core", effort=8)
    rows = {
        "f-quick": Capability(
            capability_id="f-quick",
            name="Quick connect",
            description="",
            team="core",
            effort_weeks=2,
            kind="feature",
            excludes=["c-full"],
        )
    }
    found = of(
        run(
            build(
                [feature, capability, core],
                {"f-quick": ("P1", 2), "c-core": ("P1", 8)},
                capabilities=rows,
            )
        ),
        "features-over-capabilities",
    )
    assert len(found) == 1  # 2 of 10 weeks on features: the share is healthy
    assert found[0].severity == "warn" and found[0].value == 1.0
    assert found[0].subjects == ["f-quick", "c-full"]
    assert found[0].remedy.startswith("swap f-quick") and "for c-full" in found[0].remedy


def test_features_over_capabilities_is_quiet_on_a_capability_roadmap() -> None:
    feature = candidate("f-small", kind="feature", effort=2)
    capability = candidate("c-big", effort=8)
    plan = {"f-small": ("P1", 2), "c-big": ("P1", 8)}
    assert of(run(build([feature, capability], plan)), "features-over-capabilities") == []


def test_unlabelled_narrow_item_counts_as_single_use() -> None:
    narrow = candidate("c-x", kind=None, accounts=["a1"], effort=8)
    broad = candidate("c-y", kind=None, effort=2)
    found = of(
        run(build([narrow, broad], {"c-x": ("P1", 8), "c-y": ("P1", 2)})),
        "features-over-capabilities",
    )
    assert found and found[0].subjects == ["c-x"]


# --- underestimated-constraints -----------------------------------------------------------


def _constraints(*items: tuple[str, str, float]) -> dict[str, list[ModelConstraint]]:
    return {
        cid: [ModelConstraint(capability_id=cid, requirement="recall", feasibility=f, confidence=c)]  # type: ignore[arg-type]
        for cid, f, c in items
    }


def test_utilisation_warns_past_the_threshold_and_only_suggests_a_bigger_reserve() -> None:
    def found(used: float, reserve: float) -> list[Finding]:
        settings = Settings()
        settings.planning.capacity_reserve = reserve
        inputs = build([candidate("c-1", effort=used)], {"c-1": ("P1", used)}, capacity=20.0)
        return [
            f
            for f in of(run(inputs, settings), "underestimated-constraints")
            if f.metric.startswith("peak share")
        ]

    # 17/20 = 85%: what a 15% reserve lets the optimizer plan is not past the threshold.
    assert found(17.0, 0.15) == []
    [warn] = found(18.0, 0.0)
    assert "core P1 18/20 weeks (90%)" in warn.message
    assert "set planning.capacity_reserve to 0.15 (now 0.00)" in warn.remedy
    [warn] = found(18.0, 0.15)  # a load the optimizer would not plan: no circular advice
    assert "capacity_reserve to" not in warn.remedy and "stays within 85%" in warn.remedy


def test_underestimated_constraints_fires_on_feasibility() -> None:
    shaky, hopeless = candidate("c-shaky"), candidate("c-no")
    inputs = build(
        [shaky, hopeless],
        {"c-shaky": ("P1", 4), "c-no": ("P2", 4)},
        constraints=_constraints(("c-shaky", "partial", 0.3), ("c-no", "no", 0.9)),
    )
    found = of(run(inputs), "underestimated-constraints")
    assert [(f.severity, f.subjects) for f in found] == [
        ("critical", ["c-no"]),
        ("warn", ["c-shaky"]),
    ]
    assert found[1].value == pytest.approx(0.3) and found[1].threshold == pytest.approx(0.5)
    confident = build(
        [shaky], {"c-shaky": ("P1", 4)}, constraints=_constraints(("c-shaky", "partial", 0.8))
    )
    assert of(run(confident), "underestimated-constraints") == []


def test_underestimated_constraints_fires_on_guardrails() -> None:
    guardrails = [
        Guardrail(
            guardrail_id="g-b",
            rule="never",
            severity="block",
            owner_role="ai-architect",
            applies_to=["c-1"],
        ),
        Guardrail(
            guardrail_id="g-w",
            rule="careful",
            severity="warn",
            owner_role="security",
            applies_to=["c-2"],
        ),
    ]
    plan = {"c-1": ("P1", 4), "c-2": ("P1", 4)}
    found = of(
        run(build([candidate("c-1"), candidate("c-2")], plan, guardrails=guardrails)),
        "underestimated-constraints",
    )
    assert [(f.severity, f.subjects, f.evidence[0]) for f in found] == [
        ("critical", ["c-1"], "g-b"),
        ("warn", ["c-2"], "g-w"),
    ]
    assert "security" in found[1].remedy


def capability_row(cid: str, **fields: object) -> Capability:
    return Capability(
        capability_id=cid, name=cid, description="", team="core", effort_weeks=2, **fields
    )


def test_underestimated_constraints_fires_on_broken_order_and_exclusions() -> None:
    items = [candidate(c, effort=2) for c in ("c0", "c1", "c2", "c3", "c4", "c5")]
    rows = {
        "c1": capability_row("c1", depends_on=["c0"]),
        "c2": capability_row("c2", depends_on=["c9"]),  # c9: not planned
        "c3": capability_row("c3", excludes=["c1"]),
        "c4": capability_row("c4", depends_on=["c8", "c0"]),  # c8 shipped; c0 done before
        "c8": capability_row("c8", attributes={"shipped": "2026-01-05"}),
    }
    plan = {
        "c0": ("P2", 2),
        "c1": ("P2", 2),  # starts when c0 finishes: too early
        "c2": ("P3", 2),
        "c3": ("P1", 2),
        "c4": ("P3", 2),
    }
    found = of(run(build(items, plan, capabilities=rows)), "underestimated-constraints")
    order = next(f for f in found if f.metric.startswith("planned items whose prerequisite"))
    assert order.severity == "critical" and order.value == 2.0
    assert "c1 starts in P2 but needs c0, which finishes in P2" in order.message
    assert "c2 needs c9, which is not planned" in order.message
    assert "c4" not in order.subjects and set(order.subjects) == {"c1", "c2", "c0", "c9"}
    clash = next(f for f in found if f.metric.startswith("pairs of planned items"))
    assert clash.severity == "critical" and clash.value == 1.0
    assert clash.subjects == ["c1", "c3"] and "c1 and c3" in clash.message
    plan["c1"], plan["c2"] = ("P3", 2), ("P1", 2)
    del plan["c3"]
    rows["c2"] = capability_row("c2")
    kept = of(run(build(items, plan, capabilities=rows)), "underestimated-constraints")
    assert not [f for f in kept if "prerequisite" in f.metric or "exclude" in f.metric]


def test_underestimated_constraints_fires_on_broken_must_rules() -> None:
    items = [candidate(c, effort=2) for c in ("m", "n", "k", "old")]
    rows = {
        "m": capability_row("m", must="yes"),
        "n": capability_row("n", must="never"),
        "k": capability_row("k", must="no"),
        "old": capability_row("old", must="yes", attributes={"shipped": "2026-01-05"}),
    }
    found = of(run(build(items, {"n": ("P1", 2)}, capabilities=rows)), "underestimated-constraints")
    (must,) = [f for f in found if f.metric.startswith("must=yes candidates left out")]
    assert must.severity == "critical" and must.value == 2.0 and must.subjects == ["m", "n"]
    assert "must=yes but left out: m; must=never but planned: n" in must.message
    kept = of(run(build(items, {"m": ("P1", 2)}, capabilities=rows)), "underestimated-constraints")
    assert not [f for f in kept if f.metric.startswith("must=yes")]


def test_underestimated_constraints_fires_on_capacity() -> None:
    items = [candidate("c-1", effort=9), candidate("c-2", effort=2)]
    full = of(run(build(items, {"c-1": ("P1", 9)}, capacity=10)), "underestimated-constraints")
    assert [(f.severity, f.value) for f in full] == [("warn", pytest.approx(0.9))]
    over = of(
        run(build(items, {"c-1": ("P1", 9), "c-2": ("P1", 2)}, capacity=10)),
        "underestimated-constraints",
    )
    assert [(f.severity, f.value) for f in over] == [("critical", pytest.approx(1.1))]
    assert "move c-2 (2 weeks) out of core P1" in over[0].remedy
    roomy = run(build(items, {"c-1": ("P1", 8)}, capacity=10))
    assert of(roomy, "underestimated-constraints") == []


def test_underestimated_constraints_fires_on_work_for_a_team_without_capacity() -> None:
    found = of(
        run(build([candidate("c-1")], {"c-1": ("P1", 4)}, capacity=0)), "underestimated-constraints"
    )
    assert [(f.severity, f.metric, f.value, f.threshold) for f in found] == [
        ("critical", "planned weeks where the team has no capacity", 4.0, 0.0)
    ]
    assert found[0].remedy.startswith("move c-1 to a team and period with capacity")


def test_underestimated_constraints_fires_on_wide_estimates_without_buffer() -> None:
    wide = candidate("c-wide", effort=4, high=10)
    inputs = build([wide], {"c-wide": ("P1", 4)}, capacity=5)
    found = of(run(inputs), "underestimated-constraints")
    # overrun 10 - 4 = 6 weeks, 1 free week in P1: 5 uncovered weeks over 4 planned
    overrun = [f for f in found if f.metric.startswith("uncovered")]
    assert len(overrun) == 1
    assert overrun[0].value == pytest.approx(5 / 4) and overrun[0].severity == "critical"
    assert (
        "c-wide planned at 4 weeks, up to 10, 1 free weeks in core, 5 uncovered"
        in overrun[0].message
    )
    buffered = build([wide], {"c-wide": ("P1", 4)}, capacity=12)
    assert of(run(buffered), "underestimated-constraints") == []
    narrow = build([candidate("c-tight", effort=4, high=5)], {"c-tight": ("P1", 4)}, capacity=5)
    assert [
        f for f in of(run(narrow), "underestimated-constraints") if f.metric.startswith("uncovered")
    ] == []


# --- current-customers-only -----------------------------------------------------------------


def _accounts() -> dict[str, Account]:
    """Ten accounts, acc-0 the largest; the top 20% are acc-0 and acc-1."""
    return {
        f"acc-{k}": Account(
            account_id=f"acc-{k}",
            name=f"Account {k}",
            segment="enterprise" if k < 2 else "mid-market",
            industry="banking",
            tier=1 if k < 2 else 2,
            arr=1_000_000.0 / (k + 1),
        )
        for k in range(10)
    }


def test_current_customers_only_fires_on_value_for_the_largest_accounts() -> None:
    big = candidate("c-big", accounts=["acc-0", "acc-1"], reach=0.0, p50=900)
    mixed = candidate("c-mixed", accounts=["acc-0", "acc-5"], reach=0.4, p50=100)
    wide = candidate("c-wide", accounts=["acc-4", "acc-5", "acc-6"], reach=1.0)
    inputs = build(
        [big, mixed, wide], {"c-big": ("P1", 4), "c-mixed": ("P1", 4)}, accounts=_accounts()
    )
    found = of(run(inputs), "current-customers-only")
    assert [f.severity for f in found] == ["critical", "warn"]
    share, reach = found
    assert share.value == pytest.approx((900 * 1.0 + 100 * 0.5) / 1000)
    assert set(share.evidence) >= {"c-big", "acc-0", "acc-1"}
    assert "for c-wide" in share.remedy
    assert reach.value == pytest.approx(0.4) and reach.threshold == pytest.approx(0.5)
    assert reach.remedy.startswith("plan c-wide")


def test_current_customers_only_is_quiet_when_the_plan_reaches_new_accounts() -> None:
    wide = candidate("c-wide", accounts=["acc-0", "acc-4", "acc-5", "acc-6"], reach=0.75)
    inputs = build([wide], {"c-wide": ("P1", 4)}, accounts=_accounts())
    assert of(run(inputs), "current-customers-only") == []


# --- premature-standardization ----------------------------------------------------------------


def test_premature_standardization_fires_on_capabilities_over_unready_patterns() -> None:
    early = candidate("c-early", patterns=["P-new"], effort=5)
    ready = candidate("c-ready", patterns=["P-old"], effort=5)
    spare = candidate("c-spare", patterns=["P-old"], effort=4)
    patterns = [
        pattern(
            "P-new", "watch", reason="watch: recurring but not ready: first seen only 20 days ago"
        ),
        pattern("P-old"),
    ]
    found = of(
        run(
            build(
                [early, ready, spare],
                {"c-early": ("P1", 5), "c-ready": ("P1", 5)},
                patterns=patterns,
            )
        ),
        "premature-standardization",
    )
    assert [(f.severity, f.value) for f in found] == [("critical", pytest.approx(0.5))]
    assert "first seen only 20 days ago" in found[0].message
    assert "P-new" in found[0].evidence and "for c-spare" in found[0].remedy


def test_a_swap_never_brings_in_what_needs_the_item_it_takes_out() -> None:
    early = candidate("c-early", patterns=["P-new"], effort=5)
    ready = candidate("c-ready", patterns=["P-old"], effort=5)
    heir = candidate("c-heir", patterns=["P-old"], effort=4, p50=500.0)  # needs c-early
    rival = candidate("c-rival", patterns=["P-old"], effort=4, p50=400.0)  # excludes c-ready
    spare = candidate("c-spare", patterns=["P-old"], effort=4)
    patterns = [pattern("P-new", "watch", reason="watch: not ready"), pattern("P-old")]
    rows = {
        "c-heir": capability_row("c-heir", depends_on=["c-early"]),
        "c-rival": capability_row("c-rival", excludes=["c-ready"]),
    }
    plan = {"c-early": ("P1", 5), "c-ready": ("P1", 5)}
    inputs = build([early, ready, heir, rival, spare], plan, patterns=patterns, capabilities=rows)
    [found] = of(run(inputs), "premature-standardization")
    # The richer c-heir and c-rival cannot take c-early's place: one needs it, the other
    # excludes a planned item.
    assert "for c-spare" in found.remedy
    assert {c.id for _, c in inputs.alternatives(alone=True)} == {"c-heir", "c-spare"}
    assert {c.id for _, c in inputs.alternatives(alone=True, without=["c-early"])} == {"c-spare"}


def test_premature_standardization_ignores_features_and_ready_patterns() -> None:
    feature = candidate("f-early", kind="feature", patterns=["P-new"], effort=5)
    ready = candidate("c-ready", patterns=["P-old"], effort=5)
    patterns = [pattern("P-new", "keep-custom"), pattern("P-old")]
    plan = {"f-early": ("P1", 5), "c-ready": ("P1", 5)}
    assert (
        of(run(build([feature, ready], plan, patterns=patterns)), "premature-standardization") == []
    )


# --- coordination-breakdown -----------------------------------------------------------------


def test_coordination_breakdown_fires_on_an_overridden_block_until_decided() -> None:
    blocked = candidate("c-blocked", stances=[("leadership", 2), ("ml-engineer", -2)])
    inputs = build([blocked], {"c-blocked": ("P1", 4)})
    found = of(run(inputs), "coordination-breakdown")
    assert [(f.severity, f.subjects) for f in found] == [("critical", ["c-blocked"])]
    assert "ml-engineer -2" in found[0].message and "record a decision" in found[0].remedy
    decided = build([blocked], {"c-blocked": ("P1", 4)}, decided=frozenset({"c-blocked"}))
    assert of(run(decided), "coordination-breakdown") == []
    deferred = build([blocked], {})
    assert of(run(deferred), "coordination-breakdown") == []


def test_coordination_breakdown_fires_on_split_roles_not_on_one_outlier() -> None:
    split = [
        ("fde", 2),
        ("leadership", 2),
        ("solutions-architect", 2),
        ("ai-architect", -1),
        ("platform-engineering", -1),
    ]
    outlier = [
        ("fde", 2),
        ("leadership", 2),
        ("solutions-architect", 2),
        ("ml-engineer", 2),
        ("ai-architect", -1),
    ]
    items = [candidate("c-split", stances=split), candidate("c-outlier", stances=outlier)]
    found = of(
        run(build(items, {"c-split": ("P1", 4), "c-outlier": ("P1", 4)})), "coordination-breakdown"
    )
    assert [(f.severity, f.subjects) for f in found] == [("warn", ["c-split"])]
    assert found[0].value == pytest.approx(1.4697, abs=1e-3)  # std of 2,2,2,-1,-1
    assert "against: ai-architect -1" in found[0].message


# --- high-touch-trap ------------------------------------------------------------------------


def _point(hours: float) -> EconomicsPoint:
    band = Band(p10=hours, p50=hours, p90=hours)
    one = Band(p10=1, p50=1, p90=1)
    return EconomicsPoint(
        new_deployments=one,
        active_deployments=one,
        fde_hours=band,
        fde_hours_per_new_deployment=band,
        fde_headcount=one,
        fde_cost=one,
        revenue=one,
        gross_margin=one,
        absorbed_share=one,
        shipped=[],
    )


def economics(
    with_plan: Sequence[float], without: Sequence[float], escape: str | None
) -> Economics:
    return Economics(
        periods=[
            EconomicsPeriod(period=f"P{k + 1}", with_plan=_point(w), without_plan=_point(o))
            for k, (w, o) in enumerate(zip(with_plan, without, strict=True))
        ],
        escape_period=escape,
        escape_period_without=None,
        assumptions=[],
        evidence=["d-1", "w-1"],
        draws=100,
        seed=0,
    )


def test_high_touch_trap_needs_economics() -> None:
    result = run(build([candidate("c-1")], {"c-1": ("P1", 4)}))
    assert "high-touch-trap" not in result.checked
    assert result.checked == [c for c in CODES if c != "high-touch-trap"]


def test_high_touch_trap_fires_when_hours_do_not_fall() -> None:
    absorber = candidate("c-absorb", fde_hours=900)
    planned = candidate("c-1")
    # One account's bespoke need (keep-custom) absorbs nothing for future deployments,
    # however many hours it carries: it is never the remedy.
    custom = candidate("c-custom", accounts=["a9"], fde_hours=2200)
    custom = custom.model_copy(update={"readiness": "keep-custom"})
    flat = build(
        [planned, absorber, custom],
        {"c-1": ("P1", 4)},
        economics=economics([100, 100, 104], [100, 102, 106], None),
    )
    found = of(run(flat), "high-touch-trap")
    assert [(f.severity, f.value, f.threshold) for f in found] == [
        ("critical", pytest.approx(0.04), pytest.approx(-0.1))
    ]
    assert "escape period: none" in found[0].message and "without it +6%" in found[0].message
    assert (
        found[0].remedy.startswith("plan c-absorb") and "900 bespoke FDE hours" in found[0].remedy
    )
    assert "d-1" in found[0].evidence
    slow = build(
        [planned], {"c-1": ("P1", 4)}, economics=economics([100, 97, 95], [100, 100, 100], None)
    )
    assert [f.severity for f in of(run(slow), "high-touch-trap")] == ["warn"]


def test_high_touch_trap_remedy_when_the_absorber_is_refused_or_planned() -> None:
    absorber = candidate("c-absorb", fde_hours=900)
    flat = economics([100, 100, 104], [100, 102, 106], None)
    inputs = build([candidate("c-1"), absorber], {"c-1": ("P1", 4)}, economics=flat)
    refused = [
        e.model_copy(update={"status": "refused", "reason": "blocking guardrail(s) g-1"})
        if e.capability_id == "c-absorb"
        else e
        for e in inputs.entries
    ]
    (finding,) = of(run(replace(inputs, entries=refused)), "high-touch-trap")
    assert finding.remedy.startswith("c-absorb's patterns carry 900 bespoke FDE hours but it")
    assert "refused (blocking guardrail(s) g-1)" in finding.remedy
    planned = build([absorber], {"c-absorb": ("P1", 4)}, economics=flat)
    (finding,) = of(run(planned), "high-touch-trap")
    assert finding.remedy.startswith("every candidate that absorbs bespoke FDE hours is")


def test_high_touch_trap_is_quiet_when_the_plan_escapes() -> None:
    falling = build(
        [candidate("c-1")],
        {"c-1": ("P1", 4)},
        economics=economics([100, 80, 60], [100, 100, 100], "P2"),
    )
    result = run(falling)
    assert "high-touch-trap" in result.checked and of(result, "high-touch-trap") == []


# --- ordering and settings ------------------------------------------------------------------


def test_findings_are_worst_first() -> None:
    blocked = candidate("c-blocked", stances=[("leadership", 2), ("ml-engineer", -2)], effort=9)
    narrow = candidate("c-narrow", accounts=["a9"], effort=1)
    inputs = build([blocked, narrow], {"c-blocked": ("P1", 9), "c-narrow": ("P1", 1)}, capacity=10)
    findings = run(inputs).findings
    ranks = [("critical", "warn", "info").index(f.severity) for f in findings]
    assert ranks == sorted(ranks) and findings[0].severity == "critical"
    for a, b in itertools.pairwise(findings):
        if a.severity == b.severity:
            assert distance(a) >= distance(b)


def test_warn_threshold_above_critical_is_refused() -> None:
    with pytest.raises(ValueError, match="narrow_effort_warn"):
        Settings.model_validate({"diagnostics": {"narrow_effort_warn": 0.9}})


def test_every_code_is_documented() -> None:
    doc = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    product = ROOT.parent / "shared" / "PRODUCT.md"
    if product.exists():  # the spec sits beside the repository in the project's layout
        table = re.findall(r"^\| `([a-z-]+)` \|", product.read_text(encoding="utf-8"), re.M)
        assert set(table) == set(CODES)
    for code in CODES:
        assert f"## `{code}`" in doc, f"{code} is not documented in docs/diagnostics.md"
    for name in Settings().diagnostics.model_dump():
        assert f"diagnostics.{name}" in doc, f"diagnostics.{name} is not in docs/diagnostics.md"


# --- through real workspaces ----------------------------------------------------------------


def diagnosis_bundle() -> dict[str, list[dict[str, str]]]:
    """The value tests' planted workspace plus a one-account feature and a blocking stance."""
    bundle = planted_bundle()
    bundle["signals"] += [
        {
            "signal_id": f"exp-{k}",
            "date": f"2026-0{k + 1}-10",
            "source": "customer-request",
            "text": "Export every ledger to our mainframe in EBCDIC fixed width",
            "account_id": "big",
            "kind": "request",
            "urgency": "4",
        }
        for k in range(4)
    ]
    bundle["capabilities"].append(
        {
            "capability_id": "cap-export",
            "name": "Mainframe ledger export",
            "description": "EBCDIC fixed-width export for one bank",
            "team": "core",
            "effort_weeks": "5",
            "kind": "feature",
            "addresses": "exp-0",
        }
    )
    bundle["teams"] += [
        {"team": "core", "period": "2027-Q2", "capacity_weeks": "10"},
        {"team": "docs", "period": "2027-Q1", "capacity_weeks": "0"},
    ]
    bundle["stances"].append(
        {"role": "platform-engineering", "capability_id": "cap-sso", "stance": "-2", "author": "pe"}
    )
    return bundle


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("diagnose")
    return synthesized_workspace(root, diagnosis_bundle())


def test_optimizer_plan_through_the_loader(planted: Workspace) -> None:
    evaluation = evaluate(planted)
    roadmap = plan_roadmap(planted, evaluation=evaluation)
    sso = roadmap.entry("cap-sso")
    assert sso is not None and sso.status == "now"
    inputs = load_diagnosis_inputs(planted, evaluation, roadmap.entries, roadmap.capacity)
    assert {"big", "a", "b", "c", "d"} == set(inputs.accounts)
    assert [g.guardrail_id for g in inputs.guardrails] == ["g-pool"]
    result = diagnose(inputs, planted.settings)
    blocked = [f for f in of(result, "coordination-breakdown") if f.severity == "critical"]
    assert blocked and blocked[0].subjects == ["cap-sso"]
    assert "platform-engineering -2" in blocked[0].message
    decided = load_diagnosis_inputs(
        planted, evaluation, roadmap.entries, roadmap.capacity, decided={"cap-sso"}
    )
    assert all(
        "cap-sso" not in f.subjects
        for f in of(diagnose(decided, planted.settings), "coordination-breakdown")
    )


def test_hand_made_roadmap_is_audited(planted: Workspace, tmp_path: Path) -> None:
    evaluation = evaluate(planted)
    chasing = write_csv(
        tmp_path / "roadmap.csv",
        [{"capability_id": "cap-export", "period": "2027-Q2", "team": "core"}],
    )
    audited = load_roadmap_file(planted, chasing, evaluation)
    entry = next(e for e in audited.entries if e.capability_id == "cap-export")
    assert (entry.status, entry.period, entry.end_period, entry.load) == (
        "next",
        "2027-Q2",
        "2027-Q2",
        {"2027-Q2": 5.0},
    )
    assert "roadmap.csv line 2" in entry.reason
    sso = next(e for e in audited.entries if e.capability_id == "cap-sso")
    assert sso.status == "deferred" and sso.reason == "not in roadmap.csv"
    pool = next(e for e in audited.entries if e.capability_id == "cap-pool")
    assert pool.status == "refused"
    used = {(c.team, c.period): c.used for c in audited.capacity}
    assert used == {
        ("core", "2027-Q1"): 0.0,
        ("core", "2027-Q2"): 5.0,
        ("docs", "2027-Q1"): 0.0,
        ("docs", "2027-Q2"): 0.0,
    }
    inputs = load_diagnosis_inputs(planted, evaluation, audited.entries, audited.capacity)
    result = diagnose(inputs, planted.settings, roadmap_source=str(chasing))
    found = of(result, "chasing-requests")
    assert found and found[0].value == pytest.approx(1.0) and "big" in found[0].evidence
    healthy = write_csv(
        tmp_path / "healthy.csv",
        [{"capability_id": "cap-sso", "period": "2027-Q1", "team": "core"}],
    )
    audited = load_roadmap_file(planted, healthy, evaluation)
    inputs = load_diagnosis_inputs(planted, evaluation, audited.entries, audited.capacity)
    assert of(diagnose(inputs, planted.settings), "chasing-requests") == []


def test_hand_made_roadmap_breaking_constraints_is_flagged(
    planted: Workspace, tmp_path: Path
) -> None:
    evaluation = evaluate(planted)
    path = write_csv(
        tmp_path / "roadmap.csv",
        [{"capability_id": "cap-pool", "period": "2027-Q1", "team": "core"}],
    )
    audited = load_roadmap_file(planted, path, evaluation)
    pool = next(e for e in audited.entries if e.capability_id == "cap-pool")
    # 30 weeks on a team of 10 a period needs 3 periods (the optimizer's rule): 10 in each
    # of the 2 planning periods, the rest past the horizon
    assert pool.load == {"2027-Q1": 10.0, "2027-Q2": 10.0}
    assert "runs past the last planning period" in pool.reason
    assert "the optimizer would refuse it" in pool.reason
    inputs = load_diagnosis_inputs(planted, evaluation, audited.entries, audited.capacity)
    found = {
        (f.severity, f.metric)
        for f in of(diagnose(inputs, planted.settings), "underestimated-constraints")
    }
    assert ("critical", "planned items with model feasibility 'no'") in found
    assert ("critical", "planned items under a block guardrail") in found
    assert ("warn", "peak share of a team's capacity used in a period") in found


def test_hand_made_roadmap_on_a_team_without_capacity(planted: Workspace, tmp_path: Path) -> None:
    evaluation = evaluate(planted)
    path = write_csv(
        tmp_path / "roadmap.csv",
        [{"capability_id": "cap-export", "period": "2027-Q1", "team": "docs"}],
    )
    audited = load_roadmap_file(planted, path, evaluation)
    entry = next(e for e in audited.entries if e.capability_id == "cap-export")
    assert (entry.team, entry.end_period, entry.load) == ("docs", "2027-Q1", {"2027-Q1": 5.0})
    assert "built by docs instead of core" in entry.reason
    assert "no usable capacity" in entry.reason
    inputs = load_diagnosis_inputs(planted, evaluation, audited.entries, audited.capacity)
    found = [
        f
        for f in of(diagnose(inputs, planted.settings), "underestimated-constraints")
        if f.metric == "planned weeks where the team has no capacity"
    ]
    assert [(f.severity, f.value, f.subjects) for f in found] == [("critical", 5.0, ["cap-export"])]


def test_malformed_roadmap_names_file_row_and_column(planted: Workspace, tmp_path: Path) -> None:
    rows = [
        {"capability_id": "cap-sso", "period": "2027-Q1", "team": "core"},
        {"capability_id": "nope", "period": "2027-Q1", "team": "core"},
        {"capability_id": "cap-export", "period": "2031-Q9", "team": "core"},
        {"capability_id": "cap-sso", "period": "2027-Q2", "team": "ghosts"},
        {"capability_id": "cap-done", "period": "2027-Q1", "team": "core"},
        {"capability_id": "cap-big", "period": "", "team": "core"},
    ]
    path = write_csv(tmp_path / "roadmap.csv", rows)
    with pytest.raises(BundleError) as caught:
        load_roadmap_file(planted, path, evaluate(planted))
    where = {(p.file, p.row, p.column) for p in caught.value.problems}
    assert where == {
        ("roadmap.csv", 3, "capability_id"),
        ("roadmap.csv", 4, "period"),
        ("roadmap.csv", 5, "capability_id"),
        ("roadmap.csv", 5, "team"),
        ("roadmap.csv", 6, "capability_id"),
        ("roadmap.csv", 7, "period"),
    }
    messages = " ".join(p.message for p in caught.value.problems)
    assert "unknown capability id 'nope'" in messages and "listed twice" in messages
    assert "already shipped" in messages and "unknown period '2031-Q9'" in messages
    no_team = write_csv(tmp_path / "bad.csv", [{"capability_id": "cap-sso", "period": "2027-Q1"}])
    with pytest.raises(BundleError) as caught:
        load_roadmap_file(planted, no_team, evaluate(planted))
    assert [(p.row, p.column) for p in caught.value.problems] == [(1, "team")]


def test_cli_diagnose_json_table_and_roadmap(planted: Workspace, tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    ws = str(planted.path)
    result = runner.invoke(app, ["-w", ws, "diagnose", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["roadmap_source"] == "plan"
    assert document["checked"] == list(CODES)  # economics simulated: high-touch-trap runs
    assert any(f["code"] == "coordination-breakdown" for f in document["findings"])
    assert set(document["findings"][0]) >= {
        "code",
        "severity",
        "metric",
        "value",
        "threshold",
        "evidence",
        "remedy",
    }
    table = runner.invoke(app, ["-w", ws, "diagnose"])
    assert table.exit_code == 0 and "coordination-breakdown" in table.output
    good = write_csv(
        tmp_path / "roadmap.csv",
        [{"capability_id": "cap-export", "period": "2027-Q1", "team": "core"}],
    )
    result = runner.invoke(app, ["-w", ws, "diagnose", "--json", "--roadmap", str(good)])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["roadmap_source"] == str(good)
    assert any(f["code"] == "chasing-requests" for f in document["findings"])
    bad = write_csv(
        tmp_path / "bad.csv", [{"capability_id": "cap-sso", "period": "1999-Q1", "team": "core"}]
    )
    result = runner.invoke(app, ["-w", ws, "diagnose", "--roadmap", str(bad)])
    assert result.exit_code == 2
    assert "roadmap file was refused" in result.output and "bad.csv:2:period" in result.output


def test_a_roadmap_file_is_audited_even_when_the_optimizer_cannot_plan(tmp_path: Path) -> None:
    # cap-pool is refused (a blocking guardrail) yet marked must=yes: the optimizer stops
    # on that conflict, but an audit of a hand-made roadmap needs only the valuation.
    bundle = diagnosis_bundle()
    for capability in bundle["capabilities"]:
        if capability["capability_id"] == "cap-pool":
            capability["must"] = "yes"
    workspace = synthesized_workspace(tmp_path, bundle)
    with pytest.raises(PlanConflictError, match="cap-pool is must=yes"):
        plan_roadmap(workspace)
    path = write_csv(
        tmp_path / "roadmap.csv",
        [{"capability_id": "cap-export", "period": "2027-Q2", "team": "core"}],
    )
    diagnosis = diagnose_workspace(workspace, roadmap_file=path)
    assert diagnosis.roadmap_source == str(path)
    assert any(f.code == "chasing-requests" for f in diagnosis.findings)


def test_a_roadmap_file_planning_what_a_decision_defers_is_kept_and_flagged(
    tmp_path: Path,
) -> None:
    workspace = synthesized_workspace(tmp_path, diagnosis_bundle())
    deferred = record_decision(
        workspace, "cap-sso", choice="defer", rationale="after the audit", decided_by="pm"
    ).decision_id
    path = write_csv(
        tmp_path / "roadmap.csv",
        [{"capability_id": "cap-sso", "period": "2027-Q1", "team": "core"}],
    )
    evaluation = evaluate(workspace)
    audited = load_roadmap_file(workspace, path, evaluation)
    sso = next(e for e in audited.entries if e.capability_id == "cap-sso")
    # The file's row is kept as planned (before, it was silently shown as deferred).
    assert (sso.status, sso.period) == ("now", "2027-Q1")
    assert f"the optimizer would leave it out: deferred by decision {deferred}" in sso.reason
    used = {(c.team, c.period): c.used for c in audited.capacity}
    assert used[("core", "2027-Q1")] == sso.effort_weeks
    diagnosis = diagnose_workspace(workspace, roadmap_file=path)
    [found] = [
        f
        for f in diagnosis.findings
        if f.metric == "planned items a standing decision keeps out of the roadmap"
    ]
    assert (found.code, found.severity, found.subjects) == (
        "coordination-breakdown",
        "critical",
        ["cap-sso"],
    )
    assert deferred in found.evidence and deferred in found.remedy
    # The optimizer's own plan never plans it, so its diagnosis has no such finding.
    plan_findings = diagnose_workspace(workspace).findings
    assert not [f for f in plan_findings if f.metric == found.metric]
