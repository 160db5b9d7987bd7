"""A deterministic generator of realistic sample bundles (``tower sample``)."""

from controltower.sample.generator import (
    CONCERNS,
    TRUTH_DIR,
    SampleSummary,
    period_labels,
    write_sample_bundle,
)

__all__ = ["CONCERNS", "TRUTH_DIR", "SampleSummary", "period_labels", "write_sample_bundle"]
