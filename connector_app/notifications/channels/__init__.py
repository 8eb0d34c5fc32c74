"""Channels: where an alert goes besides the bell. Email today; a seller webhook or a chat message later.

A channel is one small class (see :class:`Channel`): its name and label, which kinds the seller wants
on it right away (``mode``), whether it can reach the seller at all (``unavailable``), how it renders
a batch of one seller's notifications of one kind, and a sender opened before anything is claimed
(an SMTP connection, an HTTP session). The exactly-once protocol around it (claim, hand off, record)
is ``notifications.delivery``'s and the same for every channel.

Adding one: write ``channels/<name>.py`` with a class like ``EmailChannel``, add it to ``_CHANNELS``,
and (if sellers choose it per kind) a column on the settings page.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Protocol


class Refused(Exception):
    """The channel refused the message for good (an invalid address, a permanent 5xx): never retried."""


@dataclass
class Outgoing:
    """What a channel sends for one batch: one seller, one kind, one or more notifications."""

    seller: object  # accounts.Seller
    kind: str
    notifications: list = field(default_factory=list)
    deliveries: list = field(default_factory=list)


class Sender(Protocol):
    def send(self, outgoing: Outgoing) -> str:
        """Hand ``outgoing`` to the channel; return its message id. Raises ``Refused`` for a permanent
        refusal, anything else for a failure worth retrying."""


class Channel(Protocol):
    name: str
    label: str

    def mode(self, prefs, kind: str) -> str:
        """``immediate``, ``digest`` or ``off``: how this seller wants ``kind`` on this channel."""

    def unavailable(self, seller, prefs, kind: str) -> str | None:
        """Why this channel cannot deliver ``kind`` to ``seller`` now (a sentence), or None."""

    def open(self) -> AbstractContextManager[Sender]:
        """The sender, connected before any delivery is claimed (and closed after the batch)."""


_CHANNELS: list[Channel] | None = None


def channels() -> list[Channel]:
    global _CHANNELS
    if _CHANNELS is None:
        from connector_app.notifications.channels.email import EmailChannel

        _CHANNELS = [EmailChannel()]
    return _CHANNELS


def channel_named(name: str) -> Channel | None:
    return next((c for c in channels() if c.name == name), None)
