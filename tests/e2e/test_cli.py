"""The ``ticketflow`` command end to end, on a workspace scaffolded by ``ticketflow init``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ticketflow.cli import app
from ticketflow.settings import Settings

runner = CliRunner()

DEMO_KEYS = {
    "tickets",
    "outcomes",
    "automation_rate",
    "escalation_rate",
    "escalations_by_reason",
    "rule_answers",
    "model_calls",
    "validation_failures_by_check",
    "input_tokens",
    "projected_cost_per_ticket_usd",
    "stage_latency_ms",
    "ledger_path",
}


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("TICKETFLOW_DATABASE_URL", "TICKETFLOW_SYSTEM_DATABASE_URL", "TICKETFLOW_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)
    target = tmp_path / "acme"
    result = runner.invoke(app, ["init", str(target)])
    assert result.exit_code == 0, result.output
    return target


def test_init_scaffolds_a_commented_workspace(workspace: Path) -> None:
    for name in (
        "ticketflow.toml",
        "voice.md",
        "rules.yaml",
        "intents.yaml",
        "customers.csv",
        "examples.jsonl",
    ):
        assert (workspace / name).exists(), name
    assert (workspace / "ticketflow.toml").read_text().startswith("#")
    again = runner.invoke(app, ["init", str(workspace)])
    assert again.exit_code == 2 and "not empty" in again.output


def test_init_blank_starts_a_company_on_its_own_documents(tmp_path: Path) -> None:
    # a new company's path in the README: a blank workspace, its own articles, then `ask`
    target = tmp_path / "velo"
    made = runner.invoke(app, ["init", str(target), "--blank", "--name", "Velo Bikes"])
    assert made.exit_code == 0, made.output
    for sample_only in ("examples.jsonl", "intents.yaml", "customers.csv", "orders.csv"):
        assert not (target / sample_only).exists(), sample_only
    assert list((target / "kb").glob("*.md")) == [] and list((target / "policies").glob("*.md")) == []
    assert 'name = "Velo Bikes"' in (target / "ticketflow.toml").read_text()
    assert (
        "Velo Bikes" in (target / "voice.md").read_text()
        and "Example Co" not in (target / "voice.md").read_text()
    )
    (target / "kb" / "warranty.md").write_text(
        "# Frame warranty\n\nEvery frame has a lifetime warranty against manufacturing defects. Wear parts "
        "such as tyres and chains are not covered.\n"
    )
    asked = runner.invoke(app, ["ask", "Is my frame covered by a warranty?", "-w", str(target), "--json"])
    assert asked.exit_code == 0, asked.output
    answer = json.loads(asked.stdout)
    assert answer["delivery"]["outcome"] == "sent", answer["delivery"]
    assert "lifetime warranty" in answer["delivery"]["body"] and "Velo Bikes" in answer["delivery"]["body"]
    # the sample's canned password answer is not carried over: nothing is answered from the sample shop
    password = runner.invoke(app, ["ask", "how do I reset my password", "-w", str(target), "--json"])
    assert json.loads(password.stdout)["delivery"]["outcome"] != "sent"
    # the hard triggers still escalate with no labelled ticket at all
    refund = runner.invoke(app, ["ask", "I want my money back", "-w", str(target), "--json"])
    assert json.loads(refund.stdout)["delivery"]["reason"] == "refund"


def test_a_blank_workspace_answers_from_the_policy_that_fits_and_says_welcome_to_thanks(
    tmp_path: Path,
) -> None:
    # the README's question: the chain-care article shares "chain", the warranty policy answers it
    target = tmp_path / "velo"
    assert runner.invoke(app, ["init", str(target), "--blank", "--name", "Velo Bikes"]).exit_code == 0
    (target / "kb" / "chain-care.md").write_text(
        "# Looking after your chain\n\nClean and lube your chain every 300 km. A chain stretched beyond\n"
        "0.75% should be replaced; our shops measure chain wear for free.\n"
    )
    (target / "kb" / "delivery.md").write_text(
        "# Delivery times\n\nBikes ship within 3 working days. Delivery takes 2 to 4 working days.\n"
    )
    (target / "policies" / "warranty.md").write_text(  # hard-wrapped, as people write Markdown
        "# Warranty\n\nFrames carry a lifetime warranty against manufacturing defects. Wear parts\n"
        "(chains, tyres, brake pads) and crash damage are not\ncovered.\n"
    )

    def ask(text: str) -> dict[str, Any]:
        asked = runner.invoke(app, ["ask", text, "-w", str(target), "--json"])
        assert asked.exit_code == 0, asked.output
        return dict(json.loads(asked.stdout))

    covered = ask("Is a snapped chain covered by the warranty?")
    assert covered["delivery"]["outcome"] == "sent", covered["checks"]
    assert (
        "Wear parts (chains, tyres, brake pads) and crash damage are not covered."
        in covered["delivery"]["body"]
    )
    body = covered["delivery"]["body"]
    assert "lube" not in body or body.index("Wear parts") < body.index("lube")  # the answer comes first
    care = ask("How often should I lube my chain?")
    assert "every 300 km" in care["delivery"]["body"] and "warranty" not in care["delivery"]["body"]
    thanks = ask("thanks so much, that's sorted!")
    assert thanks["delivery"]["outcome"] == "declined" and thanks["decision"]["rule_id"] == "decline:thanks"


def test_init_refuses_an_empty_name(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path / "x"), "--name", " "])
    assert result.exit_code == 2 and "--name" in result.output


def test_a_new_workspace_caps_its_daily_spend(workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # on by default: a new workspace that meets a flood of tickets stops paying at the cap
    monkeypatch.delenv("TICKETFLOW_ANTHROPIC__DAILY_BUDGET_USD", raising=False)
    cap = Settings.load(workspace).anthropic.daily_budget_usd
    assert cap is not None and cap > 0


def test_demo_reports_every_ticket_as_json_with_a_ledger(workspace: Path) -> None:
    result = runner.invoke(app, ["demo", "--workspace", str(workspace), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert set(report) >= DEMO_KEYS
    examples = (workspace / "examples.jsonl").read_text().splitlines()
    assert report["tickets"] == len(examples)
    assert sum(report["outcomes"].values()) == len(examples)
    assert set(report["projected_cost_per_ticket_usd"]) >= {"claude-sonnet-5-5", "claude-sonnet-4-5"}
    assert set(report["projected_cost_per_drafted_ticket_usd"]) == set(
        report["projected_cost_per_ticket_usd"]
    )
    # 25 examples are too few to fold: the report says its routing figures are optimistic, not earned
    assert "optimistic" in report["routing_trained_on"] and report["held_out_routing"] is None
    ledger = Path(report["ledger_path"]).read_text().splitlines()
    assert len(ledger) == len(examples)
    line = json.loads(ledger[0])
    assert {"decision", "outcome", "checks", "tokens", "projected_cost_usd", "stage_ms"} <= set(line)
    assert report["rule_answers"] >= 1, "the scaffold's password question has a canned answer"
    verified = report["verified_resolution"]  # measured from the demo's store: nobody has written back
    assert verified["sent"] == report["outcomes"]["sent"] == verified["pending"]
    assert verified["resolved"] == verified["reopened"] == 0 and verified["verified_resolution_rate"] is None


def test_demo_renders_tables_for_people(workspace: Path) -> None:
    result = runner.invoke(app, ["demo", "--workspace", str(workspace)])
    assert result.exit_code == 0, result.output
    for heading in ("Outcomes", "Verified resolution", "Escalations by reason", "Stage latency", "ledger"):
        assert heading in result.stdout


def test_train_stores_models_under_var(workspace: Path) -> None:
    result = runner.invoke(app, ["train", "--workspace", str(workspace), str(workspace / "examples.jsonl")])
    assert result.exit_code == 0, result.output
    assert (workspace / "var" / "models" / "intent.joblib").exists()


def test_eval_reports_the_documented_shape(workspace: Path) -> None:
    file = workspace / "examples.jsonl"
    result = runner.invoke(app, ["eval", str(file), "--workspace", str(workspace), "--cv", "5", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == len(file.read_text().splitlines())
    assert set(report["intent"]) == {"accuracy", "macro_f1"}
    assert set(report["route"]) == {"accuracy", "confusion"}
    assert {"precision", "recall", "by_reason"} <= set(report["escalation"])
    assert set(report["tokens"]) == {"input_p50", "input_p95"}
    assert "routing" in report["latency_ms"]


def test_a_malformed_eval_file_names_the_line(workspace: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "customer", "text": "hi"}]}\n{"messages": [\n')
    result = runner.invoke(app, ["eval", str(bad), "--workspace", str(workspace)])
    assert result.exit_code == 2
    assert "bad.jsonl:2" in result.output


def test_a_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["demo", "--workspace", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "does not exist" in result.output


def test_ask_explains_one_message_without_storing_or_sending_it(workspace: Path) -> None:
    refund = runner.invoke(
        app, ["ask", "I want a refund for my order, it arrived broken", "-w", str(workspace), "--json"]
    )
    assert refund.exit_code == 0, refund.output
    explained = json.loads(refund.stdout)
    assert explained["decision"]["route"] == "escalate" and explained["delivery"]["outcome"] == "escalated"
    assert explained["decision"]["triggers"], "the reasons for escalating are shown"
    assert explained["draft"] is None and explained["checks"] == []
    stored = [p for p in workspace.rglob("*") if p.suffix in {".db", ".sqlite", ".sqlite3"}]
    assert stored == [], "ask stores nothing"

    shown = runner.invoke(app, ["ask", "Could you send me a copy of my invoice?", "-w", str(workspace)])
    assert shown.exit_code == 0, shown.output
    assert "decision" in shown.stdout and "outcome" in shown.stdout and "cost $" in shown.stdout


def test_ask_shows_the_prompt_as_the_model_is_given_it_with_personal_data_masked(workspace: Path) -> None:
    text = "Could you send me a copy of my invoice? My card is 4242 4242 4242 4242, phone (415) 555-0134."
    asked = runner.invoke(app, ["ask", text, "-w", str(workspace), "--json"])
    assert asked.exit_code == 0, asked.output
    explained = json.loads(asked.stdout)
    assert explained["draft"] is not None, explained["delivery"]
    prompt = explained["context"]["prompt"]
    assert "<CREDIT_CARD_1>" in prompt and "<PHONE_NUMBER_1>" in prompt
    assert "4242" not in prompt and "555-0134" not in prompt
    assert "4242" not in json.dumps(explained["context"]), "the context shown holds no raw card number"

    shown = runner.invoke(app, ["ask", text, "-w", str(workspace)])
    assert "masked before the model: <CREDIT_CARD_1>" in shown.stdout


def test_ask_refuses_an_empty_message(workspace: Path) -> None:
    result = runner.invoke(app, ["ask", "   ", "-w", str(workspace)])
    assert result.exit_code == 2 and "empty" in result.output


def test_train_reports_what_it_measured(workspace: Path) -> None:
    examples = workspace / "examples.jsonl"
    result = runner.invoke(app, ["train", str(examples), "-w", str(workspace), "--json"])
    assert result.exit_code == 0, result.output
    measured = json.loads(result.stdout)["intent"]
    assert measured["examples"] > 0 and measured["labels"] >= 2
    assert {"accuracy", "unsure_threshold", "automated_share", "per_label", "weak", "warnings"} <= set(
        measured
    )
    trade = measured["escalation"]  # the store's rules.yaml escalates five intents
    assert trade["escalating"] > 0 and trade["risk_mass"] == 0.25
    assert trade["missed_mass"] <= trade["missed_top"] and trade["needless_mass"] >= trade["needless_top"]
    shown = runner.invoke(app, ["train", str(examples), "-w", str(workspace)])
    assert shown.exit_code == 0 and "intent model" in shown.stdout and "risk_mass 0.25" in shown.stdout


def test_a_workspace_without_labelled_tickets_answers_from_its_articles(workspace: Path) -> None:
    (workspace / "examples.jsonl").unlink()
    (workspace / "intents.yaml").unlink()

    def ask(text: str) -> dict[str, Any]:
        result = runner.invoke(app, ["ask", text, "-w", str(workspace), "--json"])
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)  # type: ignore[no-any-return]

    question = ask("How long does delivery take?")
    assert question["decision"]["route"] == "auto" and question["decision"]["intent"] is None
    assert question["context"]["passages"], "retrieval-first: the articles are searched with no intent"
    assert question["context"]["policies"], "a policy is chosen by content when no intent names one"
    refund = ask("I want a refund for the broken chair")
    assert refund["delivery"] == {**refund["delivery"], "outcome": "escalated", "reason": "refund"}
    stranger = ask("I want a refund for my order, and I forgot my password")
    assert stranger["decision"]["route"] == "escalate", "the hard triggers still fire first"
