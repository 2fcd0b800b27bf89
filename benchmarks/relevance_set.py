"""Build ``tests/data/relevance.jsonl``: customer questions (written here, for this project) paired with an
on-topic and an off-topic reply made from the sample workspace's own articles and canned answers.

Run ``PYTHONPATH=src python -m benchmarks.relevance_set`` to rebuild it; the file is committed, so
``ticketflow eval tests/data/relevance.jsonl --workspace examples/store`` scores the relevance check
(``labels.relevant``) without this script. Deterministic: no randomness, the off-topic reply is the first
source (in a fixed rotation) whose intents share nothing with the question's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from ticketflow.knowledge.workspace.loader import load_workspace

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "tests" / "data" / "relevance.jsonl"

QUESTIONS: list[tuple[str, str]] = [
    ("track_order", "My parcel still says packed after three days, where exactly is it now?"),
    ("track_order", "Is there a tracking link for order NW-100871? I can't find it anywhere."),
    ("cancel_order", "I ordered the wrong colour of rug an hour ago, can I still call the order off?"),
    ("cancel_order", "how do i stop an order i placed this morning before it ships"),
    ("change_order", "Could I swap the size of the duvet in the order I placed yesterday?"),
    ("change_shipping_address", "I moved last week. Can the lamp I ordered go to my new flat instead?"),
    ("set_up_shipping_address", "How do I save a second delivery address for my office?"),
    ("create_account", "Do I need to register somewhere to see my past purchases?"),
    ("edit_account", "I got married and want my new surname on my profile, how do I change it?"),
    ("delete_account", "Please remove my customer profile and all my data, I no longer shop with you."),
    ("recover_password", "The sign-in page keeps rejecting me and I've lost my password, help."),
    ("registration_problems", "The confirmation email for my new account never showed up, what now?"),
    ("switch_account", "How do I move from the free plan to Northwind Plus?"),
    ("newsletter_subscription", "I keep getting your marketing emails, how do I stop them?"),
    ("check_payment_methods", "Can I split the payment for a sofa into instalments?"),
    ("payment_issue", "My card was charged twice for the same garden chairs, can you look at it?"),
    ("check_invoice", "The VAT number on my invoice is wrong, can it be corrected?"),
    ("get_invoice", "Where can I download a PDF invoice for my last order?"),
    ("get_refund", "The kettle arrived broken and I want my money back."),
    ("track_refund", "You confirmed my return ten days ago but the money isn't on my card yet."),
    ("check_refund_policy", "How many days do I have to send something back for a refund?"),
    ("delivery_options", "Can I pick my parcel up from a locker instead of home delivery?"),
    ("delivery_period", "If I order a tent today, when will it reach me in Lyon?"),
    ("check_cancellation_fee", "Will cancelling a packed order cost me anything?"),
    ("place_order", "Can I order as a guest without making an account?"),
    ("complaint", "Your courier left my parcel in the rain and nobody answered my emails. Not good enough."),
    ("review", "Where do I leave a review for the chair I bought?"),
    ("contact_customer_service", "What hours is your phone line open on Saturdays?"),
    ("contact_human_agent", "I would rather speak to a real person about this, can you arrange it?"),
    ("check_payment_methods", "Is paying with a gift card possible when the order also has a discount code?"),
    ("track_order", "The carrier's site says delivered but there is nothing at my door."),
    ("get_invoice", "My accountant needs an invoice with our company name, can I get one?"),
]

MULTI: list[tuple[tuple[str, str], tuple[str, str]]] = [
    (
        ("track_order", "Where is my order NW-100455?"),
        ("newsletter_subscription", "Also, how do I unsubscribe from your newsletter?"),
    ),
    (
        ("get_invoice", "Can I get an invoice for my last purchase?"),
        ("check_payment_methods", "And do you accept PayPal?"),
    ),
    (
        ("cancel_order", "Can I still cancel the order I placed this morning?"),
        ("delivery_options", "If not, is express delivery available for the replacement?"),
    ),
    (
        ("recover_password", "I forgot my password."),
        ("track_refund", "And when will my refund for the returned lamp arrive?"),
    ),
]

SIGN = "The Northwind team"
NOT_COVERED = "I'm afraid I can't help with your second question here; a colleague will follow up on it."


def _first_section(body: str, sentences: int = 3) -> str:
    """The first paragraph's opening sentences of an article, without its markdown."""
    text = re.sub(r"^#+ .*$", "", body, flags=re.MULTILINE)
    text = re.sub(r"[*_`]", "", text)
    blocks = (q.strip() for q in text.split("\n\n"))
    paragraph = next(p for p in blocks if p and not p.startswith(("-", "1.")))
    parts = re.split(r"(?<=[.!?])\s+", paragraph.replace("\n", " "))
    return " ".join(parts[:sentences])


