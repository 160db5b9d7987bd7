"""Pattern synthesis on small planted workspaces, with the shipped embedding model."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pytest

from conftest import write_bundle
from controltower.ingest.bundle import import_bundle
from controltower.synthesize.curate import (
    merge_patterns,
    pin_item,
    rename_pattern,
    split_pattern,
)
from controltower.synthesize.pipeline import synthesize
from controltower.synthesize.trend import assess_trend, assess_trends
from controltower.synthesize.view import get_pattern, list_patterns
from controltower.value import explain
from controltower.workspace import Workspace, init_workspace

TOPICS = {
    "sso": [
        "SSO login with Okta fails for new users",
        "We need single sign-on through Azure AD before rollout",
        "SAML SSO integration is blocking our go-live",
        "Users cannot log in via SSO after the identity provider change",
        "Please support Okta single sign-on for the whole company",
        "SSO setup with our identity provider keeps failing",
        "Employees want to sign in with their corporate SSO account",
        "Single sign-on is a hard requirement from their IT security team",
    ],
    "pii": [
        "Customer PII must be masked before it goes into prompts",
        "Redact personal information like emails and phone numbers before the LLM call",
        "They need a PII redaction layer in front of the model",
        "A social security number leaked into a prompt log",
        "Mask names and addresses in chat transcripts before model calls",
        "Need automatic removal of personal data from prompts",
        "Compliance asks that personal data never reaches the language model",
        "Please anonymise patient identifiers before sending text to the model",
    ],
    "latency": [
        "The agent takes thirty seconds to answer, far too slow",
        "Response latency of the assistant is unacceptable for call-centre staff",
        "Tool calls make the agent slow and users wait forever",
        "Answers are very slow during peak hours",
        "Latency spikes whenever the agent calls several tools in a row",
        "Speed of responses is the main complaint from agents on the floor",
        "Time to first token is over ten seconds on long questions",
        "The bot is too slow to reply in live chats",
    ],
}
ACCOUNTS = ["a1", "a2", "a3", "a4"]


def planted_files(start: date = date(2026, 1, 5)) -> dict[str, list[dict[str, str]]]:
    accounts = [
        {
            "account_id": a,
            "name": f"Account {a}",
            "segment": seg,
            "industry": ind,
            "tier": tier,
            "arr": arr,
        }
        for a, seg, ind, tier, arr in [
            ("a1", "enterprise", "banking", "1", "3000000"),
            ("a2", "mid-market", "healthcare", "2", "400000"),
            ("a3", "smb", "retail", "3", "60000"),
            ("a4", "mid-market", "insurance", "2", "500000"),
        ]
    ]
    signals = []
    number = 0
    for topic, texts in TOPICS.items():
        for k, text in enumerate(texts):
            number += 1
            signals.append(
                {
                    "signal_id": f"{topic}-{k}",
                    "date": str(start + timedelta(days=11 * number)),
                    "source": "fde-note",
                    "text": text,
                    "account_id": ACCOUNTS[k % 4],
                }
            )
    work = [
        {
            "work_id": "w-sso",
            "account_id": "a1",
            "date": "2026-03-01",
            "description": "Built a custom SAML bridge so their Okta SSO works with our app",
            "fde_hours": "80",
        },
        {
            "work_id": "w-pii",
            "account_id": "a2",
            "date": "2026-04-01",
            "description": "Wrote a regex layer that redacts personal data before prompts",
            "fde_hours": "40",
        },
    ]
    return {"accounts": accounts, "signals": signals, "custom_work": work}


@pytest.fixture
def planted(tmp_path: Path) -> Workspace:
    workspace = init_workspace(tmp_path / "ws")
    import_bundle(write_bundle(tmp_path / "bundle", planted_files()), workspace=workspace)
    return workspace


def pattern_of(workspace: Workspace) -> dict[str, str]:
    """Item id to pattern id."""
    result = {}
    for view in list_patterns(workspace):
        for item in [*view.signal_ids, *view.work_ids]:
            result[item] = view.id
    return result


def topic_patterns(workspace: Workspace) -> dict[str, str]:
    """Each topic's majority pattern."""
    members = pattern_of(workspace)
    return {
        topic: Counter(members.get(f"{topic}-{k}", "-") for k in range(len(texts))).most_common(1)[
            0
        ][0]
        for topic, texts in TOPICS.items()
    }


