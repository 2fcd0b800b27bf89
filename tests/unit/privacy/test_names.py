"""Names after introduction, greeting, title and sign-off cues, in several languages (privacy/names.py)."""

import pytest

from ticketflow.domain.pii import PiiSpan
from ticketflow.privacy.names import cued_names, expand


def _names(text: str) -> list[str]:
    return [text[a:b] for a, b in cued_names(text)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hallo,\nich heiße Jürgen Weiß und warte auf mein Paket.", "Jürgen Weiß"),
        ("Mit freundlichen Grüßen\nHans van der Berg", "Hans van der Berg"),
        ("Bonjour, je m'appelle Sinéad O'Connor.", "Sinéad O'Connor"),
        ("Cordialement,\nMarie-Claire Dubois", "Marie-Claire Dubois"),
        ("Hola, me llamo José Luis Fernández.", "José Luis Fernández"),
        ("Estimada Sra. García,", "García"),
        ("С уважением,\nИван Петров", "Иван Петров"),
        ("您好，我叫王小明，订单没到", "王小明"),
        ("Hello, this is Mr. Dan Ray. Who is this?", "Dan Ray"),
        ("I'm Aisha al-Rashid and I cannot log in.", "Aisha al-Rashid"),
        ("hi, my name is tom baker", "tom baker"),
    ],
)
def test_a_name_after_a_cue_is_found(text: str, name: str) -> None:
    assert name in _names(text)


@pytest.mark.parametrize(
    "text",
    ["Hi Team, the app crashes.", "I'm sorry to bother you.", "This is urgent.", "Dear Customer Service,"],
)
def test_a_cue_followed_by_no_name_finds_nothing(text: str) -> None:
    assert _names(text) == []


def test_a_first_name_grows_over_its_surname() -> None:
    text = "Please ask Siobhan O'Connor to call."
    start = text.index("Siobhan")
    [span] = expand(text, [PiiSpan("PERSON", start, start + len("Siobhan"), 0.8)])
    assert text[span.start : span.end] == "Siobhan O'Connor"


def test_the_other_items_of_a_list_holding_a_name_are_names() -> None:
    text = "Invited were Anna, Jonas, Mehmet and Lea."
    start = text.index("Jonas")
    found = expand(text, [PiiSpan("PERSON", start, start + 5, 0.8)])
    assert sorted(text[s.start : s.end] for s in found) == ["Anna", "Jonas", "Lea", "Mehmet"]


def test_a_lower_case_phrase_in_cased_text_is_no_name() -> None:
    text = "Bonjour, je n'ai pas reçu ma commande."
    start = text.index("reçu")
    assert expand(text, [PiiSpan("PERSON", start, start + len("reçu ma commande"), 0.8)]) == []


def test_a_company_is_no_name() -> None:
    text = "I work for Junar Inc now."
    start = text.index("Junar")
    assert expand(text, [PiiSpan("PERSON", start, start + len("Junar Inc"), 0.8)]) == []
