"""The text policy: lexicons of public figures, minors, copyrighted works and brands, and the
engine that matches a text against them. Importable without Django."""

from .engine import CONTEXTS, PolicyEngine, check, default_engine
from .verdict import Category, Decision, Match, RuleHit, Verdict

__all__ = [
    "CONTEXTS",
    "Category",
    "Decision",
    "Match",
    "PolicyEngine",
    "RuleHit",
    "Verdict",
    "check",
    "default_engine",
]
