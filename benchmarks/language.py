"""Language detection latency and what it says on development text.

``PYTHONPATH=src python -m benchmarks.language`` times ``LinguaDetector.detect`` (the default candidate set,
ten languages) over Bitext's and the airline tweets' messages (read from ``../shared/datasets/``, skipped
when absent) and over short sentences of our own in six languages, and prints the languages it found.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

from ticketflow.evals.metrics import percentile
from ticketflow.knowledge.language import LinguaDetector
from ticketflow.settings import LanguageSettings

DATA = Path(__file__).resolve().parents[2] / "shared" / "datasets"
OURS = {
    "de": "Hallo, wo ist meine Bestellung? Ich warte schon seit zehn Tagen auf das Paket.",
    "fr": "Bonjour, je voudrais annuler ma commande passée hier soir, c'est possible ?",
    "es": "Hola, ¿cuánto tarda el envío a Madrid? Necesito la mesa antes del viernes.",
    "it": "Buongiorno, il mio ordine è arrivato danneggiato, come posso restituirlo?",
    "nl": "Hoi, kan ik mijn bestelling nog wijzigen? Ik wil een andere kleur kiezen.",
    "en": "Hi, can I still change the delivery address of the order I placed this morning?",
}


def _texts(path: Path, limit: int = 1000) -> list[str]:
    if not path.exists():
        return []
    lines = path.read_text(encoding="utf-8").splitlines()[:limit]
    return [json.loads(line)["messages"][0]["text"] for line in lines if line.strip()]


def main() -> None:
    settings = LanguageSettings()
    detector = LinguaDetector([*settings.served, *settings.candidates], accuracy=settings.accuracy)
    started = time.perf_counter()
    detector.detect("warm the models up")
    loaded = time.perf_counter() - started
    print(f"first call (loads {len(detector.languages)} language models): {loaded:.2f} s")
    for code, text in OURS.items():
        print(f"  {code}: detected {detector.detect(text)}")
    for name in ("bitext/dev.jsonl", "twitter-airline/dev.jsonl"):
        texts = _texts(DATA / name)
        if not texts:
            print(f"{name}: skipped (absent)")
            continue
        times, found = [], Counter()
        for text in texts:
            t0 = time.perf_counter()
            found[detector.detect(text)] += 1
            times.append((time.perf_counter() - t0) * 1000)
        print(
            f"{name}: n={len(texts)} p50={percentile(times, 50):.3f} ms p95={percentile(times, 95):.3f} ms "
            f"languages={dict(found.most_common())}"
        )


if __name__ == "__main__":
    main()
