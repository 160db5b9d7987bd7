"""Control Tower: a decision engine for the AI product manager."""

__version__ = "0.1.0"