def _reply(*bodies: str) -> str:
    return "Hi there,\n\n" + "\n\n".join(bodies) + f"\n\n{SIGN}"


def _sources(workspace_dir: Path) -> list[tuple[frozenset[str], str]]:
    """(intents, reply body) of every canned answer and article, in a fixed order."""
    ws = load_workspace(workspace_dir)
    sources = [
        (frozenset({intent}), answer.answer.replace(SIGN, "").strip())
        for intent, answer in sorted(ws.rules.canned.items())
    ]
    sources += [(frozenset(a.intents), _first_section(a.body)) for a in ws.articles if a.intents]
    return sources


def _on(sources: list[tuple[frozenset[str], str]], intent: str) -> str:
    return next(body for intents, body in sources if intent in intents)


def _off(sources: list[tuple[frozenset[str], str]], intent: str, turn: int) -> str:
    rotated = sources[turn % len(sources) :] + sources[: turn % len(sources)]
    return next(body for intents, body in rotated if intent not in intents and not intents & _near(intent))


def _near(intent: str) -> frozenset[str]:
    """Intents whose answers genuinely answer each other's questions (never used as off-topic)."""
    groups = [
        {"cancel_order", "check_cancellation_fee", "change_order"},
        {"delivery_options", "delivery_period", "track_order"},
        {"get_refund", "track_refund", "check_refund_policy", "complaint"},
        {"check_invoice", "get_invoice"},
        {"create_account", "registration_problems", "place_order"},
        {"contact_customer_service", "contact_human_agent", "complaint"},
        {"change_shipping_address", "set_up_shipping_address"},
        {"check_payment_methods", "payment_issue"},
        {"edit_account", "switch_account"},
    ]
    return frozenset(i for g in groups if intent in g for i in g)


def _record(rid: str, text: str, draft: str, relevant: bool, intent: str) -> dict[str, object]:
    return {
        "id": rid,
        "source": "relevance",
        "channel": "chat",
        "messages": [{"role": "customer", "text": text}],
        "draft": draft,
        "labels": {"relevant": relevant, "intent": intent},
    }


def build(workspace_dir: Path = ROOT / "examples" / "store") -> list[dict[str, object]]:
    """Every record of the set: each question on- and off-topic, then the two-question messages."""
    sources = _sources(workspace_dir)
    records = []
    for n, (intent, question) in enumerate(QUESTIONS, 1):
        records.append(_record(f"rel-{n:02d}-on", question, _reply(_on(sources, intent)), True, intent))
        records.append(_record(f"rel-{n:02d}-off", question, _reply(_off(sources, intent, n)), False, intent))
    for n, ((first, q1), (second, q2)) in enumerate(MULTI, 1):
        text = f"{q1} {q2}"
        both = _reply(_on(sources, first), _on(sources, second))
        one = _reply(_on(sources, first))
        said = _reply(_on(sources, first), NOT_COVERED)
        records.append(_record(f"rel-multi-{n}-both", text, both, True, first))
        records.append(_record(f"rel-multi-{n}-one", text, one, False, first))
        records.append(_record(f"rel-multi-{n}-said", text, said, True, first))
    return records


def main() -> None:
    records = build()
    OUT.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    print(f"{OUT.relative_to(ROOT)}: {len(records)} records")


if __name__ == "__main__":
    main()
