"""Form helpers shared by the features' forms."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms import SelectChoice


def choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """``SelectField``/``RadioField`` choices from ``(value, label)`` pairs (tuples are deprecated)."""
    return [SelectChoice(value, label) for value, label in pairs]


def choice_labels(field) -> dict:
    """``{value: label}`` of a field's choices."""
    return {choice.value: choice.label for choice in field.choices}
