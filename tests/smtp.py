"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives and can be stopped."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


class _Collector:
    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refused: set[str] = set()
        self.lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        """Answer 550 for the addresses the test marked as refused, as a real server does for a
        mailbox that does not exist."""
        with self.lock:
            refused = address.lower() in self.refused
        if refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"


class SMTPServer:
    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.collector = _Collector()
        self.controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self.controller is not None

    def start(self, *, smtputf8: bool = True) -> None:
        """Start on the fixed port; right after a stop the port can take a moment to be free.
        `smtputf8=False` makes a server that does not take non-ASCII addresses, as many do not."""
        for attempt in range(50):
            controller = Controller(
                self.collector, hostname=self.host, port=self.port, enable_SMTPUTF8=smtputf8
            )
            try:
                controller.start()
            except (OSError, RuntimeError):
                if attempt == 49:
                    raise
                time.sleep(0.1)
                continue
            self.controller = controller
            return

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def clear(self) -> None:
        with self.collector.lock:
            self.collector.messages.clear()
            self.collector.refused.clear()

    def refuse(self, address: str) -> None:
        """From now on, answer `550 User unknown` to RCPT TO:<address>."""
        with self.collector.lock:
            self.collector.refused.add(address.lower())

    @property
    def messages(self) -> list[EmailMessage]:
        with self.collector.lock:
            return list(self.collector.messages)

    def wait_for(self, to: str, timeout: float = 20, subject_contains: str = "") -> EmailMessage:
        """The first message to `to` (whose subject holds `subject_contains`, when given)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for message in self.messages:
                if to in str(message["To"]) and subject_contains.lower() in str(message["Subject"]).lower():
                    return message
            time.sleep(0.1)
        raise AssertionError(f"no email to {to} within {timeout} s")
