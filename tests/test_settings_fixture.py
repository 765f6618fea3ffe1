"""The ``env`` fixture (tests/conftest.py) is the one place tests change settings: what a test changes does not
outlive it."""

import os

from jisr.core.config import get_settings
from tests.conftest import settings_restored


def test_a_change_is_read_at_once_and_undone_afterwards() -> None:
    before = get_settings().public_url
    assert "JISR_LOG_FORMAT" not in os.environ
    with settings_restored() as env:
        env.set(public_url="https://elsewhere.example.org")
        assert get_settings().public_url == "https://elsewhere.example.org"
        os.environ["JISR_LOG_FORMAT"] = "json"  # as `jisr serve` writes its choices into the environment
        env.unset("public_url")
        assert get_settings().public_url == "http://127.0.0.1:8000"  # the default
    assert get_settings().public_url == before
    assert "JISR_LOG_FORMAT" not in os.environ
    assert get_settings().log_format is None
