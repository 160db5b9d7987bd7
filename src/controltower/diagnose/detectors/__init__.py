"""One detector per diagnostic code of PRODUCT.md, each a function of the inputs.

A detector returns its findings (empty when the roadmap is healthy on its metric), or
None when its input is missing and it could not check (high-touch-trap without an
economics simulation). docs/diagnostics.md gives every metric, formula and default.
"""

from __future__ import annotations

from collections.abc import Callable

from controltower.diagnose.detectors.chasing_requests import detect_chasing_requests
from controltower.diagnose.detectors.coordination_breakdown import detect_coordination_breakdown
from controltower.diagnose.detectors.current_customers_only import detect_current_customers_only
from controltower.diagnose.detectors.features_over_capabilities import (
    detect_features_over_capabilities,
)
from controltower.diagnose.detectors.high_touch_trap import detect_high_touch_trap
from controltower.diagnose.detectors.ignoring_field_feedback import detect_ignoring_field_feedback
from controltower.diagnose.detectors.premature_standardization import (
    detect_premature_standardization,
)
from controltower.diagnose.detectors.underestimated_constraints import (
    detect_underestimated_constraints,
)
from controltower.diagnose.inputs import DiagnosisInputs
from controltower.diagnose.models import DiagnosticCode, Finding
from controltower.settings import Settings

__all__ = ["DETECTORS", "Detector"]

Detector = Callable[[DiagnosisInputs, Settings], "list[Finding] | None"]

DETECTORS: dict[DiagnosticCode, Detector] = {
    "chasing-requests": detect_chasing_requests,
    "ignoring-field-feedback": detect_ignoring_field_feedback,
    "features-over-capabilities": detect_features_over_capabilities,
    "underestimated-constraints": detect_underestimated_constraints,
    "current-customers-only": detect_current_customers_only,
    "premature-standardization": detect_premature_standardization,
    "coordination-breakdown": detect_coordination_breakdown,
    "high-touch-trap": detect_high_touch_trap,
}
"""Every detector by code, in the order of ``CODES``."""
