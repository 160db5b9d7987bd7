"""The import contract as data: which files a bundle may hold and how each is checked."""

from __future__ import annotations

from dataclasses import dataclass, field

from controltower.domain import (
    Account,
    Capability,
    CustomWork,
    Deployment,
    Guardrail,
    ModelConstraint,
    Row,
    Signal,
    Stance,
    TeamCapacity,
    Theme,
    Usage,
)


@dataclass(frozen=True)
class Reference:
    """A column whose value(s) must name a row of another file.

    Attributes:
        column: The referring column.
        target: The entity (file stem) that must hold the id.
        only_if_target_known: Check only when the workspace or bundle has rows of the
            target at all (a capability's team is checked once teams.csv is known).
    """

    column: str
    target: str
    only_if_target_known: bool = False


@dataclass(frozen=True)
class FileSpec:
    """How one file of a bundle is read, checked and stored.

    Attributes:
        entity: The entity name, which is also the file stem and the table name.
        model: The row model that validates one row.
        key: Columns whose values identify a row (unique within the file).
        references: Columns that must name rows of other entities.
        required_file: Whether every bundle must contain this file.
    """

    entity: str
    model: type[Row]
    key: tuple[str, ...]
    references: tuple[Reference, ...] = field(default_factory=tuple)
    required_file: bool = False

    @property
    def filename(self) -> str:
        """The CSV file name in a bundle."""
        return f"{self.entity}.csv"

    @property
    def columns(self) -> tuple[str, ...]:
        """Contract columns in order: required first, then optional."""
        return tuple(name for name in self.model.model_fields if name != "attributes")

    @property
    def required_columns(self) -> tuple[str, ...]:
        """Columns that must be present in the header and non-empty in every row."""
        return tuple(name for name in self.columns if self.model.model_fields[name].is_required())


SPECS: tuple[FileSpec, ...] = (
    FileSpec("accounts", Account, ("account_id",), required_file=True),
    FileSpec("themes", Theme, ("theme",)),
    FileSpec("teams", TeamCapacity, ("team", "period")),
    FileSpec(
        "capabilities",
        Capability,
        ("capability_id",),
        (
            Reference("team", "teams", only_if_target_known=True),
            Reference("themes", "themes", only_if_target_known=True),
            Reference("depends_on", "capabilities"),
            Reference("excludes", "capabilities"),
        ),
    ),
    FileSpec(
        "guardrails", Guardrail, ("guardrail_id",), (Reference("applies_to", "capabilities"),)
    ),
    FileSpec(
        "model_constraints",
        ModelConstraint,
        ("capability_id", "requirement"),
        (Reference("capability_id", "capabilities"),),
    ),
    FileSpec("deployments", Deployment, ("deployment_id",), (Reference("account_id", "accounts"),)),
    FileSpec(
        "signals",
        Signal,
        ("signal_id",),
        (Reference("account_id", "accounts"), Reference("deployment_id", "deployments")),
        required_file=True,
    ),
    FileSpec(
        "custom_work",
        CustomWork,
        ("work_id",),
        (Reference("account_id", "accounts"), Reference("deployment_id", "deployments")),
    ),
    FileSpec(
        "stances",
        Stance,
        ("role", "capability_id", "author"),
        (Reference("capability_id", "capabilities"),),
    ),
    FileSpec(
        "usage",
        Usage,
        ("date", "account_id", "capability_id", "metric"),
        (Reference("account_id", "accounts"), Reference("capability_id", "capabilities")),
    ),
)
"""Every importable file, in the order a bundle is imported (targets before referrers)."""

SPEC_BY_ENTITY: dict[str, FileSpec] = {spec.entity: spec for spec in SPECS}

IGNORED_FILES: frozenset[str] = frozenset({"roadmap.csv"})
"""Files a bundle may carry that are not imported (``roadmap.csv`` is a roadmap to audit)."""

SETTINGS_FILE = "workspace.toml"
