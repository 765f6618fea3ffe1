"""A real SMTP server (aiosmtpd) on 127.0.0.1 that records what it receives and refuses what it is told to."""

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.census.conftest import answer, in_days, invite, make_campaign  # noqa: F401  (fixtures)
from tests.conftest import Env
from tests.events.conftest import make_event  # noqa: F401  (fixture)


class Mailbox:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}  # address -> SMTP answer to RCPT TO

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        self.messages.append(msg)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def no_smtp(env: Env) -> None:
    env.set(smtp_host="")


@pytest.fixture
def smtp(env: Env) -> Iterator[Mailbox]:
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    env.set(smtp_host="127.0.0.1", smtp_port=str(port), smtp_starttls="false", mail_from="Jisr <jisr@example.org>")
    yield box
    controller.stop()


def parts(msg: EmailMessage) -> tuple[str, str]:
    """The plain-text and HTML bodies."""
    text = msg.get_body(preferencelist=("plain",))
    html = msg.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return str(text.get_content()), str(html.get_content())


__all__ = ["Mailbox", "answer", "in_days", "parts"]
