"""The report: sections, evidence links, audiences, narrative grounding, LLM, CLI, schema."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any, ClassVar

import jsonschema
import pytest
from typer.testing import CliRunner

from conftest import synthesized_workspace
from controltower.cli import app
from controltower.decisions.models import (
    DecisionReview,
    DecisionState,
    DeploymentProductization,
    Productization,
    TriggerCheck,
)
from controltower.diagnose.models import (
    Adoption,
    AdoptionPoint,
    Band,
    CapabilityAdoption,
    Economics,
    EconomicsPeriod,
    EconomicsPoint,
    Finding,
)
from controltower.plan import Plan, build_plan
from controltower.report import LLMNarrator, load_evidence, write_report
from controltower.report.audience import policy_for
from controltower.report.build import build_view
from controltower.report.format import measure, money
from controltower.report.narrative import Fact, Grounding, check_sentence, collect_facts
from controltower.settings import ReportSettings
from controltower.workspace import Workspace
from test_value import planted_bundle

SCHEMA = Path(__file__).parent.parent / "src/controltower/schemas/plan.schema.json"

ACCOUNTS = {
    "big": ("acc-zenith", "Zenith Mutual Bank"),
    "a": ("acc-harbor", "Harborview Clinics"),
    "b": ("acc-quill", "Quillmart Retail"),
    "c": ("acc-ostrava", "Ostrava Insurance"),
    "d": ("acc-pelican", "Pelican Freight"),
}


def report_bundle() -> dict[str, list[dict[str, str]]]:
    """The planted bundle with distinctive account ids and names (easy to search for)."""
    bundle = planted_bundle()
    for row in bundle["accounts"]:
        row["account_id"], row["name"] = ACCOUNTS[row["account_id"]]
    for entity in ("signals", "custom_work"):
        for row in bundle[entity]:
            row["account_id"] = ACCOUNTS[row["account_id"]][0]
    bundle["stances"].append(
        {
            "role": "ai-architect",
            "capability_id": "cap-sso",
            "stance": "-2",
            "rationale": "Bypasses the identity broker we standardised on",
        }
    )
    return bundle


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("report")
    return synthesized_workspace(root, report_bundle())


@pytest.fixture(scope="module")
def plan(planted: Workspace) -> Plan:
    return build_plan(planted)[0]


def band(p50: float, spread: float = 0.1) -> Band:
    return Band(p10=p50 * (1 - spread), p50=p50, p90=p50 * (1 + spread))


def point(hours: float, cost: float, margin: float, shipped: list[str]) -> EconomicsPoint:
    return EconomicsPoint(
        new_deployments=band(4),
        active_deployments=band(20),
        fde_hours=band(hours),
        fde_hours_per_new_deployment=band(hours / 4),
        fde_headcount=band(hours / 400),
        fde_cost=band(cost),
        revenue=band(2_000_000),
        gross_margin=band(margin, 0.02),
        absorbed_share=band(0.2),
        shipped=shipped,
    )


def populated(plan: Plan) -> Plan:
    """The plan with hand-made findings, economics and adoption (other stages' output)."""
    signal = plan.patterns[0].signal_ids[0]
    economics = Economics(
        periods=[
            EconomicsPeriod(
                period="2027-Q1",
                with_plan=point(1200, 180_000, 0.91, ["cap-sso"]),
                without_plan=point(1300, 195_000, 0.90, []),
            ),
            EconomicsPeriod(
                period="2027-Q2",
                with_plan=point(900, 135_000, 0.93, ["cap-sso"]),
                without_plan=point(1400, 210_000, 0.89, []),
            ),
        ],
        escape_period="2027-Q2",
        escape_period_without=None,
        assumptions=["FDE hourly cost 150 (economics.fde_hourly_cost)"],
        evidence=["w-sso-0"],
        draws=100,
        seed=0,
    )
    adoption = Adoption(
        capabilities=[
            CapabilityAdoption(
                capability_id="cap-done",
                name="Chat widget",
                shipped=date(2026, 2, 1),
                eligible_accounts=["acc-harbor", "acc-quill"],
                adopting_accounts=["acc-harbor", "acc-walk-in"],  # the 2nd is not eligible
                curve=[
                    AdoptionPoint(date=date(2026, 3, 1), accounts=0, share=0.0),
                    AdoptionPoint(date=date(2026, 5, 1), accounts=1, share=0.5),
                ],
                median_days_to_adopt=89.0,
                target_share=0.6,
                target_days=120,
                status="behind",
                reason="1 of 2 eligible accounts after 120 days (target 60%)",
                evidence=["acc-harbor"],
            )
        ],
        flagged=["cap-done"],
    )
    finding = Finding(
        code="chasing-requests",
        severity="critical",
        message="62% of planned weeks serve one account.",
        metric="top_account_effort_share",
        value=0.62,
        threshold=0.5,
        evidence=["cap-sso", signal, "acc-zenith"],
        remedy="Defer cap-big until a second account needs it.",
        subjects=["cap-sso"],
    )
    decisions = DecisionReview(
        standing=[
            DecisionState(
                decision_id="D0001",
                subject="cap-pool",
                subject_kind="candidate",
                choice="refuse",
                rationale="Pooled training breaks our tenant-isolation promise",
                decided_on=date(2026, 6, 1),
                decided_by="pm",
                dissent=["leadership"],
                triggers=[TriggerCheck(expression="accounts >= 10", status="fired", figures=[])],
                revisit=True,
                effect="held out of the roadmap",
            )
        ],
        to_revisit=[],
        superseded=0,
        evaluated=True,
    )
    productization = Productization(
        as_of=date(2026, 6, 30),
        window_days=90,
        deployments=[
            DeploymentProductization(
                deployment_id="dep-1",
                account_id="acc-harbor",
                bespoke_work=2,
                bespoke_hours=100.0,
                productized_hours=40.0,
                productized_work=1,
                rate=0.4,
                capabilities=["cap-done"],
                gave_back=True,
                days_to_give_back=30.0,
                evidence=["w-sso-1"],
            )
        ],
        bespoke_hours=100.0,
        productized_hours=40.0,
        rate=0.4,
        engagements_judged=1,
        engagements_gave_back=1,
        give_back_share=1.0,
        unattributed_work=[],
        shipped=["cap-done"],
    )
    return plan.model_copy(
        update={
            "diagnostics": [finding],
            "economics": economics,
            "adoption": adoption,
            "decisions": decisions,
            "productization": productization,
        }
    )


def anchors_resolve(html: str) -> None:
    targets = set(re.findall(r'\bid="([^"]+)"', html))
    links = set(re.findall(r'href="#([^"]+)"', html))
    assert links, "the report links nothing"
    assert links <= targets, f"dangling links: {sorted(links - targets)[:5]}"


def test_brief_counts_the_whole_roadmap_not_the_items_it_lists(
    planted: Workspace, plan: Plan
) -> None:
    scheduled = next(e for e in plan.roadmap if e.status == "now")
    extra = [  # two more scheduled entries beside the planned one
        scheduled.model_copy(update={"capability_id": f"cap-extra-{s}", "status": s})
        for s in ("next", "later")
    ]
    plan = plan.model_copy(update={"roadmap": [*plan.roadmap, *extra]})
    planned = [e.status for e in plan.roadmap if e.status in ("now", "next", "later")]
    assert len(planned) >= 3
    settings = ReportSettings(brief_items=1)
    view = build_view(plan, load_evidence(planted, plan, settings), policy_for("exec"), settings)
    assert len(view.brief.build) == 1
    expected = (
        f"The plan schedules {len(planned)} item(s): {planned.count('now')} now, "
        f"{planned.count('next')} next and {planned.count('later')} later."
    )
    assert expected in [f.text for f in collect_facts(view)]


SHORT_FALL = Finding(
    code="high-touch-trap",
    severity="warn",
    message="m",
    metric="relative change of P50 FDE hours per new deployment over the horizon",
    value=-0.04,
    threshold=-0.1,
    evidence=[],
    remedy="r",
)
"""A high-touch-trap finding: hours fall 4% over the horizon, short of the 10% needed."""


def test_the_escape_kpi_agrees_with_the_trap_check(planted: Workspace, plan: Plan) -> None:
    full = populated(plan)
    settings = ReportSettings()

    def kpi(p: Plan) -> tuple[str, str]:
        view = build_view(p, load_evidence(planted, p, settings), policy_for("exec"), settings)
        found = next(k for k in view.brief.kpis if k.label == "Escapes high-touch trap")
        # The economics section says the same (it said "Escape ...: 2027-Q2" regardless).
        assert view.economics is not None
        assert ("no escape" in view.economics.verdict) == (found.value == "not yet")
        return found.value, found.detail

    trap = SHORT_FALL
    clean = full.model_copy(
        update={"diagnostics": [f for f in full.diagnostics if f.code != "high-touch-trap"]}
    )
    assert kpi(clean)[0] == "2027-Q2"
    value, detail = kpi(clean.model_copy(update={"diagnostics": [*clean.diagnostics, trap]}))
    # Before, the tile said "2027-Q2" while the brief's prose and risks said "short of".
    assert value == "not yet" and "by 4%: short of the 10%" in detail
    assert full.economics is not None
    none = full.economics.model_copy(update={"escape_period": None})
    assert kpi(clean.model_copy(update={"economics": none}))[0] == "no"


def test_the_plan_line_qualifies_the_escape_point_when_the_trap_check_fires(plan: Plan) -> None:
    from controltower.cli import _print_economics_summary, out

    economics = populated(plan).economics
    trap = SHORT_FALL
    with out.capture() as plain:
        _print_economics_summary(economics, [])
    with out.capture() as qualified:
        _print_economics_summary(economics, [trap])
    assert "escape point: 2027-Q2 (tower economics)" in plain.get().replace("\n", " ")
    assert "2027-Q2 (falling 4%, short of the 10% the high-touch-trap check needs)" in (
        " ".join(qualified.get().split())
    )


def test_the_adoption_table_counts_eligible_adopters(planted: Workspace, plan: Plan) -> None:
    full = populated(plan)
    settings = ReportSettings()
    view = build_view(full, load_evidence(planted, full, settings), policy_for("full"), settings)
    assert view.adoption is not None
    [row] = view.adoption
    # 1 of the 2 eligible accounts (50%): an adopter outside them does not count.
    assert (row.eligible, row.adopting, row.share) == (2, 1, "50%")


def test_deferred_facts_count_sized_candidates_apart_from_unsized_ones(
    planted: Workspace, plan: Plan
) -> None:
    settings = ReportSettings()
    view = build_view(plan, load_evidence(planted, plan, settings), policy_for("full"), settings)
    row = next(r for team in view.teams for r in [*team.now, *team.next, *team.later])
    rows = [
        row.model_copy(update={"effort_weeks": 3.0}),
        row.model_copy(update={"effort_weeks": None}),
    ]
    texts = [f.text for f in collect_facts(view.model_copy(update={"deferred": rows * 2}))]
    assert "2 candidate(s) with an effort are deferred: not in this plan." in texts
    assert any(t.startswith("2 candidate(s) without a team or an effort") for t in texts)


def test_full_report_sections_charts_and_evidence(
    planted: Workspace, plan: Plan, tmp_path: Path
) -> None:
    full = populated(plan)
    book = load_evidence(planted, full, ReportSettings())
    files = write_report(full, book, tmp_path / "out")
    html = files.html.read_text()
    for section in ("brief", "roadmap", "patterns", "value", "lenses", "diagnostics"):
        assert f'id="{section}"' in html
    for section in ("economics", "adoption", "decisions", "appendix", "evidence"):
        assert f'id="{section}"' in html
    anchors_resolve(html)
    charts = {p.name for p in files.charts}
    assert charts == {
        "timeline.svg",
        "patterns.svg",
        "value.svg",
        "stances.svg",
        "economics.svg",
        "adoption.svg",
    }
    assert html.count('<figure class="chart"') == 6
    # offline: nothing loaded from elsewhere
    assert "<script" not in html and "<link" not in html and 'src="http' not in html
    # every claim links to its evidence, and the appendix quotes it
    signal = full.patterns[0].signal_ids[0]
    assert f'href="#ev-{signal}"' in html and f'id="ev-{signal}"' in html
    assert book.quotes[signal].text in html
    assert "Zenith Mutual Bank (acc-zenith)" in html
    # the populated parts
    assert "62% of planned weeks serve one account." in html
    assert "Defer cap-big until a second account needs it." in html
    assert (
        "By 2027-Q2, FDE cost of goods sold is 135k with the plan vs 210k without, and gross "
        "margin 93% vs 89% (+4.0 pts); the company escapes the high-touch trap from 2027-Q2."
    ) in html
    assert (
        "The diagnostics found 1 failure mode(s): 1 critical, 0 warn and 0 info; the most "
        "severe: chasing-requests."
    ) in html
    assert "behind" in html and "not computed" not in html
    assert "D0001" in html and "fired: accounts &gt;= 10" in html
    assert "40% of bespoke FDE hours (40 h of 100 h) became platform capability" in html
    assert 'href="#ev-w-sso-1"' in html
    markdown = files.markdown.read_text()
    assert "](charts/timeline.svg)" in markdown and "## Executive brief" in markdown
    assert all((tmp_path / "out" / "charts" / name).exists() for name in charts)


def test_missing_parts_say_not_computed(planted: Workspace, plan: Plan, tmp_path: Path) -> None:
    bare = plan.model_copy(
        update={"economics": None, "adoption": None, "decisions": None, "productization": None}
    )
    book = load_evidence(planted, bare, ReportSettings())
    files = write_report(bare, book, tmp_path / "out", audience="exec")
    html = files.html.read_text()
    assert "The FDE economics were not computed for this plan." in html
    assert "Adoption was not computed for this plan." in html
    assert 'id="patterns"' not in html and 'id="lenses"' not in html
    assert {p.name for p in files.charts} == {"timeline.svg", "value.svg"}
    anchors_resolve(html)


def money_forms(value: float) -> set[str]:
    whole = int(value)
    return {str(whole), f"{whole:,}", money(value), f"{value / 1e6:g}M", f"{value:,.2f}"}


def test_customer_view_leaves_out_accounts_money_and_internal_reasons(
    planted: Workspace, plan: Plan, tmp_path: Path
) -> None:
    full = populated(plan)
    book = load_evidence(planted, full, ReportSettings())
    files = write_report(full, book, tmp_path / "out", audience="customer")
    texts = [files.html.read_text(), files.markdown.read_text()]
    texts += [p.read_text() for p in files.charts]
    bundle = report_bundle()
    forbidden: set[str] = set()
    for row in bundle["accounts"]:
        forbidden |= {row["account_id"], row["name"], *money_forms(float(row["arr"]))}
    forbidden |= {g["rule"] for g in bundle["guardrails"]}
    forbidden |= {s["rationale"] for s in bundle["stances"] if s.get("rationale")}
    forbidden |= {s.reason for c in full.candidates for s in c.stances}
    forbidden |= {e.reason for e in full.roadmap}
    forbidden |= {"Defer cap-big until a second account needs it.", "g-pool"}
    forbidden |= {"Pooled training breaks our tenant-isolation promise", "dep-1"}
    # items left out of the plan, and the internal verdicts on patterns
    left_out = {e.capability_id for e in full.roadmap if e.status in ("deferred", "refused")}
    assert left_out
    forbidden |= left_out | {"reject", "keep-custom"}
    for text in texts:
        text = re.sub(r"<style>.*?</style>", "", text, flags=re.S)  # badge class names
        found = sorted(f for f in forbidden if f and f in text)
        assert not found, f"customer report leaks {found}"
    html = texts[0]
    assert "Okta SSO" in html and 'id="roadmap"' in html
    assert "planned" in html or "under review" in html
    assert 'id="evidence"' not in html and 'id="diagnostics"' not in html
    anchors_resolve(html)


def test_words_that_point_at_one_customer_are_redacted_for_customers(tmp_path: Path) -> None:
    from conftest import small_bundle, write_bundle
    from controltower.domain import Account
    from controltower.ingest.bundle import import_bundle
    from controltower.ingest.contract import SPEC_BY_ENTITY
    from controltower.report.audience import Redactor
    from controltower.report.evidence import name_words
    from controltower.store.rows import read_rows
    from controltower.workspace import init_workspace

    files = small_bundle()  # accounts Acme Bank (a1), Beta Care (a2), Gamma Shop (a3)
    first = {**files["signals"][0], "deployment_id": ""}
    files["signals"] = [
        {**first, "signal_id": "x1", "account_id": "a1", "text": "Acme wants SSO"},
        {**first, "signal_id": "x2", "account_id": "a1", "text": "Acme audit logs"},
        {**first, "signal_id": "x3", "account_id": "a2", "text": "bank statement export"},
        {**first, "signal_id": "x4", "account_id": "a3", "text": "bank feeds are slow"},
        {**first, "signal_id": "x5", "account_id": "a2", "text": "care plans and bank sync"},
    ]
    workspace = init_workspace(tmp_path / "ws")
    import_bundle(write_bundle(tmp_path / "b", files), workspace=workspace)
    with workspace.engine.connect() as connection:
        accounts = read_rows(connection=connection, spec=SPEC_BY_ENTITY["accounts"], model=Account)
    words = name_words(workspace, accounts)
    # "acme" and "care" are their accounts' words; "bank" is everyone's vocabulary; "beta",
    # "gamma" and "shop" are in no note, so nothing is lost by hiding them.
    assert words == ["acme", "beta", "care", "gamma", "shop"]
    redact = Redactor(words)
    assert redact("acme, okta sso, bank sync") == "a customer, okta sso, bank sync"


def test_grounding_check() -> None:
    facts = [
        Fact(id="F1", section="value", text="Okta SSO (cap-sso) is worth P50 9.87M for 4 wk."),
        Fact(id="F2", section="roadmap", text="Team core plans now Okta SSO in 2027-Q1."),
    ]
    grounding = Grounding(facts, known_ids={"cap-sso", "cap-pool"})
    assert check_sentence("Okta SSO (cap-sso) is worth 9.87M.", grounding) == []
    assert check_sentence("It ships in 2027-Q1, in 2027, within 4 weeks.", grounding) == []
    assert check_sentence("That is 9,870,000 in value.", grounding) == []
    assert check_sentence("It lifts margin by 12%.", grounding) == ["unsupported number 12%"]
    assert check_sentence("Then cap-pool follows.", grounding) == ["unknown id cap-pool"]
    assert check_sentence("Value is 9.2M.", grounding) == ["unsupported number 9.2M"]
    assert check_sentence("Then P0042 grows.", grounding) == ["unknown id p0042"]
    assert check_sentence("Keep the rate-limit as is.", grounding) == []


class FakeLLM(BaseHTTPRequestHandler):
    """An OpenAI-compatible chat-completions endpoint, scripted per test."""

    status: ClassVar[int] = 200
    delay: ClassVar[float] = 0.0
    content: ClassVar[str] = "{}"
    requests: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        FakeLLM.requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        time.sleep(self.delay)
        payload = {"choices": [{"message": {"role": "assistant", "content": self.content}}]}
        data = json.dumps(payload).encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def fake_llm() -> Iterator[str]:
    FakeLLM.status, FakeLLM.delay, FakeLLM.content = 200, 0.0, "{}"
    FakeLLM.requests = []
    server = HTTPServer(("127.0.0.1", 0), FakeLLM)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_llm_narrative_is_marked_and_grounded(
    planted: Workspace, plan: Plan, tmp_path: Path, fake_llm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TOWER_LLM_API_KEY", "test-key")
    top = next(e for e in plan.roadmap if e.status == "now")
    FakeLLM.content = json.dumps(
        {
            "brief": f"We build {top.name} ({top.capability_id}) first. "
            "It will lift gross margin by 37% next year.",
            "roadmap": "Every team is busy. Then cap-99 ships.",
        }
    )
    narrator = LLMNarrator(fake_llm, "test-model", timeout=5)
    book = load_evidence(planted, plan, ReportSettings())
    files = write_report(plan, book, tmp_path / "out", narrator=narrator)
    html = files.html.read_text()
    assert "model-written" in html
    assert f"We build {top.name} ({top.capability_id}) first." in html
    assert "lift gross margin" not in html and "Then cap-99 ships." not in html
    assert "unsupported number 37%" in html and "unknown id cap-99" in html
    assert "**[model-written]**" in files.markdown.read_text()
    request = FakeLLM.requests[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer test-key"
    prompt = json.loads(request["body"]["messages"][1]["content"])
    assert set(prompt) == {"sections", "facts"} and request["body"]["model"] == "test-model"
    assert all(set(f) == {"id", "section", "text"} for f in prompt["facts"])


@pytest.mark.parametrize(
    ("status", "delay", "content", "reason"),
    [
        (500, 0.0, "{}", "answered HTTP 500"),
        (200, 1.0, "{}", "did not answer"),
        (200, 0.0, "I cannot help with that.", "did not answer with a JSON object"),
    ],
)
def test_llm_failure_falls_back_to_deterministic_text(
    planted: Workspace,
    plan: Plan,
    tmp_path: Path,
    fake_llm: str,
    status: int,
    delay: float,
    content: str,
    reason: str,
) -> None:
    FakeLLM.status, FakeLLM.delay, FakeLLM.content = status, delay, content
    narrator = LLMNarrator(fake_llm, "test-model", timeout=0.3)
    book = load_evidence(planted, plan, ReportSettings())
    files = write_report(plan, book, tmp_path / "out", narrator=narrator)
    assert files.note is not None and reason in files.note
    html = files.html.read_text()
    assert "deterministic" in html and "model-written" not in html
    assert "The plan schedules" in html


def test_cli_plan_report_audiences_and_errors(planted: Workspace, tmp_path: Path) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    ws = str(planted.path)
    out = tmp_path / "exec"
    result = runner.invoke(app, ["-w", ws, "plan", "--report", str(out), "--audience", "exec"])
    assert result.exit_code == 0, result.output
    assert str(out / "report.html") in result.output
    assert (out / "report.html").exists() and (out / "report.md").exists()
    bad = runner.invoke(
        app, ["-w", ws, "plan", "--report", str(tmp_path / "x"), "--audience", "ceo"]
    )
    assert bad.exit_code == 2 and "unknown audience" in bad.output
    half = ["-w", ws, "plan", "--report", str(tmp_path / "y"), "--llm-url", "http://127.0.0.1:9"]
    result = runner.invoke(app, half)
    assert result.exit_code == 2 and "--llm-model" in result.output
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def schema_validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(SCHEMA.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_plan_json_matches_schema(planted: Workspace) -> None:
    result = CliRunner().invoke(app, ["-w", str(planted.path), "plan", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    validator = schema_validator()
    errors = [e.message for e in validator.iter_errors(document)]
    assert not errors, errors[:3]
    broken = dict(document, roadmap=[dict(document["roadmap"][0], status="someday")])
    assert not validator.is_valid(broken)
    assert not validator.is_valid({k: v for k, v in document.items() if k != "patterns"})


def test_populated_plan_matches_schema(plan: Plan) -> None:
    document = json.loads(populated(plan).to_json())
    errors = [e.message for e in schema_validator().iter_errors(document)]
    assert not errors, errors[:3]


@pytest.mark.slow
def test_sample_company_plan_matches_schema(tmp_path: Path) -> None:
    runner = CliRunner()
    ws = str(tmp_path / "ws")
    assert runner.invoke(app, ["sample", str(tmp_path / "bundle")]).exit_code == 0
    assert runner.invoke(app, ["init", ws]).exit_code == 0
    assert runner.invoke(app, ["-w", ws, "import", str(tmp_path / "bundle")]).exit_code == 0
    result = runner.invoke(app, ["-w", ws, "plan", "--json", "--report", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    errors = [e.message for e in schema_validator().iter_errors(document)]
    assert not errors, errors[:3]
    assert (tmp_path / "r" / "report.html").stat().st_size > 0
    # One roadmap entry per candidate; shipped capabilities are listed apart, with none.
    candidates = sorted(c["id"] for c in document["candidates"])
    assert sorted(e["capability_id"] for e in document["roadmap"]) == candidates
    shipped = {c["id"] for c in document["shipped"]}
    assert shipped and all(c["status"] == "shipped" for c in document["shipped"])
    assert not shipped & set(candidates)
    # The optimizer's roadmap keeps every dependency and exclusion of the sample company.
    broken = (
        "planned items whose prerequisite",
        "pairs of planned items that exclude",
        "must=yes candidates left out",
    )
    assert not [d for d in document["diagnostics"] if d["metric"].startswith(broken)]


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.85, "0.85"), (-0.0714, "-0.0714"), (0.333333, "0.333"), (0.315, "0.315"), (1.0, "1")],
)
def test_a_diagnostic_measure_is_never_rounded_onto_its_threshold(value: float, shown: str) -> None:
    # Before, one decimal: 0.85 read as 0.8 (below its own threshold) and -0.0714 as -0.1.
    assert measure(value) == shown
    assert measure(12345.6) == "12,345.6"
