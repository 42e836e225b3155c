"""The text policy: lexicons of public figures, minors, copyrighted works and brands, and the
engine that matches a text against them. Importable without Django."""

# `normalise` is exported as `text_normalise`: under its own name, `from moderation.policy
# import normalise` reads as an import of the module moderation.policy.normalise.
from .engine import CONTEXTS, PolicyEngine, check, default_engine
from .normalise import normalise as text_normalise
from .normalise import split_words
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
    "split_words",
    "text_normalise",
]
