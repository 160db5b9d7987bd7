"""FDE economics and adoption: a case computed by hand to the cent, invariants, CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from conftest import synthesized_workspace
from controltower.cli import app
from controltower.diagnose.adoption import (
    ShippedCapability,
    assess_adoption,
    track_adoption,
)
from controltower.diagnose.economics import (
    compute_economics,
    escape_period,
    load_economics_inputs,
    simulate_economics,
)
from controltower.diagnose.economics_inputs import (
    CapabilityCoverage,
    EconomicsInputs,
    EconomicsRows,
    build_economics_inputs,
    estimate_growth,
    fit_growth,
    starts_per_period,
)
from controltower.diagnose.models import Band, Economics, Finding
from controltower.domain import Account, CustomWork, Deployment, Usage
from controltower.optimize import RoadmapEntry, plan_roadmap
from controltower.periods import horizon_labels, period_start
from controltower.report.build import economics_sentence
from controltower.report.charts import economics_spec
from controltower.settings import AdoptionSettings, Settings
from controltower.value import evaluate
from controltower.workspace import Workspace
from test_value import planted_bundle

CENT = 0.005

# --- the case computed by hand ------------------------------------------------------------


def hand_settings(**economics: object) -> Settings:
    """Quarters, 100/h, 1,600 h per FDE-year, +10% a period, no uncertainty."""
    return Settings.model_validate(
        {
            "planning": {
                "periods": ["2027-Q1", "2027-Q2", "2027-Q3"],
                "horizon_periods": 3,
                "periods_per_year": 4,
            },
            "economics": {
                "fde_hourly_cost": 100.0,
                "fde_hours_per_year": 1600.0,
                "account_growth_per_period": 0.10,
                "growth_source": "settings",
                "adoption_lag_periods": 0.0,
                "absorbed_share_cap": 0.8,
                "other_cogs_share": 0.25,
                "uncertainty": 0.0,
                **economics,
            },
            "value": {"savings_share": 0.5, "draws": 100, "seed": 7},
        }
    )


def hand_rows() -> EconomicsRows:
    """Three accounts, four deployments, four bespoke builds, evidence up to 2026-12-31."""
    accounts = [
        Account(account_id="e1", name="E1", segment="enterprise", industry="bank", tier=1, arr=1e6),
        Account(account_id="e2", name="E2", segment="enterprise", industry="care", tier=1, arr=6e5),
        Account(account_id="m1", name="M1", segment="mid-market", industry="shop", tier=2, arr=2e5),
    ]
    deployments = [
        Deployment(
            deployment_id="d1",
            account_id="e1",
            phase="optimization",
            started=date(2026, 7, 1),
            fde_hours=500,
            ended=date(2026, 11, 30),
            status="completed",
        ),
        Deployment(
            deployment_id="d2",
            account_id="e2",
            phase="implementation",
            started=date(2026, 10, 1),
            fde_hours=300,
        ),
        Deployment(
            deployment_id="d3",
            account_id="m1",
            phase="implementation",
            started=date(2026, 10, 1),
            fde_hours=100,
        ),
        Deployment(
            deployment_id="d4",
            account_id="e1",
            phase="discovery",
            started=date(2026, 12, 1),
            fde_hours=40,
        ),
    ]
    work = [
        CustomWork(
            work_id=w,
            account_id=a,
            date=d,
            description="bespoke build",
            fde_hours=h,
            deployment_id=dep,
        )
        for w, a, d, h, dep in (
            ("w1", "e1", date(2026, 8, 1), 120, "d1"),
            ("w2", "e2", date(2026, 10, 15), 60, "d2"),
            ("w3", "m1", date(2026, 11, 1), 20, "d3"),
            ("w4", "e1", date(2026, 12, 10), 60, "d4"),
        )
    ]
    return EconomicsRows(
        accounts=accounts,
        deployments=deployments,
        work=work,
        periods=["2027-Q1", "2027-Q2", "2027-Q3"],
        as_of=date(2026, 12, 31),
    )


HAND_COVERAGE = [
    CapabilityCoverage("cap-x", "Connector SDK", ("P1",), ("w1", "w2"), None, 1.0),
    CapabilityCoverage("cap-y", "Mid-market kit", ("P2",), ("w3",), None, 1.0),
]


def entry(capability_id: str, status: str, end: str | None) -> RoadmapEntry:
    return RoadmapEntry(
        capability_id=capability_id,
        name=capability_id,
        team="core",
        period=end,
        end_period=end,
        effort_weeks=4.0,
        load={end: 4.0} if end else {},
        status=status,  # type: ignore[arg-type]
        reason="test",
        value=1.0,
    )


HAND_ROADMAP = [entry("cap-x", "now", "2027-Q1"), entry("cap-y", "deferred", None)]


def exact(band: Band, expected: float, tolerance: float = CENT) -> None:
    """With no uncertainty every percentile is the figure itself."""
    assert band.p10 == band.p50 == band.p90
    assert band.p50 == pytest.approx(expected, abs=tolerance)


def hand_economics(**economics: object) -> Economics:
    settings = hand_settings(**economics)
    inputs = build_economics_inputs(hand_rows(), HAND_COVERAGE, settings)
    return simulate_economics(inputs, HAND_ROADMAP, settings)


def test_hand_computed_case_to_the_cent() -> None:
    # A period is 365.25 / 4 = 91.3125 days. History: first start 2026-07-01 to the latest
    # evidence 2026-12-31 = 183 days = 2.004107 periods; 4 starts, so today's rate is
    # 4 / (183 / 91.3125) = 365.25 / 183 = 1.995902 new deployments per period.
    # 2027-Q1 starts the day after the evidence (no gap): new(t) = 1.995902 x 1.1^(t+1)
    #   = 2.195492, 2.415041, 2.656545.
    # Hours per deployment (fde_hours, or the custom work logged on it when larger):
    #   d1 500, d2 300, d4 max(40, 60) = 60 -> enterprise mean 860 / 3 = 286.667 h;
    #   d3 100 -> mid-market 100 h. Start shares: enterprise 3/4, mid-market 1/4.
    # Bespoke share: enterprise 240 h custom (w1, w2, w4) / 860 h; mid-market 20 / 100.
    # cap-x ships at the end of 2027-Q1 and covers w1 + w2 = 180 of the enterprise's 240
    # custom hours; it absorbs savings_share 0.5 of them: A = 180/240 x 0.5 = 0.375 from
    # 2027-Q2. Enterprise bespoke hours per deployment 240/3 = 80 -> 80 x 0.375 = 30 fewer.
    # Hours per new deployment: 2027-Q1 0.75 x 286.667 + 0.25 x 100 = 240;
    #   from 2027-Q2 0.75 x (286.667 - 30) + 25 = 217.5.
    # FDE hours with the plan: 240 x 2.195492 = 526.918033; 217.5 x 2.415041 = 525.271414;
    #   217.5 x 2.656545 = 577.798555. Without: 526.918033, 579.609836, 637.570820.
    # Cost x 100/h; headcount / (1600 / 4 = 400 h per FDE per period).
    # Revenue: ARR today 1,800,000; each new deployment brings 0.75 x 2/3 (first
    #   deployments d1, d2 of d1, d2, d4) x 800,000 (enterprise median ARR) + 0.25 x 1 x
    #   200,000 = 450,000 ARR; revenue = (1,800,000 + 450,000 x cumulative new) / 4.
    # Gross margin = (revenue - cost - 0.25 revenue) / revenue.
    # Active: 3 running today (d2, d3, d4); d1 ran 152 days = 1.664613 periods, so
    #   1 / 1.664613 = 0.600740 complete per period: 3 x 0.399260 + 2.195492 = 3.393271, ...
    economics = hand_economics()
    assert [p.period for p in economics.periods] == ["2027-Q1", "2027-Q2", "2027-Q3"]
    q1, q2, q3 = (p.with_plan for p in economics.periods)
    o1, o2, o3 = (p.without_plan for p in economics.periods)
    for point, new in ((q1, 2.1954918), (q2, 2.4150410), (q3, 2.6565451)):
        exact(point.new_deployments, new, 1e-6)
    for point, per_new in ((q1, 240.0), (q2, 217.5), (q3, 217.5), (o2, 240.0), (o3, 240.0)):
        exact(point.fde_hours_per_new_deployment, per_new, 1e-9)
    for point, cost in (
        (q1, 52_691.80),
        (q2, 52_527.14),
        (q3, 57_779.86),
        (o1, 52_691.80),
        (o2, 57_960.98),
        (o3, 63_757.08),
    ):
        exact(point.fde_cost, cost)
    exact(q2.fde_hours, 525.2714139, 1e-6)
    exact(q2.fde_headcount, 525.2714139 / 400, 1e-9)
    exact(q3.fde_headcount, 1.4444963883, 1e-9)
    for point, revenue in ((q1, 696_992.83), (q2, 968_684.94), (q3, 1_267_546.26)):
        exact(point.revenue, revenue)
    exact(q1.gross_margin, 0.6744012260, 1e-9)
    exact(q3.gross_margin, 0.7044159789, 1e-9)
    exact(o3.gross_margin, 0.6997003905, 1e-9)
    exact(q1.active_deployments, 3.3932714085, 1e-9)
    exact(q3.active_deployments, 4.1616901376, 1e-9)
    exact(q1.absorbed_share, 0.0, 1e-12)
    exact(q2.absorbed_share, 90 / 260, 1e-12)  # (240 x 0.375 + 20 x 0) / 260 custom hours
    assert q1.shipped == ["cap-x"] and o3.shipped == []
    assert economics.escape_period == "2027-Q2"
    assert economics.escape_period_without is None
    assert {"d1", "d4", "cap-x", "P1", "w1", "w2"} <= set(economics.evidence)
    assert "w3" not in economics.evidence
    assert any("mean 287 h over 3 deployments" in a for a in economics.assumptions)


def test_adoption_lag_ramps_the_effect_in() -> None:
    # Lag 1: half the effect in the first period after the ship, full after:
    # 2027-Q2 0.75 x (286.667 - 30 x 0.5) + 25 = 228.75 h, x 2.415041 = 552.440625 h.
    economics = hand_economics(adoption_lag_periods=1.0)
    q2 = economics.periods[1].with_plan
    exact(q2.fde_hours_per_new_deployment, 228.75, 1e-9)
    exact(q2.fde_cost, 55_244.06)
    exact(economics.periods[2].with_plan.fde_hours_per_new_deployment, 217.5, 1e-9)


def test_other_cogs_and_cap_bound_the_margin_and_absorption() -> None:
    # cap 0.25 < 0.375: enterprise absorbs 0.25 -> 80 x 0.25 = 20 h fewer:
    # 0.75 x 266.667 + 25 = 225 h per new deployment.
    economics = hand_economics(absorbed_share_cap=0.25, other_cogs_share=0.0)
    q2 = economics.periods[1].with_plan
    exact(q2.fde_hours_per_new_deployment, 225.0, 1e-9)
    # margin = 1 - cost / revenue = 1 - 225 x 2.415041 x 100 / 968,684.94
    exact(q2.gross_margin, 1 - 54_338.42213 / 968_684.93852, 1e-9)


# --- invariants ------------------------------------------------------------------------------


def uncertain(**economics: object) -> tuple[EconomicsInputs, Settings]:
    settings = hand_settings(uncertainty=1.0, adoption_lag_periods=1.0, **economics)
    settings.value.draws = 500
    settings.planning.horizon_periods = 6
    return build_economics_inputs(hand_rows(), HAND_COVERAGE, settings), settings


def test_plan_never_costs_more_fde_hours_than_no_plan() -> None:
    inputs, settings = uncertain()
    roadmap = [entry("cap-x", "now", "2027-Q1"), entry("cap-y", "next", "2027-Q3")]
    economics = simulate_economics(inputs, roadmap, settings)
    for period in economics.periods:
        w, o = period.with_plan, period.without_plan
        for q in ("p10", "p50", "p90"):
            assert getattr(w.fde_hours, q) <= getattr(o.fde_hours, q) + 1e-9
            assert getattr(w.fde_cost, q) <= getattr(o.fde_cost, q) + 1e-6
            assert getattr(w.gross_margin, q) >= getattr(o.gross_margin, q) - 1e-12
        assert w.fde_hours.p10 <= w.fde_hours.p50 <= w.fde_hours.p90
    assert economics.escape_period == "2027-Q2"


def test_no_escape_when_nothing_ships() -> None:
    inputs, settings = uncertain()
    economics = simulate_economics(inputs, [entry("cap-x", "deferred", None)], settings)
    assert economics.escape_period is None and economics.escape_period_without is None
    first = economics.periods[0].with_plan.fde_hours_per_new_deployment
    assert all(p.with_plan.fde_hours_per_new_deployment == first for p in economics.periods)


def test_headcount_moves_with_hours() -> None:
    inputs, settings = uncertain()
    economics = simulate_economics(inputs, HAND_ROADMAP, settings)
    points = [p.with_plan for p in economics.periods]
    for point in points:
        for q in ("p10", "p50", "p90"):
            assert getattr(point.fde_headcount, q) == pytest.approx(
                getattr(point.fde_hours, q) / 400
            )
    by_hours = sorted(range(len(points)), key=lambda k: points[k].fde_hours.p50)
    by_heads = sorted(range(len(points)), key=lambda k: points[k].fde_headcount.p50)
    assert by_hours == by_heads


def test_same_seed_same_figures() -> None:
    inputs, settings = uncertain()
    first = simulate_economics(inputs, HAND_ROADMAP, settings)
    assert simulate_economics(inputs, HAND_ROADMAP, settings) == first
    settings.value.seed = 8
    other = simulate_economics(inputs, HAND_ROADMAP, settings)
    assert other.periods[0].with_plan.fde_hours != first.periods[0].with_plan.fde_hours


def test_escape_point_rule() -> None:
    labels = ["a", "b", "c", "d", "e"]
    assert escape_period([10, 8, 6, 6, 5], labels) == "b"
    assert escape_period([10, 8, 9, 7, 7], labels) == "d"  # the fall that lasts
    assert escape_period([10, 10, 10, 10, 9], labels) == "e"
    assert escape_period([10, 9, 11, 12, 12], labels) is None  # rises again
    assert escape_period([10, 12, 11, 11, 11], labels) is None  # never below the first
    assert escape_period([10, 10, 10, 10, 10], labels) is None
    assert escape_period([10], labels[:1]) is None


def test_growth_from_history_and_its_fallback() -> None:
    counts = np.array([2.0, 4.0, 8.0, 16.0])
    rate, slope, se = fit_growth(counts, np.ones(4))
    assert np.expm1(slope) == pytest.approx(0.9, abs=0.1) and 0 < se < 0.5
    assert rate == pytest.approx(16, rel=0.15)
    ages = [0.5] * 16 + [1.5] * 8 + [2.5] * 4 + [3.9] * 2
    assert list(starts_per_period(ages, 3.9)[0]) == [2, 4, 8, 16]
    settings = Settings()
    as_of = date(2026, 12, 31)
    starts = [as_of - timedelta(days=int(a * 91.3125)) for a in ages]
    growth, why = estimate_growth(starts, as_of, settings)
    assert growth.source == "history" and growth.growth > 0.5 and "Poisson" in why
    growth, why = estimate_growth(starts[:6], as_of, settings)  # too few starts
    assert growth.source == "settings" and growth.growth == 0.05
    assert "min_history_deployments" in why


def test_period_labels() -> None:
    assert horizon_labels(["2027-Q3", "2027-Q4"], 4) == ["2027-Q3", "2027-Q4", "2028-Q1", "2028-Q2"]
    assert horizon_labels(["2027-11"], 3) == ["2027-11", "2027-12", "2028-01"]
    assert horizon_labels(["2027-H2"], 2) == ["2027-H2", "2028-H1"]
    assert horizon_labels(["sprint-9"], 2) == ["sprint-9", "sprint-9+1"]
    assert period_start("2027-Q3") == date(2027, 7, 1) and period_start("x") is None


# --- adoption --------------------------------------------------------------------------------


def usage(capability_id: str, account_id: str, day: date, value: float = 5.0) -> Usage:
    return Usage(
        date=day, account_id=account_id, capability_id=capability_id, metric="calls", value=value
    )


def test_adoption_curve_median_days_and_flags() -> None:
    eligible = ("a1", "a2", "a3", "a4")
    capabilities = [
        ShippedCapability("c-ok", "Adopted", date(2026, 1, 1), ("P1",), eligible),
        ShippedCapability("c-miss", "Missed", date(2026, 1, 1), ("P2",), eligible),
        ShippedCapability("c-new", "Fresh", date(2026, 7, 20), ("P3",), eligible),
        ShippedCapability("c-pace", "On pace", date(2026, 5, 1), ("P4",), ("a1", "a2", "a3")),
        ShippedCapability("c-slow", "Behind", date(2026, 5, 1), ("P5",), eligible),
    ]
    rows = [
        usage("c-ok", "a1", date(2026, 1, 21)),  # 20 days after ship
        usage("c-ok", "a1", date(2026, 2, 21)),
        usage("c-ok", "a2", date(2026, 3, 2)),  # 60 days
        usage("c-ok", "a3", date(2026, 3, 2), value=0.0),  # no use: not adopted
        usage("c-ok", "a9", date(2026, 2, 1)),  # not eligible
        usage("c-miss", "a1", date(2026, 2, 1)),
        usage("c-pace", "a1", date(2026, 6, 1)),
        usage("c-slow", "a1", date(2026, 7, 30), value=0.0),
    ]
    config = AdoptionSettings(target_share=0.5, window_days=180, grace_days=30)
    result = assess_adoption(
        capabilities, rows, ["a1", "a2", "a3", "a4", "a9"], date(2026, 8, 1), config
    )
    by_id = {c.capability_id: c for c in result.capabilities}
    ok = by_id["c-ok"]
    assert ok.status == "adopted" and ok.median_days_to_adopt == 40.0
    assert ok.adopting_accounts == ["a1", "a2", "a9"]
    curve = [(p.date, p.accounts) for p in ok.curve]
    assert curve[:3] == [(date(2026, 1, 31), 1), (date(2026, 2, 28), 1), (date(2026, 3, 31), 2)]
    assert curve[-1] == (date(2026, 8, 1), 2) and ok.curve[-1].share == 0.5
    miss = by_id["c-miss"]
    assert miss.status == "not-adopted" and result.flagged == ["c-miss"]
    assert "misread" in miss.reason and "1 of 4" in miss.reason
    assert by_id["c-new"].status == "too-early"
    # 92 days into 180: pace 0.5 x 92 / 180 = 25.6%; 1 of 3 = 33% on track, 0 of 4 behind
    assert by_id["c-pace"].status == "on-track"
    assert by_id["c-slow"].status == "behind" and by_id["c-slow"].median_days_to_adopt is None


# --- on a workspace, end to end ------------------------------------------------------------


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("economics")
    bundle = planted_bundle()
    bundle["deployments"] = [
        {
            "deployment_id": f"dep-{a}",
            "account_id": a,
            "phase": "implementation",
            "started": f"2026-0{k + 1}-10",
            "fde_hours": str(200 + 50 * k),
        }
        for k, a in enumerate("abcd")
    ]
    for k, work in enumerate(bundle["custom_work"]):
        work["deployment_id"] = f"dep-{'abcd'[k]}"
    bundle["usage"] = [
        {
            "date": "2026-03-01",
            "account_id": a,
            "capability_id": "cap-done",
            "metric": "calls",
            "value": "10",
        }
        for a in ("a", "b")
    ]
    return synthesized_workspace(root, bundle)


def test_economics_and_adoption_on_a_workspace(planted: Workspace) -> None:
    evaluation = evaluate(planted)
    roadmap = plan_roadmap(planted, evaluation=evaluation)
    inputs = load_economics_inputs(planted, evaluation)
    assert len(inputs.periods) == planted.settings.planning.horizon_periods
    assert inputs.capabilities["cap-sso"].work_ids  # its pattern holds the SSO builds
    economics = compute_economics(planted, evaluation, roadmap.entries)
    assert economics.periods[0].period == "2027-Q1"
    assert {"dep-a", "dep-d"} <= set(economics.evidence)
    adoption = track_adoption(planted, evaluation)
    done = next(c for c in adoption.capabilities if c.capability_id == "cap-done")
    assert done.shipped == date(2026, 2, 1) and done.adopting_accounts == ["a", "b"]


def test_cli_economics_and_adoption(planted: Workspace) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    ws = str(planted.path)
    result = runner.invoke(app, ["-w", ws, "economics", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"periods", "escape_period", "escape_period_without", "assumptions"} <= set(data)
    result = runner.invoke(app, ["-w", ws, "economics"])
    assert result.exit_code == 0, result.output
    assert "Escape point" in result.output and "FDE hours per new deployment" in result.output
    result = runner.invoke(app, ["-w", ws, "adoption", "--json"])
    assert result.exit_code == 0, result.output
    assert "cap-done" in {c["capability_id"] for c in json.loads(result.stdout)["capabilities"]}
    result = runner.invoke(app, ["-w", ws, "adoption"])
    assert result.exit_code == 0 and "cap-done" in result.output


def test_no_revenue_has_no_gross_margin() -> None:
    """With every account's ARR at 0 a margin is undefined: None, not 0% or 100%."""
    rows = hand_rows()
    free = [a.model_copy(update={"arr": 0.0}) for a in rows.accounts]
    rows = EconomicsRows(free, rows.deployments, rows.work, rows.periods, rows.as_of)
    settings = hand_settings()
    economics = simulate_economics(
        build_economics_inputs(rows, HAND_COVERAGE, settings), HAND_ROADMAP, settings
    )
    for period in economics.periods:
        exact(period.with_plan.revenue, 0.0)
        assert period.with_plan.gross_margin is None and period.without_plan.gross_margin is None
    assert economics.periods[0].with_plan.fde_cost.p50 > 0
    spec = economics_spec(economics, money=True)
    assert spec is not None and len(spec["vconcat"]) == 2  # hours and cost; no margin panel
    assert "no gross margin (no revenue)" in economics_sentence(economics)


