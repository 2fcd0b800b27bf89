"""Writes pii_names_multilingual.jsonl: support tickets written by us, names marked [[like this]].

Names in German, French, Spanish, Chinese, Russian and Irish spelling, in the positions customers put them
(introduction, greeting, sign-off, title), and tickets with no name at all, so precision is measured too.
Run: python tests/data/make_pii_names_set.py
"""

import json
import re
from pathlib import Path

TICKETS = [
    "Hallo,\nmein Name ist [[Jürgen Weiß]] und meine Bestellung ist nicht angekommen."
    "\nViele Grüße\n[[Jürgen Weiß]]",
    "Sehr geehrte Damen und Herren,\nbitte stornieren Sie mein Abo."
    "\nMit freundlichen Grüßen\n[[Annika von Stetten]]",
    "Guten Tag, hier spricht [[Herr]] [[Dieter Böhm]]. Die Rechnung ist doppelt.",
    "Ich heiße [[Lena Hofmann]], das Paket war beschädigt.",
    "Bonjour,\nje m'appelle [[Sinéad O'Connor]] et je n'ai pas reçu ma commande."
    "\nCordialement,\n[[Sinéad O'Connor]]",
    "Bonjour, c'est [[Mme]] [[Dubois]] : la taille ne convient pas, je voudrais un échange.",
    "Merci,\n[[Marie-Claire Lefèvre]]",
    "Bonjour, mon nom est [[Étienne de la Tour]], le code promo ne marche pas.",
    "Hola, me llamo [[José Luis Fernández]] y quiero devolver los zapatos.\nSaludos,\n[[José Luis]]",
    "Estimada [[Sra.]] [[García]]: gracias por la respuesta.",
    "Buenos días, soy [[Lucía Martín]]. El pedido llegó incompleto.\nUn saludo",
    "Atentamente,\n[[Carmen de la Fuente]]",
    "您好，我叫[[王小明]]，我的订单还没有到。",
    "请联系[[李]]先生，他负责这个账户。",
    "我的名字是[[张伟]]，请帮我退款。",
    "Здравствуйте, меня зовут [[Иван Петров]], заказ не пришёл.\nС уважением,\n[[Иван Петров]]",
    "Добрый день! Это [[Ольга Смирнова]], хочу вернуть товар.",
    "Спасибо,\n[[Дмитрий Соколов]]",
    "Hi, this is [[Siobhan O'Connor]], my parcel never arrived.",
    "Dear support,\nmy name is [[Patrick McCarthy]] and I was charged twice.\nThanks,\n[[Patrick]]",
    "Please ask [[Ms]] [[Nguyen]] to call me back about the refund.",
    "I'm [[Aisha al-Rashid]] and I can't log in.",
    "hi, my name is [[tom baker]], order never came",
    "Regards,\n[[Hans van der Berg]]",
    # no names: cues followed by words that are not names
    "Hi team, I'm sorry to bother you, the app crashes on start.",
    "Hallo, ich bin Kunde seit drei Jahren und die App stürzt ab.",
    "Bonjour, c'est urgent : le paiement a échoué.",
    "Hola, soy cliente nuevo y no encuentro la factura.",
    "Здравствуйте, заказ номер 5521 не пришёл.",
    "您好，我的订单还没有到，请帮忙查一下。",
    "Thanks,\nThe Order Team",
    "Dear Customer Service, where is my refund?",
    "This is urgent: my card was charged twice.",
    "Best regards",
]


def record(i: int, marked: str) -> dict[str, object]:
    text, spans, cursor = "", [], 0
    for m in re.finditer(r"\[\[(.+?)\]\]", marked):
        text += marked[cursor : m.start()]
        spans.append({"type": "PERSON", "start": len(text), "end": len(text) + len(m[1])})
        text += m[1]
        cursor = m.end()
    text += marked[cursor:]
    # A title is part of how a person is named but not the name: it is labelled TITLE, not PERSON.
    for s in spans:
        if text[s["start"] : s["end"]].rstrip(".") in {"Herr", "Mme", "Sra", "Ms"}:
            s["type"] = "TITLE"
    return {
        "id": f"names-{i:03d}",
        "source": "ticketflow",
        "channel": "email",
        "messages": [{"role": "customer", "text": text}],
        "labels": {"pii_spans": spans},
    }


if __name__ == "__main__":
    out = Path(__file__).with_name("pii_names_multilingual.jsonl")
    lines = [json.dumps(record(i, t), ensure_ascii=False) for i, t in enumerate(TICKETS)]
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
