from collections import Counter

from xlm_core.document import Document
from xlm_core.langid import LangIdConfig, LanguageIdentifier, identify

TEXTS = {
    "en": "The committee published its annual report on water quality in the northern rivers last week.",
    "de": "Die Bundesregierung hat am Mittwoch einen neuen Gesetzentwurf zur Energiepolitik vorgelegt.",
    "ru": "Правительство представило новый законопроект об энергетической политике в среду вечером.",
    "zh": "政府在星期三提出了一项关于能源政策的新法案，预计将在下个月进行表决。",
    "el": "Η κυβέρνηση παρουσίασε την Τετάρτη ένα νέο νομοσχέδιο για την ενεργειακή πολιτική.",
}


def web(text, i=0):
    return Document(id=str(i), text=text, source="commoncrawl", source_file="f")


def test_bundled_model_predicts_languages():
    lid = LanguageIdentifier(LangIdConfig())
    preds = lid.predict(list(TEXTS.values()) + ["", "   \n "])
    assert [p[0] for p in preds[:5]] == list(TEXTS)
    assert all(0.5 < p[1] <= 1.0 for p in preds[:5])
    assert preds[5:] == [("", 0.0), ("", 0.0)]


def test_routing_keeps_wanted_languages_and_counts_drops():
    lid = LanguageIdentifier(LangIdConfig(threshold=0.5, per_language={"ru": 1.01}))
    docs = [web(t, i) for i, t in enumerate(TEXTS.values())]
    stats = Counter()
    kept = list(identify(docs, lid, frozenset({"en", "de", "ru", "el"}), stats))
    assert [d.language for d in kept] == ["en", "de", "el"]
    assert stats == Counter({"read": 5, "kept": 3, "dropped.lang_not_wanted": 1, "dropped.lang_low_score": 1})


def test_wikipedia_keeps_dump_language_and_records_agreement():
    lid = LanguageIdentifier(LangIdConfig())
    doc = Document(id="1", text=TEXTS["de"], source="wikipedia", source_file="f", language="de")
    wrong = Document(id="2", text=TEXTS["en"], source="wikipedia", source_file="f", language="de")
    kept = list(identify([doc, wrong], lid, frozenset({"de"}), Counter()))
    assert [d.language for d in kept] == ["de", "de"]
    assert kept[0].lang_score > 0.5 and kept[1].lang_score == 0.0