def test_no_deployments_shows_revenue_only() -> None:
    rows = hand_rows()
    rows = EconomicsRows(rows.accounts, [], [], rows.periods, rows.as_of)
    settings = hand_settings()
    economics = simulate_economics(
        build_economics_inputs(rows, HAND_COVERAGE, settings), HAND_ROADMAP, settings
    )
    q1 = economics.periods[0].with_plan
    exact(q1.fde_hours, 0.0)
    exact(q1.revenue, 450_000.0)  # 1,800,000 ARR / 4
    exact(q1.gross_margin, 0.75)  # only the other COGS share
    assert economics.escape_period is None
    assert any("No deployments" in a for a in economics.assumptions)


def test_the_brief_calls_it_an_escape_only_when_the_trap_check_agrees() -> None:
    economics = hand_economics()  # 240 -> 217.5 hours per new deployment: -9.4%
    assert "escapes the high-touch trap from 2027-Q2" in economics_sentence(economics)
    trap = Finding(
        code="high-touch-trap",
        severity="warn",
        message="m",
        metric="relative change of P50 FDE hours per new deployment over the horizon",
        value=217.5 / 240 - 1,
        threshold=-0.1,
        evidence=[],
        remedy="r",
    )
    sentence = economics_sentence(economics, trap)
    # Before, the brief said "escapes" while the risks raised this very finding.
    assert "escapes" not in sentence
    assert "fall from 2027-Q2, but by 9% over the horizon, short of the 10% fall" in sentence
