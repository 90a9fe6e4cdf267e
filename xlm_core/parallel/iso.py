"""ISO 639-3 (as parallel corpora name languages: ara, cmn, swh, ...) -> the codes the dataset
uses (lid.176 labels: ISO 639-1 where one exists, else the 639-3 code)."""

from __future__ import annotations

# Individual languages and macrolanguage members mapped onto the code lid.176 predicts for them
# (cmn -> zh, swh -> sw, pes -> fa, zsm -> ms, lvs -> lv, ekk -> et, nob -> no, arb -> ar).
ISO3_TO_DATASET = {
    "afr": "af", "amh": "am", "ara": "ar", "arb": "ar", "aze": "az", "bel": "be", "ben": "bn", "bos": "bs",
    "bre": "br", "bul": "bg", "cat": "ca", "ces": "cs", "cmn": "zh", "zho": "zh", "cor": "kw", "cym": "cy",
    "dan": "da", "deu": "de", "ell": "el", "eng": "en", "epo": "eo", "est": "et", "ekk": "et", "eus": "eu",
    "fao": "fo", "fas": "fa", "pes": "fa", "fin": "fi", "fra": "fr", "fry": "fy", "gla": "gd", "gle": "ga",
    "glg": "gl", "heb": "he", "hin": "hi", "hrv": "hr", "hun": "hu", "hye": "hy", "ido": "io", "ile": "ie",
    "ina": "ia", "ind": "id", "isl": "is", "ita": "it", "jav": "jv", "jpn": "ja", "kat": "ka", "kaz": "kk",
    "khm": "km", "kor": "ko", "kur": "ku", "lat": "la", "lav": "lv", "lvs": "lv", "lit": "lt", "mal": "ml",
    "mar": "mr", "mkd": "mk", "mon": "mn", "msa": "ms", "zsm": "ms", "nld": "nl", "nno": "nn", "nob": "no",
    "nor": "no", "oci": "oc", "pol": "pl", "por": "pt", "ron": "ro", "rus": "ru", "slk": "sk", "slv": "sl",
    "spa": "es", "sqi": "sq", "srp": "sr", "swa": "sw", "swh": "sw", "swe": "sv", "tam": "ta", "tat": "tt",
    "tel": "te", "tgl": "tl", "tha": "th", "tuk": "tk", "tur": "tr", "uig": "ug", "ukr": "uk", "urd": "ur",
    "uzb": "uz", "uzn": "uz", "vie": "vi", "xho": "xh", "yid": "yi", "yor": "yo", "zul": "zu",
}


def to_iso1(code: str) -> str:
    """Dataset code of a language given as ISO 639-3 or already as the dataset's code.
    Unknown 3-letter codes pass through unchanged (lid.176 uses them too: ast, ceb, yue, ...)."""
    code = code.strip().lower()
    return ISO3_TO_DATASET.get(code, code)
