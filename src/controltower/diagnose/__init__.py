"""Diagnose stage: the PM failure modes on a roadmap, the FDE economics and adoption.

:func:`diagnose` runs one detector per diagnostic code of PRODUCT.md over a roadmap (the
optimizer's, or a hand-made one read by
:func:`controltower.diagnose.roadmap_file.load_roadmap_file`) and returns the findings
worst first; :func:`load_diagnosis_inputs` reads what the detectors need from a
workspace. docs/diagnostics.md documents every metric, threshold and remedy.
"""

from __future__ import annotations

import logging

from controltower.diagnose.detectors import DETECTORS
from controltower.diagnose.inputs import DiagnosisInputs, PlannedItem, load_diagnosis_inputs
from controltower.diagnose.models import (
    CODES,
    SEVERITY_RANK,
    Diagnosis,
    DiagnosticCode,
    Finding,
)
from controltower.settings import Settings

__all__ = [
    "DiagnosisInputs",
    "PlannedItem",
    "diagnose",
    "distance",
    "load_diagnosis_inputs",
]

log = logging.getLogger(__name__)


def distance(finding: Finding) -> float:
    """How far past its threshold a finding's metric is, relative to the threshold.

    ``|value - threshold| / |threshold|`` (the absolute gap when the threshold is 0), so
    that a share at twice its threshold outranks one just past it.
    """
    gap = abs(finding.value - finding.threshold)
    return gap / abs(finding.threshold) if finding.threshold else gap


def _worst_first(finding: Finding) -> tuple[int, float, int, str]:
    return (
        SEVERITY_RANK[finding.severity],
        -distance(finding),
        CODES.index(finding.code),
        ",".join(finding.subjects),
    )


def diagnose(
    inputs: DiagnosisInputs, settings: Settings, *, roadmap_source: str = "plan"
) -> Diagnosis:
    """Run every detector on a roadmap.

    Args:
        inputs: The roadmap and what the detectors read (:func:`load_diagnosis_inputs`).
        settings: Settings whose ``diagnostics`` section holds the thresholds.
        roadmap_source: ``plan``, or the path of the audited roadmap CSV.

    Returns:
        The findings, worst first (severity, then distance past the threshold), and the
        codes whose detector ran (high-touch-trap only with an economics simulation).
    """
    findings: list[Finding] = []
    checked: list[DiagnosticCode] = []
    for code, detector in DETECTORS.items():
        found = detector(inputs, settings)
        if found is None:
            log.info("diagnose: %s not checked (its input is missing)", code)
            continue
        checked.append(code)
        findings.extend(found)
    findings.sort(key=_worst_first)
    log.info("diagnose: %d finding(s) from %d check(s)", len(findings), len(checked))
    return Diagnosis(roadmap_source=roadmap_source, findings=findings, checked=checked)
