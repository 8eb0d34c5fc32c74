"""Fixtures shared by the whole suite (the Flask tutorial's app/client/auth trio, CSRF kept ON).

The suite runs on the embedded defaults (SQLite + embedded Redis) unless TEST_DATABASE_URL /
TEST_REDIS_URL point it at real servers. With pytest-xdist each worker gets its own database.
"""

pytest_plugins = ["tests.fixtures.app", "tests.fixtures.factories", "tests.fixtures.guards"]
