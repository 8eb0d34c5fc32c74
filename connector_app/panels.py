"""Pages composed from several features, without a template reaching into another feature.

A page that shows other features' panels sends a signal from its view; each feature that has
something to show answers with a :class:`Panel` (its own template and the context it gathered).
The view renders the panels before the page, so every query a page runs happens in its view's call
stack and none in a template. A feature that is not installed simply does not answer.

- ``page_chrome(seller_id)``: sent by :func:`connector_app.templating.render_page` for every full
  page of a logged-in seller (the nav's sync indicator, the "needs reconnecting" banner).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from blinker import Namespace, Signal
from flask import render_template
from markupsafe import Markup

_signals = Namespace()

page_chrome = _signals.signal("page-chrome")


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict = field(default_factory=dict)
    slot: str = "main"  # where the page puts it (the page's template names its slots)
    order: int = 0

    def render(self) -> Markup:
        return Markup(render_template(self.template, **self.context))  # noqa: S704 - our own template


def _panels(answers: Iterable) -> list[Panel]:
    panels: list[Panel] = []
    for answer in answers:
        if answer is None:
            continue
        for item in answer if isinstance(answer, list) else [answer]:
            if isinstance(item, tuple):  # (template, context) is a panel in the main slot
                item = Panel(item[0], dict(item[1]))
            panels.append(item)
    return panels


def collect(signal: Signal, sender=None, **kwargs) -> dict[str, list[Markup]]:
    """Send ``signal`` and render every answer: ``{slot: [html, …]}`` in each slot's order."""
    panels = _panels(value for _receiver, value in signal.send(sender, **kwargs))
    slots: dict[str, list[Markup]] = {}
    for panel in sorted(panels, key=lambda p: p.order):
        slots.setdefault(panel.slot, []).append(panel.render())
    return slots