def test_planted_patterns_are_recovered(planted: Workspace) -> None:
    report = synthesize(planted)
    assert report.mode == "full"
    members = pattern_of(planted)
    topics = topic_patterns(planted)
    assert len(set(topics.values())) == 3 and "-" not in topics.values()
    for topic, pid in topics.items():
        hits = sum(members.get(f"{topic}-{k}") == pid for k in range(len(TOPICS[topic])))
        assert hits >= 6, (topic, hits)
    assert members.get("w-sso") == topics["sso"]
    sso = get_pattern(planted, topics["sso"])
    assert any("sso" in phrase for phrase in sso.key_phrases)
    assert sso.recurrence is not None and sso.recurrence.accounts == 4
    assert sso.recurrence.fde_hours == 80
    assert len(sso.representatives) == 3
    assert sso.reasons and sso.trend in {"emerging", "growing", "stable", "fading"}


def test_paraphrased_duplicates_merge_and_keep_their_ids(tmp_path: Path) -> None:
    files = planted_files()
    files["signals"] += [
        {
            "signal_id": "dup-1",
            "date": "2026-06-01",
            "source": "support-ticket",
            "text": "Our SSO login has been failing for every user since Monday",
            "account_id": "a3",
        },
        {
            "signal_id": "dup-2",
            "date": "2026-06-02",
            "source": "support-ticket",
            "text": "Since Monday, SSO login fails for all of our users",
            "account_id": "a3",
        },
        {
            "signal_id": "dup-3",
            "date": "2026-06-03",
            "source": "support-ticket",
            "text": "FW: Our SSO login has been failing for every user since Monday",
            "account_id": "a3",
        },
        {
            "signal_id": "other-account",
            "date": "2026-06-03",
            "source": "support-ticket",
            "text": "Our SSO login has been failing for every user since Monday",
            "account_id": "a4",
        },
    ]
    with init_workspace(tmp_path / "ws") as workspace:
        import_bundle(write_bundle(tmp_path / "b", files), workspace=workspace)
        synthesize(workspace)
        view = get_pattern(workspace, pattern_of(workspace)["dup-1"])
    assert {"dup-1", "dup-2", "dup-3", "other-account"} <= set(view.signal_ids)
    assert view.duplicates["signal:dup-2"] == "signal:dup-1"
    assert view.duplicates["signal:dup-3"] == "signal:dup-1"
    assert "signal:other-account" not in view.duplicates


def test_ids_survive_a_rebuild(planted: Workspace) -> None:
    synthesize(planted)
    before = topic_patterns(planted)
    report = synthesize(planted, rebuild=True)
    assert report.mode == "full" and report.embedded == 0
    assert topic_patterns(planted) == before


def test_a_new_copy_of_a_member_text_joins_that_members_pattern(
    planted: Workspace, tmp_path: Path
) -> None:
    """Identical texts cannot be told apart, so a copy follows the pattern of its original
    (also for members far from the centroid, which the centroid test would turn away)."""
    synthesize(planted)
    before = pattern_of(planted)
    files = planted_files()
    originals = {s["signal_id"]: s for s in files["signals"] if s["signal_id"] in before}
    files["signals"] = [
        dict(s, signal_id=f"copy-{sid}", account_id="a4" if s["account_id"] != "a4" else "a1")
        for sid, s in originals.items()
    ]
    import_bundle(write_bundle(tmp_path / "copies", files), workspace=planted)
    assert synthesize(planted).mode == "incremental"
    after = pattern_of(planted)
    assert {sid: after.get(f"copy-{sid}") for sid in originals} == {
        sid: before[sid] for sid in originals
    }


def test_new_signals_join_existing_patterns_incrementally(
    planted: Workspace, tmp_path: Path
) -> None:
    synthesize(planted)
    before = topic_patterns(planted)
    files = planted_files()
    files["signals"] = [
        {
            "signal_id": "new-sso",
            "date": "2026-12-20",
            "source": "sales-call",
            "text": "Prospect asks whether we support Okta SSO sign-in",
            "account_id": "a4",
        }
    ]
    import_bundle(write_bundle(tmp_path / "more", files), workspace=planted)
    report = synthesize(planted)
    assert report.mode == "incremental"
    assert report.new_items == 1 and report.embedded == 1
    assert topic_patterns(planted) == before
    assert pattern_of(planted)["new-sso"] == before["sso"]


