"""Outbound SMTP with TLS and a login, against aiosmtpd on loopback with a certificate made for the test.

The sender trusts the system's certificate store (``ssl.create_default_context``); the test points that
store at its own certificate with ``SSL_CERT_FILE``, so the real verification path runs. Needs the
``openssl`` command to make the certificate; skipped with the reason when it is absent.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from ticketflow.channels.email.channel import EmailChannel
from ticketflow.channels.email.settings_model import EmailSettings
from ticketflow.channels.email.smtp_intake import PortZeroController
from ticketflow.domain.message import CustomerRef
from ticketflow.errors import DeliveryRefused
from ticketflow.ports.channel import Thread

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")

SUPPORT = "support@northwind.example"
USER, PASSWORD = "relay-user", "relay-secret"
ENV = {"TF_SMTP_USER": USER, "TF_SMTP_PASS": PASSWORD}
THREAD = Thread(
    customer=CustomerRef(email="ada@example.com"),
    conversation_ref="<m-1@example.com>",
    external_id="<m-1@example.com>",
    subject="Delivery",
)


@dataclass
class Relay:
    """What the server saw: each accepted message with the login and whether the session was encrypted."""

    port: int = 0
    taken: list[tuple[str | None, bool, bytes]] = field(default_factory=list)

    def authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        return AuthResult(success=ok, handled=False, auth_data=USER if ok else None)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        encrypted = server.transport is not None and server.transport.get_extra_info("ssl_object") is not None
        self.taken.append((session.auth_data, encrypted, raw))
        return "250 OK"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (valid one day) and its key."""
    where = tmp_path_factory.mktemp("tls")
    cert, key = where / "cert.pem", where / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def trusted(certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """The test's certificate is the one the default context trusts."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[0]))


def _start(relay: Relay, **smtp: Any) -> PortZeroController:
    controller = PortZeroController(
        relay,
        hostname="127.0.0.1",
        port=0,
        server_hostname="relay.test",
        ready_timeout=10.0,
        authenticator=relay.authenticate,
        auth_required=True,
        **smtp,
    )
    controller.start()
    relay.port = controller.port
    return controller


@pytest.fixture
def starttls(certificate: tuple[Path, Path]) -> Iterator[Relay]:
    """A submission server that demands STARTTLS before anything, and a login before mail."""
    relay = Relay()
    controller = _start(
        relay, tls_context=_server_context(certificate), require_starttls=True, auth_require_tls=True
    )
    yield relay
    controller.stop()


@pytest.fixture
def smtps(certificate: tuple[Path, Path]) -> Iterator[Relay]:
    """A server speaking TLS from the first byte (port 465 style), with a login before mail."""
    relay = Relay()
    # aiosmtpd offers AUTH "over TLS" only after STARTTLS: here the whole connection is TLS
    controller = _start(relay, ssl_context=_server_context(certificate), auth_require_tls=False)
    yield relay
    controller.stop()


def _channel(outbound: str, environ: dict[str, str] = ENV) -> EmailChannel:
    settings = EmailSettings(
        addresses=[SUPPORT],
        outbound=outbound,
        username_env="TF_SMTP_USER",
        password_env="TF_SMTP_PASS",
        timeout_seconds=5,
    )
    return EmailChannel.from_settings(settings, environ=environ)


@pytest.mark.usefixtures("trusted")
def test_a_reply_goes_out_over_starttls_with_the_login_from_the_environment(starttls: Relay) -> None:
    channel = _channel(f"smtp://127.0.0.1:{starttls.port}?starttls=1")
    receipt = channel.reply(THREAD, "It ships today.", idempotency_key="tls-1")
    [(login, encrypted, raw)] = starttls.taken
    assert (login, encrypted) == (USER, True)
    assert receipt.message_id.encode() in raw


@pytest.mark.usefixtures("trusted")
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_reply_goes_out_over_smtps(smtps: Relay) -> None:
    _channel(f"smtps://127.0.0.1:{smtps.port}").reply(THREAD, "It ships today.", idempotency_key="tls-2")
    [(login, encrypted, _)] = smtps.taken
    assert (login, encrypted) == (USER, True)


@pytest.mark.usefixtures("trusted")
def test_a_wrong_password_is_refused_for_review(starttls: Relay) -> None:
    channel = _channel(
        f"smtp://127.0.0.1:{starttls.port}?starttls=1", {**ENV, "TF_SMTP_PASS": "not the password"}
    )
    with pytest.raises(DeliveryRefused, match="535"):
        channel.reply(THREAD, "It ships today.", idempotency_key="tls-3")
    assert starttls.taken == []


@pytest.mark.usefixtures("trusted")
def test_a_plain_outbound_to_a_server_demanding_starttls_is_refused_for_review(starttls: Relay) -> None:
    # the server offers no AUTH before STARTTLS, so the login cannot happen: a configuration to fix
    with pytest.raises(DeliveryRefused, match=r"does not support SMTP AUTH.*check outbound"):
        _channel(f"smtp://127.0.0.1:{starttls.port}").reply(THREAD, "Hi", idempotency_key="tls-4")
    assert starttls.taken == []


def test_a_certificate_we_do_not_trust_is_refused_for_review(
    starttls: Relay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "no-roots.pem"
    empty.write_text("")
    monkeypatch.setenv("SSL_CERT_FILE", str(empty))
    monkeypatch.setenv("SSL_CERT_DIR", str(tmp_path))
    with pytest.raises(DeliveryRefused, match="certificate we do not trust"):
        _channel(f"smtp://127.0.0.1:{starttls.port}?starttls=1").reply(THREAD, "Hi", idempotency_key="tls-5")
    assert starttls.taken == []
