"""Every setting has a default and a help text, and the docs list them all."""

from __future__ import annotations

from pathlib import Path

import pytest

from controltower.errors import BundleError
from controltower.settings import Settings, iter_settings_help, parse_settings, settings_markdown

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_every_setting_has_help() -> None:
    for name, _default, text in iter_settings_help():
        assert len(text) > 20, name


def test_settings_doc_is_current() -> None:
    assert (DOCS / "settings.md").read_text(encoding="utf-8") == settings_markdown()


def test_round_trip_through_toml() -> None:
    settings = Settings()
    settings.planning.balance = 0.8
    settings.planning.periods = ["2027-Q1", "2027-Q2"]
    assert parse_settings(settings.to_toml()) == settings


def test_partial_file_takes_defaults() -> None:
    settings = parse_settings("[economics]\nfde_hourly_cost = 210\n")
    assert settings.economics.fde_hourly_cost == 210
    assert settings.planning == Settings().planning


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("[planning]\nbalance = 1.5\n", "planning.balance"),
        ("[economics]\nfde_hourly_costs = 1\n", "economics.fde_hourly_costs"),
        ("[planning\n", "-"),
        ("[planning]\nbalance = true\n", "planning.balance"),
        ("[economics]\nfde_hourly_cost = nan\n", "economics.fde_hourly_cost"),
        ("[economics]\nfde_hourly_cost = inf\n", "economics.fde_hourly_cost"),
        ("[planning]\nhorizon_periods = false\n", "planning.horizon_periods"),
        ("[planning]\nperiods = [true]\n", "planning.periods.0"),
        # values that crashed the Monte Carlo or overflowed the solver, or changed the plan
        # silently
        ("[value]\nseed = -1\n", "value.seed"),
        ("[synthesis]\nseed = -1\n", "synthesis.seed"),
        ("[economics]\nfde_hourly_cost = 1e308\n", "economics.fde_hourly_cost"),
        ("[value]\nreach_uplift = 1e300\n", "value.reach_uplift"),
        (
            "[value]\nfeasibility_success = {yes = 5.0, partial = 0.5, no = 0}\n",
            "value.feasibility_success",
        ),
        ("[value]\nfeasibility_success = {maybe = 0.5}\n", "value.feasibility_success"),
        ('[planning]\nperiods = ["2027-Q1", "2027-Q1"]\n', "planning.periods"),
        ('[planning]\nperiods = ["", "2027-Q1"]\n', "planning.periods"),
    ],
)
def test_bad_settings_name_the_key(text: str, column: str) -> None:
    with pytest.raises(BundleError) as caught:
        parse_settings(text)
    assert caught.value.problems[0].column == column
    assert caught.value.problems[0].file == "workspace.toml"


def test_whole_numbers_still_read_as_numbers() -> None:
    """Refusing true/false must not refuse integers where decimals are asked."""
    assert parse_settings("[planning]\nbalance = 1\n").planning.balance == 1.0