def test_merge_rename_and_split_survive_reruns(planted: Workspace) -> None:
    synthesize(planted)
    topics = topic_patterns(planted)
    merge_patterns(planted, topics["sso"], topics["pii"])
    rename_pattern(planted, topics["sso"], "Identity and privacy")
    synthesize(planted, rebuild=True)
    members = pattern_of(planted)
    assert all(members[f"pii-{k}"] == topics["sso"] for k in range(8))
    assert get_pattern(planted, topics["sso"]).label == "Identity and privacy"
    merged = get_pattern(planted, topics["pii"])
    assert merged.status == "merged" and merged.recurrence is None and not merged.signal_ids
    # `tower why` on the merged id explains the pattern it lives in, and says so
    why = explain(planted, topics["pii"])
    assert why.id == topics["sso"]
    assert why.reasons[0] == (
        f"{topics['pii']} was merged into {topics['sso']}: this is {topics['sso']}'s breakdown"
    )

    kept, new = split_pattern(planted, topics["sso"], parts=2)
    assert kept == topics["sso"]
    split_members = pattern_of(planted)
    synthesize(planted, rebuild=True)
    again = pattern_of(planted)
    for item in split_members:
        if split_members[item] in {kept, new}:
            assert again[item] == split_members[item], item


def test_a_merge_into_a_smaller_pattern_survives_a_rebuild(planted: Workspace) -> None:
    """The one-to-one id match gave the target's id to the bigger merged-in cluster and a
    fresh id to the target's own members (no pin holds them): the merge came apart."""
    synthesize(planted)
    members = pattern_of(planted)
    sizes = Counter(members.values())
    (big, _), *_, (small, _) = sizes.most_common()
    own = [item for item, pid in members.items() if pid == small]
    absorbed = [item for item, pid in members.items() if pid == big]
    assert len(absorbed) > len(own) > 0
    merge_patterns(planted, small, big)
    synthesize(planted, rebuild=True)
    after = pattern_of(planted)
    assert {after[item] for item in [*own, *absorbed]} == {small}


def test_pin_moves_an_item_and_persists(planted: Workspace) -> None:
    synthesize(planted)
    topics = topic_patterns(planted)
    pin_item(planted, "signal:latency-0", topics["sso"])
    assert pattern_of(planted)["latency-0"] == topics["sso"]
    synthesize(planted, rebuild=True)
    assert pattern_of(planted)["latency-0"] == topics["sso"]


def days(start: date, offsets: list[int]) -> list[date]:
    return [start + timedelta(days=d) for d in offsets]


START, END = date(2026, 1, 1), date(2026, 12, 31)


@pytest.mark.parametrize(
    ("offsets", "trend"),
    [
        (list(range(0, 364, 14)), "stable"),  # every two weeks all year
        ([340, 345, 350, 352, 355, 358, 360, 362], "emerging"),  # only in the last weeks
        ([20, 100, 200, 320, 330, 335, 340, 345, 350, 352, 355, 358, 360, 362], "growing"),
        (list(range(0, 200, 7)), "fading"),  # weekly, then silence for five months
        ([200], "stable"),  # one report says nothing
        ([362, 363], "emerging"),  # two in the window, none before: p = (56/365)^2 < 0.05
        ([363], "stable"),  # one is not enough: p = 56/365 > 0.05
        # one stray old item (a misfiled text) does not hide a new need: 1 of 13 is old
        ([20, *range(310, 364, 5)], "emerging"),
    ],
)
def test_trend_rule_on_constructed_series(offsets: list[int], trend: str) -> None:
    result = assess_trend(
        days(START, offsets), observed_from=START, as_of=END, window_days=56, alpha=0.05
    )
    assert result.trend == trend, result.reason


def test_trends_of_a_workspace_keep_the_false_discoveries_rare() -> None:
    rng = random.Random(5)
    trendless = [days(START, [rng.randrange(365) for _ in range(30)]) for _ in range(200)]
    rising = days(START, [340, 345, 350, 352, 355, 358, 360, 362])
    kwargs = {"observed_from": START, "as_of": END, "window_days": 56, "alpha": 0.05}
    alone = [assess_trend(d, **kwargs).trend for d in trendless]  # type: ignore[arg-type]
    together = assess_trends([*trendless, rising], **kwargs)  # type: ignore[arg-type]
    # Tested one by one, about one trendless pattern in ten gets a trend; tested together
    # (false discovery rate at alpha), almost none, while the real rise still shows.
    assert sum(t != "stable" for t in alone) >= 10
    assert sum(t.trend != "stable" for t in together[:-1]) <= 2
    assert together[-1].trend == "emerging"


