"""``ticketflow channels check``: each configured helpdesk's credentials tried against its fake on loopback,
its webhook URL and helpdesk-side settings printed, exit status 1 naming what to fix, and no secret shown."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ticketflow.channels.freshdesk.webhook import BODY_TEMPLATE
from ticketflow.cli import app
from ticketflow.testing.fake_freshdesk import FakeFreshdesk
from ticketflow.testing.fake_intercom import FakeIntercom
from ticketflow.testing.fake_zendesk import FakeZendesk
from ticketflow.testing.server import LoopbackServer, serve

runner = CliRunner()
PUBLIC = "https://tickets.acme.test"


@dataclass
class Desks:
    zendesk: FakeZendesk
    intercom: FakeIntercom
    freshdesk: FakeFreshdesk
    urls: dict[str, str]

    def secrets(self, *desks: str) -> dict[str, str]:
        """The secrets the channels of ``desks`` (default: all) read, by variable, as the fakes expect.

        Only those of configured desks: a desk's variable alone would configure that desk.
        """
        every = {
            "TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN": self.zendesk.api_token,
            "TICKETFLOW_CHANNELS__ZENDESK__WEBHOOK_SECRET": self.zendesk.signing_secret,
            "TICKETFLOW_CHANNELS__INTERCOM__ACCESS_TOKEN": self.intercom.token,
            "TICKETFLOW_CHANNELS__INTERCOM__WEBHOOK_SECRET": self.intercom.signing_key,
            "TICKETFLOW_CHANNELS__FRESHDESK__API_KEY": self.freshdesk.api_key,
            "TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET": "fd-shared-token-0123",
        }
        wanted = desks or ("zendesk", "intercom", "freshdesk")
        return {k: v for k, v in every.items() if k.split("__")[1].lower() in wanted}


@pytest.fixture
def desks() -> Iterator[Desks]:
    fakes = FakeZendesk(), FakeIntercom(), FakeFreshdesk()
    servers: list[LoopbackServer] = [serve(fake.app) for fake in fakes]
    try:
        yield Desks(*fakes, urls={f.name: s.url for f, s in zip(fakes, servers, strict=True)})
    finally:
        for server in servers:
            server.stop()


def workspace(
    tmp_path: Path, desks: Desks, *, only: tuple[str, ...] = ("zendesk", "intercom", "freshdesk")
) -> Path:
    sections = {
        "zendesk": f'[channels.zendesk]\nbase_url = "{desks.urls["zendesk"]}"\n'
        f'email = "{desks.zendesk.email}"\n',
        "intercom": f'[channels.intercom]\nbase_url = "{desks.urls["intercom"]}"\nadmin_id = "991267696"\n',
        "freshdesk": f'[channels.freshdesk]\nbase_url = "{desks.urls["freshdesk"]}"\n',
    }
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "ticketflow.toml").write_text("\n".join(sections[name] for name in only))
    return folder


def check(folder: Path, env: dict[str, str], *extra: str) -> tuple[int, str]:
    result = runner.invoke(app, ["channels", "check", "-w", str(folder), *extra], env=env)
    return result.exit_code, result.output


def test_every_configured_desk_is_checked_and_its_setup_printed(tmp_path: Path, desks: Desks) -> None:
    code, out = check(workspace(tmp_path, desks), desks.secrets(), "--public-url", PUBLIC + "/")
    assert code == 0, out
    assert out.count("credentials: ok") == 3
    assert f"(user {desks.zendesk.agent}, agent)" in out
    assert "admin Ticketflow" in out and "agent ticketflow <ticketflow@support.example.com>" in out
    for desk in ("zendesk", "intercom", "freshdesk"):
        assert f"webhook URL: {PUBLIC}/webhooks/{desk}" in out
    assert '"comment_id": "{{ticket.latest_comment.id}}",' in out  # the trigger body, line by line
    assert "conversation.user.created" in out and "conversation.user.replied" in out
    assert f"    {BODY_TEMPLATE}" in out  # the automation rule body, unwrapped
    assert "X-Ticketflow-Token: <TICKETFLOW_CHANNELS__FRESHDESK__WEBHOOK_SECRET>" in out
    assert not [secret for secret in desks.secrets().values() if secret in out]


def test_a_refused_credential_fails_naming_what_to_fix(tmp_path: Path, desks: Desks) -> None:
    env = {**desks.secrets(), "TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN": "a-wrong-token-value"}
    code, out = check(workspace(tmp_path, desks), env)
    assert code == 1
    assert (
        "credentials: FAILED: zendesk GET /api/v2/users/me.json answered 401: Couldn't authenticate you"
        in out
    )
    assert "TICKETFLOW_CHANNELS__ZENDESK__API_TOKEN" in out
    assert out.count("credentials: ok") == 2  # the others are still checked
    assert "1 check(s) failed: zendesk" in out
    assert "a-wrong-token-value" not in out and not [s for s in env.values() if s in out]


def test_a_missing_secret_fails_naming_its_variable(tmp_path: Path, desks: Desks) -> None:
    env = desks.secrets("zendesk", "intercom")
    del env["TICKETFLOW_CHANNELS__INTERCOM__ACCESS_TOKEN"]
    del env["TICKETFLOW_CHANNELS__ZENDESK__WEBHOOK_SECRET"]
    code, out = check(workspace(tmp_path, desks, only=("zendesk", "intercom")), env)
    assert code == 1
    assert "FAILED: no webhook signing secret: set TICKETFLOW_CHANNELS__ZENDESK__WEBHOOK_SECRET" in out
    assert "FAILED: the Intercom channel needs TICKETFLOW_CHANNELS__INTERCOM__ACCESS_TOKEN" in out
    assert "note: pass --public-url" in out and "<public URL of this server>/webhooks/intercom" in out


def test_an_agent_id_that_is_not_the_keys_owner_fails(tmp_path: Path, desks: Desks) -> None:
    folder = workspace(tmp_path, desks, only=("freshdesk",))
    toml = folder / "ticketflow.toml"
    toml.write_text(toml.read_text() + "agent_user_id = 1\n")
    code, out = check(folder, desks.secrets("freshdesk"))
    assert code == 1
    assert f"agent_user_id = 1, but the API key belongs to agent {desks.freshdesk.api_agent_id}" in out


def test_an_unreachable_desk_fails_saying_so(tmp_path: Path, desks: Desks) -> None:
    folder = workspace(tmp_path, desks, only=("intercom",))
    closed = serve(FakeIntercom().app)
    closed.stop()  # a port nothing listens on any more
    toml = folder / "ticketflow.toml"
    toml.write_text(toml.read_text().replace(desks.urls["intercom"], closed.url) + "max_retries = 0\n")
    code, out = check(folder, desks.secrets("intercom"))
    assert code == 1
    assert "credentials: FAILED: intercom GET /me: ConnectError" in out and "can be reached" in out


def test_no_configured_desk_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    code, out = check(folder, {})
    assert code == 1 and "no helpdesk is configured" in out
