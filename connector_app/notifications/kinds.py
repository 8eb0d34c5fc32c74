"""What an alert is, independent of where it comes from and where it goes.

A :class:`Kind` is one thing a seller can be told (with its defaults: shown in the app or not, and
emailed right away, in the daily digest, or not at all); an :class:`Alert` is one occurrence a source
found, identified by (seller, kind, subject, deadline, stage) — the key that makes it happen once.
"""

from __future__ import annotations

from dataclasses import dataclass

IMMEDIATE, DIGEST, OFF = "immediate", "digest", "off"
EMAIL_MODES = {IMMEDIATE: "Email right away", DIGEST: "In the daily digest", OFF: "No email"}
DIGEST_KIND = "digest"


@dataclass(frozen=True)
class Kind:
    key: str
    label: str  # what the settings page and the notifications filter call it
    help: str  # one sentence: when it happens
    in_app: bool = True  # default: shown under the bell
    email: str = DIGEST  # default email mode
    group: str = "Returns"  # heading on the settings page


@dataclass(frozen=True)
class Alert:
    """One thing to tell one seller. ``link`` is a path in the app; ``deadline`` (unix s, 0 for none) and
    ``stage`` (a deadline alert's threshold in hours) complete the key."""

    seller_id: int
    kind: str
    subject_type: str
    subject_id: str
    title: str
    body: str = ""
    link: str = ""
    deadline: int = 0
    stage: int = 0

    @property
    def key(self) -> tuple:
        return (self.seller_id, self.kind, self.subject_type, self.subject_id, self.deadline, self.stage)


DIGEST_ONLY = Kind(
    DIGEST_KIND,
    "Daily digest",
    "Once a day at the time you choose: everything waiting for your answer, with its deadline, and what "
    "happened since the last digest.",
    in_app=False,
    email=IMMEDIATE,
    group="Digest",
)
