"""A browser without a browser: a ``requests`` session that reads HTML forms and submits them.

Used by ``scripts/scaleout_journey.py`` to walk the product's pages like a seller would: forms are
read from the page (hidden fields such as ``csrf_token`` included), filled in, and posted to their
``action`` (or the page's own URL), following redirects across the app and the sandbox's consent pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin

import requests


@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # hidden/text inputs, checked boxes, textareas
    choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # radio/checkbox: (value, label)
    buttons: list[tuple[str, str, str]] = field(default_factory=list)  # (name, value, text)


class _FormParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._label: list[str] | None = None  # text of the <label> being read
        self._pending: list[tuple[str, str]] = []  # choices waiting for their label text
        self._button: dict[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = Form(a.get("action", ""), a.get("method", "get").lower())
            self.forms.append(self._form)
        elif self._form is None:
            return
        elif tag == "label":
            self._label, self._pending = [], []
        elif tag == "input":
            kind, name = a.get("type", "text").lower(), a.get("name")
            if not name or "disabled" in a:
                return
            if kind in ("radio", "checkbox"):
                self._form.choices.setdefault(name, [])
                self._pending.append((name, a.get("value", "on")))
                if "checked" in a and kind == "radio":
                    self._form.fields[name] = a.get("value", "on")
            elif kind in ("submit", "button"):
                self._form.buttons.append((name, a.get("value", ""), a.get("value", "")))
            else:
                self._form.fields[name] = a.get("value", "")
        elif tag == "textarea" and a.get("name"):
            self._form.fields[a["name"]] = ""
        elif tag == "button":
            self._button = {"name": a.get("name", ""), "value": a.get("value", ""), "text": ""}

    def handle_data(self, data: str) -> None:
        if self._label is not None:
            self._label.append(data)
        if self._button is not None:
            self._button["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if self._form is None:
            return
        if tag == "label" and self._label is not None:
            text = " ".join("".join(self._label).split())
            for name, value in self._pending:
                self._form.choices[name].append((value, text))
            self._label, self._pending = None, []
        elif tag == "button" and self._button is not None:
            b = self._button
            self._form.buttons.append((b["name"], b["value"], " ".join(b["text"].split())))
            self._button = None
        elif tag == "form":
            self._form = None


class Browserless:
    """``requests.Session`` plus "the current page" and its forms."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.page: requests.Response | None = None

    def get(self, url: str, **params: str) -> requests.Response:
        self.page = self._check(self.http.get(urljoin(self.base_url, url), params=params or None, timeout=60))
        return self.page

    @property
    def html(self) -> str:
        assert self.page is not None
        return self.page.text

    @property
    def url(self) -> str:
        assert self.page is not None
        return self.page.url

    def forms(self) -> list[Form]:
        parser = _FormParser()
        parser.feed(self.html)
        return parser.forms

    def form(self, containing: str) -> Form:
        """The current page's first form with a button, field or choice label containing ``containing``."""
        for form in self.forms():
            texts = [t for _n, _v, t in form.buttons] + list(form.fields)
            texts += [label for options in form.choices.values() for _v, label in options]
            if any(containing in t for t in texts) or containing in form.action:
                return form
        raise AssertionError(f"no form with {containing!r} on {self.url}")

    def submit(self, form: Form, button: str | None = None, **values: str | list[str]) -> requests.Response:
        """Submit ``form`` with its own fields, ``values`` on top, pressing the button whose text starts
        with ``button`` (its name/value are sent, as a browser does)."""
        data: dict[str, str | list[str]] = {**form.fields, **values}
        if button is not None:
            for name, value, text in form.buttons:
                if text.startswith(button):
                    if name:
                        data[name] = value
                    break
            else:
                raise AssertionError(f"no button {button!r} in the form posting to {form.action}")
        target = urljoin(self.url, form.action) if form.action else self.url
        if form.method == "post":
            response = self.http.post(target, data=data, timeout=60)
        else:
            response = self.http.get(target, params=data, timeout=60)
        self.page = self._check(response)
        return self.page

    @staticmethod
    def _check(response: requests.Response) -> requests.Response:
        if response.status_code >= 400:
            raise AssertionError(f"{response.request.method} {response.url} answered {response.status_code}")
        return response
