"""A small helpdesk export written here: three topics in varied words, with requesters' addresses in them."""

from __future__ import annotations

import csv
import io
import itertools

TOPICS = {
    "parcel": [
        "my parcel has not arrived yet, where is it",
        "the courier tracking page shows nothing for my parcel",
        "parcel still not delivered after a week, any news on the delivery",
        "where is my parcel? the delivery date has passed",
    ],
    "password": [
        "I cannot log in, the password reset email never comes",
        "forgot my password and the reset link has expired",
        "password reset does not work, locked out of my login",
        "please help me reset my password so I can log in",
    ],
    "invoice": [
        "I need a copy of the invoice for my last payment",
        "the invoice shows the wrong company name, please correct the invoice",
        "can you send the invoice as a PDF for my accounts",
        "invoice missing VAT number, need a corrected invoice",
    ],
}
PEOPLE = ["ana.silva@example.com", "ben.okafor@example.org", "chloe.martin@example.net"]


def export_rows(per_topic: int = 12) -> list[dict[str, str]]:
    """Zendesk-style rows: the same topic's phrasings with a few words around them, the requester's address
    written into some bodies."""
    rows = []
    number = itertools.count(1001)
    for topic, phrasings in TOPICS.items():
        for i in range(per_topic):
            email = PEOPLE[i % len(PEOPLE)]
            body = phrasings[i % len(phrasings)]
            if i % 3 == 0:
                body += f". You can reach me at {email} or +44 20 7946 0{i:03d}"
            elif i % 3 == 1:
                body = f"Hello, {body} (order {40000 + i})"
            rows.append(
                {
                    "Ticket ID": str(next(number)),
                    "Subject": "",
                    "Description": body,
                    "Requester email": email,
                    "Created at": f"2026-03-{1 + i:02d} 09:{i:02d}",
                    "Tags": f"{topic} web",
                    "Status": "solved",
                }
            )
    return rows


def to_csv(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    """The rows as a CSV export with a header."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), delimiter=delimiter, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()