def test_trend_needs_history_to_compare() -> None:
    result = assess_trend(
        days(START, [0, 1, 2]),
        observed_from=START,
        as_of=START + timedelta(days=30),
        window_days=56,
        alpha=0.05,
    )
    assert result.trend == "stable"
    assert "no history" in result.reason


def test_cli_synthesize_and_patterns(planted: Workspace) -> None:
    import json

    from typer.testing import CliRunner

    from controltower.cli import app

    runner = CliRunner()
    ws = str(planted.path)
    result = runner.invoke(app, ["-w", ws, "synthesize"])
    assert result.exit_code == 0, result.output
    assert "Synthesis run 1 (full)" in result.stdout
    listed = json.loads(runner.invoke(app, ["-w", ws, "patterns", "--json"]).stdout)
    assert len(listed) >= 3
    first = listed[0]
    for field in (
        "id",
        "label",
        "key_phrases",
        "signal_ids",
        "work_ids",
        "account_ids",
        "recurrence",
        "trend",
        "reasons",
    ):
        assert field in first
    shown = runner.invoke(app, ["-w", ws, "patterns", "show", first["id"]])
    assert shown.exit_code == 0 and first["label"] in shown.stdout
    renamed = runner.invoke(app, ["-w", ws, "patterns", "rename", first["id"], "Mine"])
    assert renamed.exit_code == 0
    assert get_pattern(planted, first["id"]).label == "Mine"
    assert get_pattern(planted, first["id"]).label_source == "manual"
    missing = runner.invoke(app, ["-w", ws, "patterns", "show", "P9999"])
    assert missing.exit_code == 2
    same = runner.invoke(app, ["-w", ws, "patterns", "merge", first["id"], first["id"]])
    assert same.exit_code == 2
    second = listed[1]["id"]
    assert runner.invoke(app, ["-w", ws, "patterns", "merge", first["id"], second]).exit_code == 0
    every = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["-w", ws, "patterns", "--all"])
    row = next(line for line in every.stdout.splitlines() if f" {second} " in line)
    assert f"merged into {first['id']}" in row


def test_key_phrases_in_any_script_and_never_from_links() -> None:
    from controltower.synthesize.labels import class_tfidf_phrases

    french, japanese, links = class_tfidf_phrases(
        [
            ["Les données clients sont exportées", "Export des données clients échoue"],
            ["検索が遅いです", "検索結果が遅い"],
            ["see https://example.com/abc", "www.example.org/x or ops@example.com", "12345"],
        ]
    )
    assert "données" in french and not any("donn " in p or p == "donn" for p in french)
    assert "検索" in japanese
    assert links == []


def test_a_cluster_of_builds_alone_joins_the_requests_it_answers() -> None:
    """Build descriptions are phrased alike and unlike the requests for the same need: a
    cluster of builds alone joins the request cluster it is clearly closest to (closer
    than two request clusters ever are), and one close to nothing stays apart."""
    from controltower.synthesize.pipeline import join_builds

    rng = np.random.default_rng(3)
    dim = 32
    centres = rng.normal(size=(6, dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)

    def rows(centre: np.ndarray, count: int) -> list[np.ndarray]:
        found = [centre + 0.2 * rng.normal(size=dim) / np.sqrt(dim) for _ in range(count)]
        return [r / np.linalg.norm(r) for r in found]

    near = centres[0] + 0.5 * centres[5]  # builds for request cluster 0, phrased otherwise
    vectors = np.array(
        [r for c in range(5) for r in rows(centres[c], 6)]
        + rows(near / np.linalg.norm(near), 4)
        + rows(centres[5], 4),  # builds for a need nobody asked for in writing
        dtype=np.float32,
    )
    labels = np.array([c for c in range(5) for _ in range(6)] + [5] * 4 + [6] * 4)
    is_work = np.array([False] * 30 + [True] * 8)
    joined = join_builds(labels, vectors, is_work)
    assert (joined[30:34] == 0).all()
    assert (joined[34:] == 6).all() and (joined[:30] == labels[:30]).all()
