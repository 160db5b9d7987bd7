"""Decision log: the trigger language, supersession, the plan's respect, the log's travels."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import write_bundle
from controltower.cli import app
from controltower.decisions import (
    FIELDS,
    customer_note,
    decided_subjects,
    load_log,
    parse_position,
    parse_trigger,
    record_decision,
    review_workspace,
    subject_history,
    workspace_productization,
)
from controltower.decisions.log import DECISIONS_FILE
from controltower.decisions.productization import Shipment, measure_productization
from controltower.domain import CustomWork, Deployment
from controltower.errors import BundleError, InputError
from controltower.export import export_workspace
from controltower.ingest.bundle import import_bundle, validate_bundle
from controltower.optimize import plan_roadmap
from controltower.optimize.problem import build_problem, load_rows
from controltower.synthesize.embed import HashingEmbedder
from controltower.synthesize.pipeline import ensure_synthesized, synthesize
from controltower.value import evaluate
from controltower.workspace import Workspace, init_workspace, open_workspace

# --- the trigger language -----------------------------------------------------------------

LIVE = {"pattern.accounts": 8.0, "candidate.value_p50": 150.0, "pattern.arr": 2e6}
THEN = {"pattern.accounts": 3.0, "candidate.value_p50": 100.0, "pattern.arr": 1e6}
TODAY = date(2027, 3, 1)


def status(expression: str, now: dict[str, float] = LIVE, today: date = TODAY) -> str:
    return parse_trigger(expression).check(now, THEN, today=today).status


@pytest.mark.parametrize(
    ("expression", "fired"),
    [
        ("pattern.accounts >= 8", "fired"),
        ("pattern.accounts > 8", "quiet"),
        ("pattern.accounts >= 9", "quiet"),
        ("pattern.arr >= 2e6", "fired"),
        ("candidate.value_p50 >= 1.5 * at_decision", "fired"),
        ("candidate.value_p50 > 1.5 * at_decision", "quiet"),
        ("pattern.accounts - at_decision >= 5", "fired"),
        ("today >= date('2027-03-01')", "fired"),
        ("today > '2027-03-01'", "quiet"),
        ("pattern.accounts >= 9 or today >= date('2027-03-01')", "fired"),
        ("pattern.accounts >= 8 and not (pattern.arr < 2e6)", "fired"),
        ("3 < pattern.accounts <= 8", "fired"),
        ("-pattern.accounts < -7.5", "fired"),
        ("(pattern.accounts + 2) / 2 == 5", "fired"),
    ],
)
def test_trigger_fires_exactly_at_its_boundary(expression: str, fired: str) -> None:
    assert status(expression) == fired


def test_trigger_crossing_a_boundary_by_the_smallest_step() -> None:
    trigger = parse_trigger("candidate.value_p50 > 1.5 * at_decision")
    assert trigger.check({"candidate.value_p50": 150.0}, THEN, today=TODAY).status == "quiet"
    crossed = trigger.check({"candidate.value_p50": 150.000001}, THEN, today=TODAY)
    assert crossed.status == "fired"
    assert crossed.figures[0].at_decision == 100.0 and crossed.figures[0].now == 150.000001
    dated = parse_trigger('today >= "2027-03-01"')
    assert dated.check({}, {}, today=TODAY - timedelta(days=1)).status == "quiet"
    assert dated.check({}, {}, today=TODAY).status == "fired"


def test_trigger_without_its_figure_or_dividing_by_zero_is_unavailable() -> None:
    check = parse_trigger("candidate.value_p90 > 10").check(LIVE, THEN, today=TODAY)
    assert check.status == "unavailable" and "candidate.value_p90" in check.reason
    zero = parse_trigger("pattern.accounts / (pattern.accounts - 8) > 1")
    assert zero.check(LIVE, THEN, today=TODAY).status == "unavailable"


@pytest.mark.parametrize(
    ("expression", "named"),
    [
        ("__import__('os').system('x')", "__import__('os').system('x')"),
        ("().__class__", "().__class__"),
        ("pattern.__class__ > 1", "pattern.__class__"),
        ("().__class__.__bases__[0].__subclasses__()", "__subclasses__"),
        ("open('f')", "open('f')"),
        ("exec('1') > 0", "exec('1')"),
        ("date('2027-01-01', tz=1) < today", "date('2027-01-01', tz=1)"),
        ("date(pattern.arr) < today", "date(pattern.arr)"),
        ("pattern.accounts[0] > 1", "pattern.accounts[0]"),
        ("(lambda: 1)() > 0", "lambda"),
        ("[x for x in (1,)] == 1", "[x for x in (1,)]"),
        ("(x := 8) > 1", "x := 8"),
        ("pattern.accounts ** 99 > 1", "pattern.accounts ** 99"),
        ("pattern.accounts % 2 == 1", "pattern.accounts % 2"),
        ("pattern.accounts in (1, 2)", "in"),
        ("pattern.accounts is 8", "is"),
        ("'rm -rf' == 'rm -rf'", "'rm -rf'"),
        ("f'{1}' == 1", "f'{1}'"),
        ("pattern.foo > 1", "pattern.foo"),
        ("account.arr > 1", "account.arr"),
        ("os > 1", "os"),
        ("True", "True"),
        ("pattern.accounts > 1e999", "1e999"),
        ("today > 5", "today > 5"),
        ("at_decision > 1", "at_decision"),
        ("pattern.accounts > at_decision + pattern.arr", "at_decision"),
        ("pattern.accounts > 1 if 1 else 2", "if"),
        ("pattern.accounts >= 8 and 4", "4"),
    ],
)
def test_language_refuses_anything_else_naming_the_part(expression: str, named: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_trigger(expression)
    assert named in str(caught.value)
    assert "not allowed" in str(caught.value)


@pytest.mark.parametrize(
    ("expression", "said"),
    [
        ("", "empty"),
        ("pattern.accounts", "not a condition"),
        ("pattern.accounts >= 8; import os", "not a valid expression"),
        ("import os", "not a valid expression"),
        ("pattern.accounts >", "it ends too early"),
        ("pattern.accounts > > 3", "column 20"),
        ("pattern.accounts > 1 / 0", "division by zero in `1 / 0`"),
        ("pattern.accounts > 2 / (1 - 1)", "division by zero"),
        ("pattern.accounts >= 8\x00", "not a valid expression"),
        ("(" * 240 + "1" + ")" * 240 + " > 0", "not a valid expression"),
        ("(" * 200 + "1" + ")" * 200 + " > 0", "reads no field"),
        ("2 > 1", "reads no field"),
        ("-" * 150 + "1 > 0", "parts"),
        ("1 + " * 150 + "1 > 0", "characters long"),
        ("not " * 30 + "pattern.accounts > 1", "nesting"),
    ],
)
def test_language_refuses_malformed_long_and_deep_input(expression: str, said: str) -> None:
    with pytest.raises(InputError, match=said):
        parse_trigger(expression)


def test_every_field_is_documented_in_the_help_and_the_docs() -> None:
    docs = (Path(__file__).parent.parent / "docs" / "decisions.md").read_text(encoding="utf-8")
    help_text = CliRunner(env={"COLUMNS": "400"}).invoke(app, ["decide", "--help"]).output
    for name in FIELDS:
        assert name in docs
        assert name in help_text
    assert "at_decision" in help_text and "today" in help_text


def test_position_parses_role_stance_and_text() -> None:
    position = parse_position("ml-engineer=-2:recall too low: needs eval")
    assert (position.role, position.stance, position.text) == (
        "ml-engineer",
        -2,
        "recall too low: needs eval",
    )
    for bad in ("fde", "fde=3:x", "fde=high:x", "=1:x"):
        with pytest.raises(InputError, match="role=stance:text"):
            parse_position(bad)


# --- a small company with a broad SSO need -------------------------------------------------

ACCOUNTS = {
    "acc-north": ("Northwind Bank", "enterprise", "banking", "1", "5000000"),
    "acc-globex": ("Globex Health", "mid-market", "healthcare", "2", "400000"),
    "acc-initech": ("Initech Retail", "smb", "retail", "3", "300000"),
    "acc-umbrella": ("Umbrella Insurance", "mid-market", "insurance", "2", "200000"),
    "acc-hooli": ("Hooli Logistics", "smb", "logistics", "3", "100000"),
}
ASKING = ["acc-north", "acc-globex", "acc-initech", "acc-umbrella"]
TEXTS = [
    "SSO login with Okta fails for new users",
    "We need single sign-on through Okta before rollout",
    "SAML SSO with Okta is blocking our go-live",
    "Users cannot log in via Okta SSO",
]
START = date(2026, 1, 5)


def company() -> dict[str, list[dict[str, str]]]:
    signals = [
        {
            "signal_id": f"sso-{k}",
            "date": str(START + timedelta(days=9 * k)),
            "source": "customer-request",
            "text": TEXTS[k % 4] + (", like Northwind Bank has" if k == 1 else ""),
            "account_id": ASKING[k % 4],
            "kind": "request",
            "urgency": "4",
        }
        for k in range(16)
    ]
    return {
        "accounts": [
            {"account_id": a, "name": n, "segment": s, "industry": i, "tier": t, "arr": r}
            for a, (n, s, i, t, r) in ACCOUNTS.items()
        ],
        "deployments": [
            {
                "deployment_id": f"dep-{a}",
                "account_id": a,
                "phase": "implementation",
                "started": "2025-12-01",
                "fde_hours": "200",
            }
            for a in ASKING
        ],
        "signals": signals,
        "custom_work": [
            {
                "work_id": f"w-{k}",
                "account_id": a,
                "date": str(START + timedelta(days=30 * k)),
                "description": "Built a custom Okta SSO SAML bridge",
                "fde_hours": str(40 + 10 * k),
                "deployment_id": f"dep-{a}",
            }
            for k, a in enumerate(ASKING)
        ],
        "capabilities": [
            {
                "capability_id": "cap-sso",
                "name": "Okta SSO",
                "description": "Single sign-on with Okta SAML",
                "team": "core",
                "effort_weeks": "4",
                "addresses": "sso-1;sso-2",
            },
            {
                "capability_id": "cap-admin",
                "name": "SSO admin console",
                "description": "Admin console for Okta single sign-on",
                "team": "core",
                "effort_weeks": "2",
                "depends_on": "cap-sso",
                "addresses": "sso-3",
            },
        ],
        "teams": [
            {"team": "core", "period": "2027-Q1", "capacity_weeks": "10"},
            {"team": "core", "period": "2027-Q2", "capacity_weeks": "10"},
        ],
    }


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("decisions")
    with init_workspace(root / "ws") as workspace:
        import_bundle(write_bundle(root / "bundle", company()), workspace=workspace)
        synthesize(workspace, embedder=HashingEmbedder())
    return root / "ws"


@pytest.fixture
def ws(template: Path, tmp_path: Path) -> Iterator[Workspace]:
    shutil.copytree(template, tmp_path / "ws")
    with open_workspace(tmp_path / "ws") as workspace:
        yield workspace


def decide(workspace: Workspace, subject: str, choice: str, **kwargs: Any) -> str:
    kwargs.setdefault("rationale", f"{choice} it")
    kwargs.setdefault("decided_by", "pm")
    return record_decision(workspace, subject, choice=choice, **kwargs).decision_id


def statuses(workspace: Workspace) -> dict[str, tuple[str, str]]:
    return {e.capability_id: (e.status, e.reason) for e in plan_roadmap(workspace).entries}


def test_decision_snapshots_the_evidence_and_positions(ws: Workspace) -> None:
    evaluation = evaluate(ws)
    sso = evaluation.candidate("cap-sso")
    assert sso is not None and sso.value is not None
    decision = record_decision(
        ws,
        "cap-sso",
        choice="Refuse",
        rationale="Northwind Bank alone pays for it",
        decided_by="kim",
        positions=[parse_position("fde=2:four deployments rebuilt it")],
        triggers=["pattern.accounts >= 5"],
        evaluation=evaluation,
    )
    assert decision.decision_id == "D0001" and decision.choice == "refuse"
    assert decision.subject_kind == "candidate"
    assert decision.options == ["build", "defer", "refuse"]
    figures = decision.evidence.figures
    assert figures["candidate.value_p50"] == sso.value.p50
    assert figures["candidate.arr"] == sso.model.revenue_touched
    assert figures["pattern.accounts"] == 4.0
    assert set(decision.evidence.account_ids) == set(ASKING)
    assert {s.role for s in decision.evidence.stances} >= {"fde", "leadership"}
    assert [p.role for p in decision.dissent()] == ["fde"]
    assert decided_subjects(ws) == {"cap-sso"}


def test_a_logged_choice_in_another_case_is_the_named_choice(ws: Workspace) -> None:
    from controltower.decisions.models import Decision

    decision = record_decision(ws, "cap-sso", choice="refuse", rationale="r", decided_by="kim")
    logged = decision.model_dump(mode="json") | {"choice": "Refuse "}
    # From decisions.jsonl, "Refuse" was free text that held nothing out of the plan.
    assert Decision.model_validate(logged).choice == "refuse"
    assert Decision.model_validate(logged | {"choice": "Ship it Q3"}).choice == "Ship it Q3"


def test_subject_is_validated_and_triggers_must_be_available_and_not_yet_hold(
    ws: Workspace,
) -> None:
    with pytest.raises(InputError, match="no candidate, pattern or request"):
        decide(ws, "cap-nope", "refuse")
    with pytest.raises(InputError, match="already holds"):
        decide(ws, "cap-sso", "refuse", triggers=["pattern.accounts >= 4"])
    with pytest.raises(InputError, match="needs --why"):
        decide(ws, "cap-sso", "refuse", rationale="  ")
    assert load_log(ws) == []
    assert decide(ws, "sso-5", "refuse") == "D0001"
    assert load_log(ws)[0].subject_kind == "request"


def test_supersession_keeps_the_history(ws: Workspace) -> None:
    first = decide(ws, "cap-sso", "refuse", triggers=["pattern.accounts >= 6"])
    second = decide(ws, "cap-sso", "build", rationale="reopened")
    third = decide(ws, "cap-admin", "watch")
    history = subject_history(ws, "cap-sso")
    assert [d.decision_id for d in history] == [first, second]
    assert history[1].supersedes == first and history[0].choice == "refuse"
    review = review_workspace(ws)
    assert [s.decision_id for s in review.standing] == [second, third]
    assert review.superseded == 1
    with pytest.raises(InputError, match="already superseded by D0002"):
        decide(ws, "cap-sso", "defer", supersedes=first)
    with pytest.raises(InputError, match="on cap-admin, not cap-sso"):
        decide(ws, "cap-sso", "defer", supersedes=third)
    assert len(load_log(ws)) == 3


def test_refused_candidate_stays_out_of_the_roadmap_until_reopened(ws: Workspace) -> None:
    assert statuses(ws)["cap-sso"][0] == "now"
    assert statuses(ws)["cap-admin"][0] == "next"
    refused = decide(ws, "cap-sso", "refuse", rationale="breaks tenancy")
    after = statuses(ws)
    status_, reason = after["cap-sso"]
    assert status_ == "refused"
    assert f"refused by decision {refused}" in reason and "breaks tenancy" in reason
    assert after["cap-admin"][0] == "deferred" and refused in after["cap-admin"][1]
    decide(ws, "cap-sso", "build", rationale="reopened: the tenancy fix landed")
    assert statuses(ws)["cap-sso"][0] == "now"


def test_fired_refuse_trigger_flags_but_does_not_reopen(ws: Workspace) -> None:
    refused = decide(ws, "cap-sso", "refuse", triggers=["pattern.accounts >= 5"])
    rows = load_rows(ws)
    evaluation = evaluate(ws)
    flagged = evaluation.model_copy(deep=True)
    sso = flagged.candidate("cap-sso")
    assert sso is not None and sso.model.pattern_ids
    pattern = flagged.pattern(sso.model.pattern_ids[0])
    assert pattern is not None
    pattern.account_ids.append("acc-hooli")
    problem, _ = build_problem(flagged, rows, ws.settings)
    item = next(i for i in problem.items if i.id == "cap-sso")
    assert item.forbidden is not None and refused in item.forbidden
    assert "trigger fired (pattern.accounts >= 5)" in item.forbidden


def test_defer_holds_until_a_trigger_fires(ws: Workspace) -> None:
    deferred = decide(ws, "cap-sso", "defer", triggers=['today >= date("2099-06-01")'])
    assert statuses(ws)["cap-sso"][0] == "deferred"
    rows = load_rows(ws)
    evaluation = evaluate(ws)
    before = dataclasses.replace(rows, today=date(2099, 5, 31))
    problem, left_out = build_problem(evaluation, before, ws.settings)
    assert f"deferred by decision {deferred}" in left_out["cap-sso"]
    assert left_out["cap-admin"].startswith(f"needs cap-sso, deferred by decision {deferred}")
    assert not problem.items
    released = dataclasses.replace(rows, today=date(2099, 6, 1))
    problem, left_out = build_problem(evaluation, released, ws.settings)
    assert {i.id for i in problem.items} == {"cap-sso", "cap-admin"} and not left_out
    assert all(i.forbidden is None for i in problem.items)
    # What may never be planned stays refused for its own reason, whatever a defer says.
    sso = before.capabilities["cap-sso"].model_copy(update={"must": "never"})
    never = dataclasses.replace(before, capabilities={**before.capabilities, "cap-sso": sso})
    problem, left_out = build_problem(evaluation, never, ws.settings)
    assert "cap-sso" not in left_out
    assert next(i for i in problem.items if i.id == "cap-sso").forbidden == (
        "must=never in capabilities.csv"
    )


def test_live_figures_crossing_fire_the_trigger(ws: Workspace, tmp_path: Path) -> None:
    decision = decide(
        ws, "cap-sso", "refuse", triggers=["pattern.accounts >= 5", "pattern.accounts >= 6"]
    )
    quiet = review_workspace(ws)
    assert quiet.to_revisit == []
    files = company()
    files["signals"] = [dict(files["signals"][0], signal_id="late-1", account_id="acc-hooli")]
    del files["deployments"], files["custom_work"], files["capabilities"], files["teams"]
    import_bundle(write_bundle(tmp_path / "more", files), workspace=ws)
    ensure_synthesized(ws, embedder=HashingEmbedder())
    review = review_workspace(ws)
    [state] = review.to_revisit
    assert state.decision_id == decision and state.effect == "kept out of the roadmap (refused)"
    fired, still = state.triggers
    assert (fired.status, still.status) == ("fired", "quiet")
    assert (fired.figures[0].at_decision, fired.figures[0].now) == (4.0, 5.0)


def test_pattern_and_request_subjects_read_their_own_figures(ws: Workspace) -> None:
    evaluation = evaluate(ws)
    sso = evaluation.candidate("cap-sso")
    assert sso is not None
    pattern_id = sso.model.pattern_ids[0]
    decision = record_decision(
        ws, pattern_id, choice="watch", rationale="r", decided_by="pm", evaluation=evaluation
    )
    assert decision.subject_kind == "pattern"
    assert decision.options == ["standardize", "watch", "keep-custom"]
    assert decision.evidence.pattern_id == pattern_id
    request = record_decision(
        ws, "sso-2", choice="defer", rationale="r", decided_by="pm", evaluation=evaluation
    )
    assert request.evidence.signal_ids[0] == "sso-2"
    assert request.evidence.figures["pattern.accounts"] == 4.0
    assert decided_subjects(ws) == {pattern_id, "sso-2"}


# --- the customer's note ------------------------------------------------------------------


def test_why_not_yet_note_names_no_other_customer(ws: Workspace) -> None:
    decide(
        ws,
        "sso-1",
        "defer",
        rationale="Northwind Bank (acc-north, ARR 5000000) matters more; Initech too",
        triggers=['today >= date("2099-01-01")', "candidate.accounts >= 7"],
    )
    # The plan still schedules cap-sso, which serves the request: a "not yet" is false.
    with pytest.raises(InputError, match=r"the plan schedules cap-sso \(now, 2027-Q1\)"):
        customer_note(ws, "sso-1")
    decide(ws, "cap-sso", "defer", rationale="after the tenancy work")
    note = customer_note(ws, "sso-1")
    assert note.account_id == "acc-globex"
    text = note.text
    assert text.startswith("To the Globex Health team,")
    assert "we decided not to build this yet" in text and "by 2099-01-01" in text
    assert "when more customers need it" in text
    others = [a for a in ACCOUNTS if a != "acc-globex"]
    for account_id in others:
        name, *_, arr = ACCOUNTS[account_id]
        for leak in (account_id, name, name.split()[0], arr, f"{int(arr):,}"):
            assert leak not in text
    assert "another customer" in text  # the request's own text named Northwind Bank
    assert not re.search(r"\d", re.sub(r"\d{4}-\d{2}-\d{2}", "", text))  # dates only


def test_note_gives_an_architecture_rule_only_when_the_request_names_it(
    ws: Workspace, tmp_path: Path
) -> None:
    rule = {
        "guardrail_id": "g-saml",
        "rule": "No SAML bridges outside the identity service",
        "severity": "block",
        "owner_role": "ai-architect",
        "applies_to": "cap-sso",
        "keywords": "saml",
    }
    files = {"accounts": company()["accounts"], "signals": [], "guardrails": [rule]}
    import_bundle(write_bundle(tmp_path / "rule", files), workspace=ws)
    conflict = "would conflict with one of the architecture rules"
    # sso-1 asks for Okta single sign-on, not SAML: the rule blocks the candidate serving it,
    # not what the customer asked for (before, the note said their request conflicted).
    decide(ws, "sso-1", "defer", rationale="timing")
    assert conflict not in customer_note(ws, "sso-1").text
    decide(ws, "sso-2", "defer", rationale="the SAML bridge breaks the identity rule")
    assert conflict in customer_note(ws, "sso-2").text


def test_note_needs_the_customer_for_a_candidate_and_refuses_go_ahead(ws: Workspace) -> None:
    decide(ws, "cap-sso", "refuse", rationale="Umbrella Insurance only")
    with pytest.raises(InputError, match="--account"):
        customer_note(ws, "cap-sso")
    note = customer_note(ws, "D0001", account_id="acc-initech")
    assert "Initech Retail" in note.text and "Umbrella" not in note.text
    # Hooli has no note or build behind cap-sso: thanking it for its interest is false.
    with pytest.raises(InputError, match="acc-hooli has no signal or custom work behind"):
        customer_note(ws, "D0001", account_id="acc-hooli")
    decide(ws, "cap-sso", "build")
    with pytest.raises(InputError, match="'why not yet' note"):
        customer_note(ws, "cap-sso", account_id="acc-initech")


# --- decisions.jsonl ----------------------------------------------------------------------


def test_export_import_round_trips_the_log(ws: Workspace, tmp_path: Path) -> None:
    decide(ws, "cap-sso", "refuse", triggers=["pattern.accounts >= 6"])
    decide(ws, "cap-sso", "build", positions=[parse_position("ml-engineer=-1:eval")])
    decide(ws, "sso-3", "defer", rationale="naïve ünïcode ✓")
    export_workspace(ws, tmp_path / "out")
    lines = (tmp_path / "out" / DECISIONS_FILE).read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["decision_id"] for line in lines] == ["D0001", "D0002", "D0003"]
    assert all(list(json.loads(line)) == sorted(json.loads(line)) for line in lines)
    with init_workspace(tmp_path / "copy") as copy:
        report = import_bundle(tmp_path / "out", workspace=copy)
        counts = {f.file: f for f in report.files}[DECISIONS_FILE]
        assert counts.inserted == 3
        assert load_log(copy) == load_log(ws)
        again = {f.file: f for f in import_bundle(tmp_path / "out", workspace=copy).files}
        assert (again[DECISIONS_FILE].inserted, again[DECISIONS_FILE].unchanged) == (0, 3)
        assert load_log(copy) == load_log(ws)
        export_workspace(copy, tmp_path / "again")
    assert (tmp_path / "again" / DECISIONS_FILE).read_bytes() == (
        tmp_path / "out" / DECISIONS_FILE
    ).read_bytes()


def test_import_appends_to_an_existing_log_in_one_transaction(
    ws: Workspace, tmp_path: Path
) -> None:
    decide(ws, "cap-sso", "refuse")
    export_workspace(ws, tmp_path / "out")
    decide(ws, "cap-sso", "build")
    export_workspace(ws, tmp_path / "later")
    with init_workspace(tmp_path / "copy") as copy:
        import_bundle(tmp_path / "out", workspace=copy)
        import_bundle(tmp_path / "later", workspace=copy, parallel=True)
        assert [d.supersedes for d in load_log(copy)] == [None, "D0001"]


def test_malformed_log_is_refused_naming_file_line_and_field(ws: Workspace, tmp_path: Path) -> None:
    decide(ws, "cap-sso", "refuse")
    export_workspace(ws, tmp_path / "out")
    path = tmp_path / "out" / DECISIONS_FILE
    good = json.loads(path.read_text(encoding="utf-8"))
    changed = dict(good, rationale="rewritten history")
    bad_stance = dict(good, decision_id="D0002", supersedes="D0001")
    bad_stance["positions"] = [{"role": "fde", "stance": 5, "text": ""}]
    injection = dict(good, decision_id="D0003", triggers=["__import__('os').system('x')"])
    orphan = dict(good, decision_id="D0004", supersedes="D0009")
    lines = [
        json.dumps(changed),
        "{not json",
        json.dumps(bad_stance),
        json.dumps(injection),
        json.dumps(orphan),
        "[1, 2]",
        json.dumps(dict(good, decision_id="D0005", decided_on="03/01/2027")),
        json.dumps(dict(good, decision_id="D0006", extra=1)),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    signals = company()["signals"]
    write_bundle(tmp_path / "out", {"signals": [*signals, dict(signals[0], signal_id="new-1")]})
    with pytest.raises(BundleError) as caught:
        import_bundle(tmp_path / "out", workspace=ws)
    shown = [str(p) for p in caught.value.problems if p.file == DECISIONS_FILE]
    located = {s.split(": ")[0] for s in shown}
    assert located == {
        "decisions.jsonl:1:decision_id",
        "decisions.jsonl:2:-",
        "decisions.jsonl:3:positions[0].stance",
        "decisions.jsonl:4:triggers[0]",
        "decisions.jsonl:5:supersedes",
        "decisions.jsonl:6:-",
        "decisions.jsonl:7:decided_on",
        "decisions.jsonl:8:extra",
    }
    assert any("append-only" in s for s in shown)
    assert [d.rationale for d in load_log(ws)] == ["refuse it"]
    assert "new-1" not in {s for p in evaluate(ws).patterns for s in p.signal_ids}
    with ws.engine.connect() as connection:
        assert (
            connection.exec_driver_sql(
                "SELECT count(*) FROM signals WHERE signal_id = 'new-1'"
            ).scalar_one()
            == 0
        )
    with pytest.raises(BundleError):
        validate_bundle(tmp_path / "out")


# --- productization -----------------------------------------------------------------------


def _work(work_id: str, day: str, hours: float, deployment: str | None, account: str) -> CustomWork:
    return CustomWork(
        work_id=work_id,
        account_id=account,
        date=date.fromisoformat(day),
        description="bespoke",
        fde_hours=hours,
        deployment_id=deployment,
    )


def _deployment(deployment_id: str, account: str, started: str) -> Deployment:
    return Deployment(
        deployment_id=deployment_id,
        account_id=account,
        phase="implementation",
        started=date.fromisoformat(started),
        fde_hours=0,
    )


def test_productization_rate_by_hand() -> None:
    deployments = [
        _deployment("d1", "A", "2026-01-01"),
        _deployment("d2", "B", "2025-10-01"),
        _deployment("d3", "C", "2026-05-01"),
    ]
    work = [
        _work("w1", "2026-01-10", 100, "d1", "A"),
        _work("w2", "2026-02-01", 50, "d1", "A"),
        _work("w3", "2025-11-01", 80, "d2", "B"),
        _work("w4", "2026-05-10", 20, None, "C"),  # given to d3, the one running then
        _work("w5", "2026-05-10", 10, None, "Z"),  # no deployment at all
    ]
    shipped = [
        Shipment("cap-late", date(2026, 3, 1), frozenset({"w1", "w3"})),
        Shipment("cap-early", date(2026, 1, 5), frozenset({"w2"})),  # before w2: not its work
    ]
    result = measure_productization(
        shipped, work, deployments, window_days=90, as_of=date(2026, 6, 1)
    )
    by_id = {r.deployment_id: r for r in result.deployments}
    d1, d2, d3 = by_id["d1"], by_id["d2"], by_id["d3"]
    assert (d1.bespoke_hours, d1.productized_hours, d1.rate) == (150, 100, pytest.approx(2 / 3))
    assert d1.gave_back is True and d1.days_to_give_back == 50  # 2026-01-10 -> 2026-03-01
    assert d1.capabilities == ["cap-late"] and d1.evidence == ["w1"]
    assert d2.rate == 1.0 and d2.gave_back is False and d2.days_to_give_back == 120
    assert d3.bespoke_hours == 20 and d3.rate == 0.0 and d3.gave_back is None  # 22 days in
    assert result.rate == pytest.approx(180 / 250)
    assert (result.engagements_judged, result.engagements_gave_back) == (2, 1)
    assert result.give_back_share == 0.5
    assert result.unattributed_work == ["w5"]
    assert [r.deployment_id for r in result.deployments] == ["d2", "d1", "d3"]


def test_workspace_productization_and_status(ws: Workspace, tmp_path: Path) -> None:
    files = company()
    files["capabilities"] = [
        {
            "capability_id": "cap-login",
            "name": "Okta login",
            "description": "Single sign-on with Okta SAML",
            "team": "core",
            "effort_weeks": "2",
            "addresses": "sso-0",
            "shipped": "2026-03-01",
        }
    ]
    for name in ("deployments", "custom_work", "teams"):
        del files[name]
    import_bundle(write_bundle(tmp_path / "shipped", files), workspace=ws)
    result = workspace_productization(ws)
    assert result is not None and result.shipped == ["cap-login (2026-03-01)"]
    # builds every 30 days from 2026-01-05: w-0 (55 days before the ship date) and w-1
    # (25 days) became the capability; w-2 and w-3 came after it shipped
    given = {r.deployment_id: r for r in result.deployments if r.productized_work}
    assert set(given) == {"dep-acc-north", "dep-acc-globex"}
    assert given["dep-acc-north"].days_to_give_back == 55 and given["dep-acc-north"].rate == 1
    assert result.productized_hours == 40 + 50
    assert result.bespoke_hours == 40 + 50 + 60 + 70
    # the latest evidence is 2026-05-20: w-2 (75 days) and w-3 (45 days) are still in their
    # 90-day window, so those two deployments are not judged yet
    assert (result.engagements_judged, result.engagements_gave_back) == (2, 2)
    assert result.give_back_share == 1.0
    code = CliRunner().invoke(app, ["-w", str(ws.path), "status", "--json"])
    assert code.exit_code == 0, code.output
    assert json.loads(code.stdout)["productization"]["shipped"] == ["cap-login (2026-03-01)"]


# --- the commands -------------------------------------------------------------------------


def test_cli_decide_decisions_show_why_note_and_plan(ws: Workspace) -> None:
    runner = CliRunner(env={"COLUMNS": "200"})
    w = ["-w", str(ws.path)]
    result = runner.invoke(
        app,
        [
            *w,
            "decide",
            "cap-sso",
            "--choice",
            "refuse",
            "--why",
            "tenancy",
            "--by",
            "kim",
            "--trigger",
            "pattern.accounts >= 5",
            "--position",
            "fde=2:rebuilt four times",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Recorded D0001 on candidate cap-sso: refuse" in result.output
    listing = runner.invoke(app, [*w, "decisions", "--json"])
    assert json.loads(listing.stdout)["standing"][0]["dissent"] == ["fde"]
    shown = runner.invoke(app, [*w, "decisions", "show", "D0001"])
    assert "Position: fde +2 (dissent): rebuilt four times" in shown.output
    assert "trigger quiet: pattern.accounts >= 5 (pattern.accounts 4 -> 4)" in shown.output
    timeline = runner.invoke(app, [*w, "decisions", "--subject", "cap-sso"])
    assert "D0001 refuse by kim (standing): tenancy" in timeline.output
    why = runner.invoke(app, [*w, "why", "cap-sso"])
    assert "Decisions on cap-sso (1)" in why.output
    planned = runner.invoke(app, [*w, "plan"])
    assert planned.exit_code == 0, planned.output
    assert "refused by decision D0001" in planned.output
    note = runner.invoke(app, [*w, "decisions", "note", "cap-sso", "--account", "acc-north"])
    assert note.exit_code == 0 and "Northwind Bank" in note.output
    assert runner.invoke(app, [*w, "decisions", "show", "D0042"]).exit_code == 2


def test_cli_decide_asks_at_a_terminal_and_refuses_without_one(
    ws: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    w = ["-w", str(ws.path)]
    result = runner.invoke(app, [*w, "decide", "cap-sso", "--choice", "refuse"])
    assert result.exit_code == 2
    assert "--choice and --why are required" in result.output
    bad = runner.invoke(
        app, [*w, "decide", "cap-sso", "--choice", "x", "--why", "y", "--trigger", "open('f')"]
    )
    assert bad.exit_code == 2 and "open('f')" in bad.output
    monkeypatch.setattr("controltower.cli._interactive", lambda: True)
    asked = runner.invoke(
        app, [*w, "decide", "cap-sso", "--json"], input="defer\nafter Q2\npattern.accounts >= 9\n"
    )
    assert asked.exit_code == 0, asked.output
    decision = json.loads(asked.stdout.splitlines()[-1])
    assert (decision["choice"], decision["rationale"]) == ("defer", "after Q2")
    assert decision["triggers"] == ["pattern.accounts >= 9"]


def test_holding_back_a_request_whose_candidate_is_planned_says_it_binds_nothing(
    ws: Workspace, tmp_path: Path
) -> None:
    decision = decide(ws, "sso-2", "refuse", rationale="one customer's ask")
    status_by_id = {e: s for e, (s, _) in statuses(ws).items()}
    assert (status_by_id["cap-sso"], status_by_id["cap-admin"]) == ("now", "next")
    review = review_workspace(ws, roadmap_status=status_by_id)
    [state] = review.standing
    assert state.decision_id == decision and state.roadmap_status == "now"
    assert state.effect is not None
    assert state.effect.startswith(
        "does not bind the roadmap, which plans cap-sso (now), cap-admin (next) for this request"
    )
    # A request no candidate serves, or a decision that goes ahead, contradicts nothing.
    files = company()
    files["signals"] = [
        dict(files["signals"][0], signal_id="odd-1", account_id="acc-hooli", text="Invoice PDF")
    ]
    del files["deployments"], files["custom_work"], files["capabilities"], files["teams"]
    import_bundle(write_bundle(tmp_path / "odd", files), workspace=ws)
    ensure_synthesized(ws, embedder=HashingEmbedder())
    decide(ws, "odd-1", "refuse")
    decide(ws, "sso-2", "build", rationale="reopened", supersedes=decision)
    assert [s.effect for s in review_workspace(ws, roadmap_status=status_by_id).standing] == [
        None,
        None,
    ]


def test_planned_candidates_sharing_a_pattern_say_its_value_counts_in_both(
    ws: Workspace,
) -> None:
    after = statuses(ws)
    (sso_status, sso_reason), (admin_status, admin_reason) = after["cap-sso"], after["cap-admin"]
    assert (sso_status, admin_status) == ("now", "next")
    # Both address the one SSO pattern, so each one's value counts that need.
    assert "shares pattern(s) with cap-admin (P0001), also planned" in sso_reason
    assert "shares pattern(s) with cap-sso (P0001), also planned" in admin_reason
    decide(ws, "cap-admin", "refuse", rationale="not now")
    assert "shares pattern" not in statuses(ws)["cap-sso"][1]


def test_no_decisions_gives_no_false_synthesize_hint(ws: Workspace) -> None:
    result = CliRunner().invoke(app, ["-w", str(ws.path), "decisions"])
    assert result.exit_code == 0, result.output
    assert "until `tower synthesize` has run" not in result.output
