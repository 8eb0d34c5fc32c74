from __future__ import annotations

import pytest
import responses

from tests.fixtures.request_thread import no_marketplace_call_on_a_web_request  # noqa: F401 (autouse)


@pytest.fixture
def mocked():
    """Every outside HTTP call is answered by a stub (an unstubbed call fails the test)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps
