"""Value stage: readiness rules, frameworks by hand, Monte Carlo, and a planted workspace."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import synthesized_workspace
from controltower.cli import app
from controltower.domain import Guardrail
from controltower.settings import ReadinessSettings
from controltower.synthesize.recurrence import Recurrence
from controltower.synthesize.view import PatternView
from controltower.value import evaluate, explain
from controltower.value.frameworks import (
    ease_from_effort,
    ice,
    ranks,
    rice,
    rice_impact,
    value_effort,
    weighted_scorecard,
    wsjf,
)
from controltower.value.mapping import propose
from controltower.value.model import SimulationInputs, simulate, triangular
from controltower.value.readiness import (
    Readiness,
    assess_readiness,
    candidate_guardrails,
    convergence,
    guardrail_hits,
)
from controltower.workspace import Workspace, init_workspace

AS_OF = date(2026, 6, 30)
ARR = {"big": 5_000_000.0, "a": 400_000.0, "b": 300_000.0, "c": 200_000.0, "d": 100_000.0}
GUARDRAILS = [
    Guardrail(
        guardrail_id="g-pool",
        rule="No training on pooled customer data",
        severity="block",
        owner_role="ai-architect",
        keywords=["fine-tune"],
    ),
]


def pattern(
    accounts: list[str], *, first: date, months: int, industries: int, texts: int = 10
) -> tuple[PatternView, list[str]]:
    """A pattern whose items come round-robin from ``accounts``."""
    evidence = [accounts[i % len(accounts)] for i in range(texts)]
    rec = Recurrence(
        signals=texts,
        work_items=0,
        fde_hours=0.0,
        accounts=len(set(accounts)),
        industries=industries,
        segments={"mid-market": len(set(accounts))},
        tiers={"2": len(set(accounts))},
        arr=sum(ARR[a] for a in set(accounts)),
        top_account_share=max(evidence.count(a) for a in set(accounts)) / texts,
        first_seen=first,
        last_seen=AS_OF,
        by_month={f"2026-{m:02d}": 1 for m in range(1, months + 1)},
    )
    view = PatternView(
        id="P1",
        label="label",
        label_source="auto",
        status="active",
        key_phrases=["sso", "okta"],
        representatives=[],
        signal_ids=[f"s{i}" for i in range(texts)],
        work_ids=[],
        account_ids=sorted(set(accounts)),
        duplicates={},
        recurrence=rec,
        trend="stable",
        reasons=[],
    )
    return view, evidence


def assess(
    view: PatternView,
    evidence: list[str],
    texts: list[str] | None = None,
    vectors: np.ndarray | None = None,
) -> Readiness:
    return assess_readiness(
        view,
        texts=texts or ["SSO with Okta"] * len(evidence),
        evidence_accounts=evidence,
        work_vectors=np.zeros((0, 4), dtype=np.float32) if vectors is None else vectors,
        guardrails=GUARDRAILS,
        candidate_ids=[],
        arr=ARR,
        as_of=AS_OF,
        config=ReadinessSettings(),
    )


def test_broad_stable_pattern_is_standardize() -> None:
    view, evidence = pattern(["a", "b", "c", "d"], first=date(2026, 1, 5), months=6, industries=3)
    similar = np.tile(np.array([[1.0, 0.0, 0.0, 0.0]], dtype=np.float32), (3, 1))
    result = assess(view, evidence, vectors=similar)
    assert result.recommendation == "standardize", result.reasons
    assert result.convergence == pytest.approx(1.0)


def test_a_pattern_of_praise_is_not_standardized() -> None:
    view, evidence = pattern(["a", "b", "c", "d"], first=date(2026, 1, 5), months=6, industries=3)
    common = {
        "texts": ["The team loved the clause summary"] * len(evidence),
        "evidence_accounts": evidence,
        "work_vectors": np.zeros((0, 4), dtype=np.float32),
        "guardrails": GUARDRAILS,
        "candidate_ids": [],
        "arr": ARR,
        "as_of": AS_OF,
        "config": ReadinessSettings(),
    }
    assert assess_readiness(view, **common, praise_share=0.5).recommendation == "standardize"
    liked = assess_readiness(view, **common, praise_share=0.8)
    assert liked.recommendation == "watch"
    assert "80% of its signals are praise" in liked.reasons[0]


def test_standardize_says_convergent_only_when_builds_were_compared() -> None:
    view, evidence = pattern(["a", "b", "c", "d"], first=date(2026, 1, 5), months=6, industries=3)
    compared = assess(view, evidence, vectors=np.eye(1, 4, dtype=np.float32).repeat(3, axis=0))
    assert compared.reasons[0].startswith("standardize: broad, stable and convergent")
    alone = assess(view, evidence)
    assert alone.recommendation == "standardize" and alone.convergence is None
    assert alone.reasons[0].startswith("standardize: broad and stable (no bespoke builds")


def naming(guardrail_id: str, capability_id: str) -> Guardrail:
    """A blocking guardrail whose applies_to names one capability (and no keywords)."""
    return Guardrail(
        guardrail_id=guardrail_id,
        rule=f"Do not build {capability_id}",
        severity="block",
        owner_role="ai-architect",
        applies_to=[capability_id],
    )


def test_a_guardrail_on_one_capability_does_not_reject_its_pattern() -> None:
    """applies_to forbids building the named capability, not the need it addresses (nor
    the other candidates addressing that need); keywords carry a guardrail to a pattern."""
    named = naming("g-one", "cap-x")
    view, evidence = pattern(["a", "b", "c", "d"], first=date(2026, 1, 5), months=6, industries=3)
    result = assess_readiness(
        view,
        texts=["SSO with Okta"] * len(evidence),
        evidence_accounts=evidence,
        work_vectors=np.zeros((0, 4), dtype=np.float32),
        guardrails=[named],
        candidate_ids=["cap-x", "cap-y"],
        arr=ARR,
        as_of=AS_OF,
        config=ReadinessSettings(),
    )
    assert result.recommendation != "reject" and result.block_guardrails == []
    keyword = named.model_copy(update={"applies_to": [], "keywords": ["okta"]})
    assert guardrail_hits(keyword, phrases=["okta"], texts=[], min_share=0.5) is not None


def test_a_pattern_with_no_words_is_watched_and_not_proposed() -> None:
    view, evidence = pattern(["a", "b", "c", "d"], first=date(2026, 1, 5), months=6, industries=3)
    wordless = view.model_copy(update={"key_phrases": [], "label": "(no words)"})
    similar = np.tile(np.array([[1.0, 0.0, 0.0, 0.0]], dtype=np.float32), (3, 1))
    result = assess(wordless, evidence, texts=["?"] * len(evidence), vectors=similar)
    assert result.recommendation == "watch"
    assert "no words that name a need" in result.reasons[0]
    assert propose([wordless], set(), min_accounts=2) == []
    assert [p.pattern_id for p in propose([view], set(), min_accounts=2)] == ["P1"]


def test_single_large_account_is_keep_custom_and_a_trap() -> None:
    view, evidence = pattern(["big"], first=date(2026, 1, 5), months=6, industries=1)
    result = assess(view, evidence)
    assert result.recommendation == "keep-custom"
    assert result.customization_trap
    assert any("customization trap" in r for r in result.reasons)
    small, small_evidence = pattern(["d"], first=date(2026, 1, 5), months=6, industries=1)
    assert not assess(small, small_evidence).customization_trap


def test_recent_burst_is_watch_however_loud() -> None:
    view, evidence = pattern(
        ["a", "b", "c", "d"], first=AS_OF - timedelta(days=20), months=1, industries=3, texts=60
    )
    result = assess(view, evidence)
    assert result.recommendation == "watch"
    assert "first seen only 20 days ago" in result.reasons[0]


def test_divergent_builds_are_watch() -> None:
    view, evidence = pattern(["a", "b", "c", "d"], first=date(2026, 1, 5), months=6, industries=3)
    assert assess(view, evidence, vectors=np.eye(4, dtype=np.float32)).recommendation == "watch"
    assert convergence(np.eye(3, dtype=np.float32)) == pytest.approx(0.0)


def test_guardrail_forbidden_pattern_is_reject() -> None:
    view, evidence = pattern(["a", "b", "c", "d"], first=date(2026, 1, 5), months=6, industries=3)
    texts = ["please fine-tune one model on all customers' tickets"] * len(evidence)
    result = assess(view, evidence, texts)
    assert result.recommendation == "reject"
    assert result.block_guardrails == ["g-pool"]
    # A candidate that only inherits that block as a warning may be planned: it reads
    # "watch", not "reject" beside "planned"; one the guardrail blocks itself is "reject".
    from controltower.value import _candidate_readiness

    assert _candidate_readiness(result, blocked=False, status="candidate") == "watch"
    assert _candidate_readiness(result, blocked=True, status="candidate") == "reject"


def test_a_pattern_blocked_by_keyword_refuses_only_what_builds_the_blocked_need() -> None:
    """A cluster can hold the blocked need beside a harmless one: the pattern's blocking
    guardrail refuses the engine's proposal for it and a candidate whose own text or whose
    applies_to it names, and only warns on another candidate that serves the pattern."""
    view, evidence = pattern(["a", "b", "c", "d"], first=date(2026, 1, 5), months=6, industries=3)
    texts = ["please fine-tune one model on all customers' tickets"] * len(evidence)
    blocked = assess(view, evidence, texts)
    named = naming("g-named", "cap-sign")

    def of(candidate_id: str, text: str, *, proposed: bool = False) -> tuple[list[str], ...]:
        found = candidate_guardrails(
            candidate_id,
            text=text,
            proposed=proposed,
            patterns=[blocked],
            guardrails=[*GUARDRAILS, named],
        )
        assert set(found.why) == {*found.blocks, *found.warns}
        return found.blocks, found.warns

    assert of("cap-audit", "Audit trail. Who reviewed what") == ([], ["g-pool"])
    assert of("new-P1", "", proposed=True) == (["g-pool"], [])
    assert of("cap-tune", "Fine-tune per tenant. Train on their tickets") == (["g-pool"], [])
    assert of("cap-sign", "Auto-sign. Sign documents") == (["g-named"], ["g-pool"])
    warned = candidate_guardrails(
        "cap-audit", text="Audit trail", proposed=False, patterns=[blocked], guardrails=GUARDRAILS
    )
    assert view.id in warned.why["g-pool"] and "a warning here" in warned.why["g-pool"]


def test_addresses_that_name_nothing_fall_back_to_meaning_and_loose_signals_are_evidence() -> None:
    from controltower.domain import Capability
    from controltower.synthesize.embed import HashingEmbedder
    from controltower.value.mapping import map_candidates

    view, _ = pattern(["a", "b", "c", "d"], first=date(2026, 1, 5), months=6, industries=3)
    texts = {view.id: ["SSO with Okta for the admin console"] * 10}
    embedder = HashingEmbedder()

    def capability(cid: str, addresses: list[str]) -> Capability:
        return Capability(
            capability_id=cid,
            name="Okta SSO",
            description="Single sign-on with Okta for the admin console",
            team="core",
            effort_weeks=4,
            addresses=addresses,
        )

    result = map_candidates(
        lambda t: embedder.embed(list(t)),
        [
            capability("c-typo", ["P9999", "typo-id"]),
            capability("c-loose", ["s-alone", "nope"]),
            capability("c-half", ["P1", "nope"]),
        ],
        [view],
        texts,
        threshold=0.3,
        max_patterns=3,
        propose_min_accounts=3,
        signal_ids={"s0", "s-alone"},
    )
    methods = {(link.capability_id, link.method) for link in result.links}
    # Every id a typo: linked by meaning as if the cell were empty; the ids are reported.
    assert ("c-typo", "similarity") in methods
    assert result.unknown_addresses == {
        "c-typo": ["P9999", "typo-id"],
        "c-loose": ["nope"],
        "c-half": ["nope"],
    }
    # A real signal in no pattern is the PM's evidence, not an unknown id.
    assert result.loose_signals == {"c-loose": ["s-alone"]}
    assert ("c-half", "addresses") in methods and ("c-half", "similarity") not in methods


def test_platform_stance_reads_working_periods_and_blocks_a_team_with_none() -> None:
    from controltower.domain import TeamCapacity
    from controltower.value.lenses import platform_stance, team_capacity

    rows = [
        TeamCapacity(team="t", period=p, capacity_weeks=w)
        for p, w in (("Q1", 10.0), ("Q2", 0.0), ("Q3", 6.0))
    ] + [TeamCapacity(team="idle", period="Q1", capacity_weeks=0.0)]
    capacity = team_capacity(rows)
    # A quarter away says when the team works, not how big its periods are: (10 + 6) / 2.
    assert capacity == {"t": (8.0, 16.0), "idle": (0.0, 0.0)}
    from controltower.value.model import CandidateValue

    six = CandidateValue.model_construct(effort_high=None, effort_weeks=6.0, team="t")
    assert platform_stance(six, capacity["t"]).reason.startswith("up to 6 weeks = 75% of t's 8")
    idle = CandidateValue.model_construct(effort_high=None, effort_weeks=2.0, team="idle")
    assert platform_stance(idle, capacity["idle"]).stance == -2
    assert platform_stance(idle, None).stance == 0  # no rows at all: nothing to judge


def test_rice_worked_example() -> None:
    # Intercom's article: reach 500 a quarter, impact 2, confidence 80%, 2 person-months
    assert rice(500, 2, 0.8, 2) == pytest.approx(500 * 2 * 0.8 / 2) == pytest.approx(400)
    assert rice_impact(5) == 3 and rice_impact(3) == 1 and rice_impact(1.2) == 0.25


def test_wsjf_ice_value_effort_scorecard_worked_examples() -> None:
    assert wsjf(12_000, 4) == pytest.approx(3_000)
    assert ice(8, 5, 6) == pytest.approx(240)
    assert ease_from_effort(8, 8) == pytest.approx(5)
    assert ease_from_effort(0, 8) == pytest.approx(10)
    assert value_effort(90_000, 3) == pytest.approx(30_000)
    # (0.5*0.8 + 0.25*0.4 + 0.25*1.0) / 1.0 = 0.4 + 0.1 + 0.25 = 0.75
    scores = {"value": 0.8, "reach": 0.4, "fit": 1.0}
    assert weighted_scorecard(scores, {"value": 0.5, "reach": 0.25, "fit": 0.25}) == 0.75
    # weights need not sum to 1: (2*1 + 2*0) / 4 = 0.5
    assert weighted_scorecard({"value": 1.0, "fit": 0.0}, {"value": 2, "fit": 2}) == 0.5
    assert ranks([3.0, None, 5.0, 3.0]) == [2, None, 1, 2]
    with pytest.raises(ValueError):
        wsjf(1.0, 0)


def _sim(n: int = 50) -> SimulationInputs:
    rng = np.random.default_rng(1)
    low = rng.uniform(1, 4, n)
    return SimulationInputs(
        revenue=rng.uniform(0, 1e6, n),
        savings=rng.uniform(0, 1e6, n),
        savings_cap=np.full(n, 1 / 0.7),
        uplift=np.ones(n),
        success=np.full(n, 0.9),
        effort_low=low,
        effort_mode=low + 2,
        effort_high=low + 5,
        week_cost=6000.0,
        horizon=8,
    )


def test_monte_carlo_is_reproducible_with_a_seed() -> None:
    sim = _sim()
    first = simulate(sim, draws=2000, seed=11)
    again = simulate(sim, draws=2000, seed=11, workers=1)
    other = simulate(sim, draws=2000, seed=12)
    np.testing.assert_array_equal(first.value, again.value)
    np.testing.assert_array_equal(first.roi, again.roi)
    assert not np.array_equal(first.value, other.value)
    assert np.all(first.value[:, 0] <= first.value[:, 1])
    assert np.all(first.value[:, 1] <= first.value[:, 2])
    np.testing.assert_allclose(first.cost_of_delay, first.value / 8)


def test_triangular_matches_its_mean() -> None:
    u = np.random.default_rng(0).random(200_000, dtype=np.float32)
    draws = triangular(u, np.float32(2), np.float32(3), np.float32(7))  # type: ignore[arg-type]
    assert float(draws.mean()) == pytest.approx((2 + 3 + 7) / 3, rel=0.01)
    assert float(draws.min()) >= 2 and float(draws.max()) <= 7


# --- a planted workspace, end to end -------------------------------------------------

BROAD = [
    "SSO login with Okta fails for new users",
    "We need single sign-on through Okta before rollout",
    "SAML SSO with Okta is blocking our go-live",
    "Users cannot log in via Okta SSO",
]


def planted_bundle() -> dict[str, list[dict[str, str]]]:
    accounts = [
        ("big", "enterprise", "banking", "1", "5000000"),
        ("a", "mid-market", "healthcare", "2", "400000"),
        ("b", "smb", "retail", "3", "300000"),
        ("c", "mid-market", "insurance", "2", "200000"),
        ("d", "smb", "logistics", "3", "100000"),
    ]
    signals = []
    start = date(2026, 1, 5)
    for k in range(16):
        signals.append(
            {
                "signal_id": f"sso-{k}",
                "date": str(start + timedelta(days=9 * k)),
                "source": "fde-note",
                "text": BROAD[k % 4],
                "account_id": "abcd"[k % 4],
                "kind": "churn-risk" if k == 0 else "pain",
                "urgency": "5" if k == 0 else "3",
            }
        )
    work = [
        {
            "work_id": f"w-sso-{k}",
            "account_id": "abcd"[k],
            "date": str(start + timedelta(days=30 * k)),
            "description": "Built a custom Okta SSO SAML bridge",
            "fde_hours": str(40 + 10 * k),
        }
        for k in range(4)
    ]
    capabilities = [
        {
            "capability_id": "cap-sso",
            "name": "Okta SSO",
            "description": "Single sign-on with Okta SAML",
            "team": "core",
            "effort_weeks": "4",
            "effort_low": "3",
            "effort_high": "8",
            "themes": "trust",
            "addresses": "sso-1;sso-2",
        },
        {
            "capability_id": "cap-done",
            "name": "Chat widget",
            "description": "Embeddable chat widget",
            "team": "core",
            "effort_weeks": "2",
            "shipped": "2026-02-01",
        },
        {
            "capability_id": "cap-pool",
            "name": "Pooled fine-tune",
            "description": "Train one model on every customer's data",
            "team": "core",
            "effort_weeks": "30",
        },
    ]
    return {
        "accounts": [
            dict(zip(("account_id", "segment", "industry", "tier", "arr"), a, strict=True))
            | {"name": a[0]}
            for a in accounts
        ],
        "signals": signals,
        "custom_work": work,
        "capabilities": capabilities,
        "teams": [{"team": "core", "period": "2027-Q1", "capacity_weeks": "10"}],
        "themes": [{"theme": "trust", "weight": "3"}, {"theme": "reach", "weight": "1"}],
        "guardrails": [
            {
                "guardrail_id": "g-pool",
                "rule": "No training on pooled customer data",
                "severity": "block",
                "owner_role": "ai-architect",
                "applies_to": "cap-pool",
                "keywords": "fine-tune",
            }
        ],
        "model_constraints": [
            {
                "capability_id": "cap-pool",
                "requirement": "cross-tenant isolation",
                "feasibility": "no",
                "confidence": "0.9",
            }
        ],
        "stances": [{"role": "leadership", "capability_id": "cap-pool", "stance": "2"}],
    }


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("value")
    return synthesized_workspace(root, planted_bundle())


def test_evaluate_planted_workspace(planted: Workspace) -> None:
    evaluation = evaluate(planted, seed=3)
    sso = evaluation.candidate("cap-sso")
    assert sso is not None and sso.value is not None and sso.roi is not None
    assert sso.links and sso.links[0].method == "addresses"
    assert sso.value.p10 <= sso.value.p50 <= sso.value.p90
    assert sso.scores.ranks["rice"] == 1
    done = evaluation.candidate("cap-done")
    assert done is not None and done.status == "shipped" and done.value is None
    pool = evaluation.candidate("cap-pool")
    assert pool is not None and pool.readiness == "reject"
    assert pool.disagreement is not None and "ml-engineer" in pool.disagreement.blocking
    assert pool.disagreement.conflict
    assert any(c.capability_id == "cap-pool" for c in evaluation.conflicts)
    assert evaluation == evaluate(planted, seed=3)


def test_why_numbers_trace_to_rows(planted: Workspace) -> None:
    bundle = planted_bundle()
    arr = {a["account_id"]: float(a["arr"]) for a in bundle["accounts"]}
    hours = {w["work_id"]: float(w["fde_hours"]) for w in bundle["custom_work"]}
    texts = {s["signal_id"] for s in bundle["signals"]}
    why = explain(planted, "cap-sso", seed=3)
    terms = {t.name: t for t in why.terms}
    touched = terms["revenue touched"]
    assert touched.value == pytest.approx(sum(arr[a] for a in touched.evidence_ids))
    bespoke = terms["FDE hours on bespoke builds"]
    assert bespoke.evidence_ids
    assert bespoke.value == pytest.approx(sum(hours[w] for w in bespoke.evidence_ids))
    assert set(terms["weighted revenue"].evidence_ids) <= texts
    assert terms["strategic fit"].value == pytest.approx(3 / 4)
    pattern_id = terms["addressed patterns"].evidence_ids[0]
    pattern_why = explain(planted, pattern_id, seed=3)
    assert pattern_why.kind == "pattern"
    with pytest.raises(Exception, match="no candidate or pattern"):
        explain(planted, "nope", seed=3)


def test_cli_value_and_why(planted: Workspace) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    result = runner.invoke(app, ["-w", str(planted.path), "value", "--by", "wsjf"])
    assert result.exit_code == 0, result.output
    assert "cap-sso" in result.output
    result = runner.invoke(app, ["-w", str(planted.path), "value", "--json"])
    assert result.exit_code == 0 and '"candidates"' in result.output
    result = runner.invoke(app, ["-w", str(planted.path), "why", "cap-sso"])
    assert result.exit_code == 0 and "revenue touched" in result.output
    assert runner.invoke(app, ["-w", str(planted.path), "why", "nope"]).exit_code == 2
    assert runner.invoke(app, ["-w", str(planted.path), "value", "--by", "x"]).exit_code == 2


def test_value_needs_synthesis(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws")
    with pytest.raises(Exception, match="synthesize"):
        evaluate(workspace)


def test_a_role_entered_and_computed_is_named_apart_and_the_entry_shown() -> None:
    from controltower.cli import _stance_cells
    from controltower.settings import LensSettings
    from controltower.value.lenses import RoleStance, disagreement

    stances = [
        RoleStance(role="solutions-architect", stance=2, reason="fits", source="computed"),
        RoleStance(
            role="solutions-architect", stance=-2, reason="no", source="entered", author="kim"
        ),
        RoleStance(role="fde", stance=1, reason="rebuilt", source="computed"),
    ]
    both = [*stances, RoleStance(role="ml-engineer", stance=-1, reason="x", source="computed")]
    both += [RoleStance(role="ml-engineer", stance=-1, reason="y", source="entered", author="r")]
    # A role is named once, with how it holds; a -1 is named too (it drives the spread).
    assert "opposed by ml-engineer (computed; entered by r);" in (
        disagreement("c", both, LensSettings()).summary
    )
    summary = disagreement("c", stances, LensSettings()).summary
    # Before: "blocked by solutions-architect; backed by fde, solutions-architect".
    assert "blocked by solutions-architect (entered by kim)" in summary
    assert "backed by fde, solutions-architect;" in summary or summary.endswith(
        "backed by fde, solutions-architect"
    )
    # The value table shows the entered stance (marked) instead of hiding it.
    assert _stance_cells(stances) == "+1 -2* · · · ·"
