"""Extract identifiers (links, handles, phone numbers, e-mail, wallets, payment accounts) from text.

Pure Python, no Django: `extract_entities(text)` is what the background task, the CLI and the
benchmarks call. See docs/decisions/entities-extraction.md for the rules.
"""

from hotline.entities.extract.context import entity_flags
from hotline.entities.extract.core import extract_entities
from hotline.entities.extract.entity import Entity, EntityType, Flag
from hotline.entities.extract.normalize import normalize, normalize_text

__all__ = [
    "Entity",
    "EntityType",
    "Flag",
    "entity_flags",
    "extract_entities",
    "normalize",
    "normalize_text",
]
