"""The XNLI protocol end to end: check inputs, fine-tune on English, test zero-shot, save predictions.

Steps pass paths, not data (a Prefect task per step): `check_inputs` -> `run_finetune` (writes
`training.json` and `best_model/`) -> `run_test` (writes `predictions/test/<lang>.tsv`) ->
`report.build_report`. `run_xnli` chains them for use without Prefect.

Prediction files hold `pair_id, gold_label, predicted_label` per pair, so every accuracy in the
report can be recomputed from them independently.

Fine-tuning and testing are resumable steps of the run folder (`<out>/_done/finetune.json`,
`<out>/_done/test.json`, see `xlm_core.steps`), keyed by `inputs_key`.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import logging
import os
import random

from xlm_core import io as xio
from xlm_core.steps import StepMarkers, run_step
from xlm_core.xnli.config import XnliConfig
from xlm_core.xnli.data import LABELS, NliPair, read_training_file, read_xnli, split_dev_for_training
from xlm_core.xnli.finetune import (
    check_model_folder,
    encode,
    finetune,
    load_classifier,
    load_tokenizer,
    predict,
    torch_threads,
)

log = logging.getLogger(__name__)

PAPER_TRAIN_KINDS = ("multinli", "xnli-mt")
PREDICTION_COLUMNS = ("pair_id", "gold_label", "predicted_label")


@dataclasses.dataclass(frozen=True, slots=True)
class TrainingData:
    pairs: list[NliPair]
    selection: dict[str, list[NliPair]]
    description: dict
    """Sources, counts and whether this is the paper's protocol (MultiNLI only), for the report."""


def _cap(sets: dict[str, list[NliPair]], limit: int | None) -> dict[str, list[NliPair]]:
    return {lang: pairs[:limit] if limit else pairs for lang, pairs in sets.items()}


def _require(uri: str, field: str) -> str:
    if not xio.exists(uri):
        raise FileNotFoundError(f"spec field xnli.{field}: {uri} does not exist")
    return uri


def load_training_data(config: XnliConfig) -> TrainingData:
    files = [read_training_file(_require(uri, "train")) for uri in config.train]
    dev = read_xnli(_require(config.dev, "dev"), config.languages)
    from_dev, dev = split_dev_for_training(dev, config.dev_for_training, config.train_language)
    pairs = [p for f in files for p in f.pairs] + from_dev
    available = len(pairs)
    if config.max_train is not None and config.max_train < len(pairs):
        pairs = random.Random(config.seed).sample(pairs, config.max_train)
    dev = _cap(dev, config.max_eval)
    if config.selection == "en":
        selection = {config.train_language: dev[config.train_language]}
    else:
        selection = {lang: rows for lang, rows in dev.items() if rows}
        for lang in sorted(set(dev) - set(selection)):
            log.warning("no %s dev pairs left after xnli.dev_for_training; not used for selection", lang)
    kinds = sorted({f.kind for f in files} | ({"xnli-dev"} if from_dev else set()))
    sources = [{"uri": f.uri, "kind": f.kind, "pairs": len(f.pairs), "skipped": f.skipped} for f in files]
    if from_dev:
        sources.append({"uri": config.dev, "kind": "xnli-dev", "pairs": len(from_dev), "skipped": 0})
    description = {
        "sources": sources,
        "kinds": kinds,
        "pairs_available": available,
        "pairs_used": len(pairs),
        "paper_protocol": all(k in PAPER_TRAIN_KINDS for k in kinds),
        "selection": config.selection,
        "selection_pairs": {lang: len(rows) for lang, rows in selection.items()},
    }
    return TrainingData(pairs=pairs, selection=selection, description=description)


def load_test_data(config: XnliConfig) -> dict[str, list[NliPair]]:
    return _cap(read_xnli(_require(config.test, "test"), config.languages), config.max_eval)


def check_inputs(model_path: str, out_dir: str, config: XnliConfig) -> dict:
    """Everything that can fail before hours of compute: model folder, tokenizer, data files,
    languages, labels, output location. Returns a small summary."""
    folder = check_model_folder(model_path, config.max_length)
    load_tokenizer(model_path, folder.vocab_size)
    xio.check_writable(out_dir)
    test = load_test_data(config)
    data = load_training_data(config)
    return {
        "model": model_path,
        "train_pairs": len(data.pairs),
        "selection_pairs": data.description["selection_pairs"],
        "test_pairs": {lang: len(rows) for lang, rows in test.items()},
    }


# Fields that change speed, not results: a change in them alone reuses finished work.
_SPEED_ONLY = ("threads", "eval_batch_size")


def inputs_key(model_path: str, config: XnliConfig) -> str:
    """sha256 over the config (speed-only fields aside), the model folder's files and the data
    files: equal keys mean a finished step would compute the same thing again."""
    h = hashlib.sha256()
    settings = {k: v for k, v in _config_json(config).items() if k not in _SPEED_ONLY}
    h.update(xio.canonical_json(settings))
    for name in sorted(os.listdir(model_path)):
        if os.path.isfile(os.path.join(model_path, name)):
            h.update(f"{name}:{xio.sha256_file(os.path.join(model_path, name))[0]}".encode())
    for uri in (config.dev, config.test, *config.train):
        h.update(f"{uri}:{xio.sha256_file(uri)[0]}".encode())
    return h.hexdigest()


def run_finetune(model_path: str, out_dir: str, config: XnliConfig) -> dict:
    """Fine-tune and write `<out>/best_model/` and `<out>/training.json`; returns their paths.
    A run folder already holding this result for the same inputs is reused, not recomputed."""
    best_model = xio.join(out_dir, "best_model")
    done, reused = run_step(
        StepMarkers(out_dir),
        "finetune",
        _finetune,
        model_path,
        out_dir,
        config,
        key=inputs_key(model_path, config),
        intact=lambda _: xio.exists(xio.join(best_model, "config.json")),
    )
    if reused:
        log.info("%s: fine-tuning already done for these inputs, reusing it", out_dir)
    return {"best_model": best_model, "training": xio.join(out_dir, "training.json"), "best_epoch": done["best_epoch"]}


def _finetune(model_path: str, out_dir: str, config: XnliConfig) -> dict:
    data = load_training_data(config)
    log.info("fine-tuning %s on %d pairs (%s)", model_path, len(data.pairs), ", ".join(data.description["kinds"]))
    result = finetune(model_path, out_dir, data.pairs, data.selection, config)
    training = {
        "model": model_path,
        "config": _config_json(config),
        "data": data.description,
        "best_epoch": result.best_epoch,
        "best_selection_score": result.best_score,
        "history": result.history,
    }
    xio.write_json(xio.join(out_dir, "training.json"), training)
    return {"best_epoch": result.best_epoch}


def run_test(best_model: str, out_dir: str, config: XnliConfig) -> str:
    """Predict every test pair of every language with the selected model; returns the folder of
    prediction files (skipped when they exist for the same model, config and data)."""
    pred_dir = xio.join(out_dir, "predictions", "test")
    _, reused = run_step(
        StepMarkers(out_dir), "test", _test, best_model, pred_dir, config, key=inputs_key(best_model, config)
    )
    if reused:
        log.info("%s: test predictions already done for these inputs, reusing them", pred_dir)
    return pred_dir


def _test(best_model: str, pred_dir: str, config: XnliConfig) -> dict:
    folder = check_model_folder(best_model, config.max_length)
    tokenizer = load_tokenizer(best_model, folder.vocab_size)
    model = load_classifier(best_model)
    with torch_threads(config.threads):
        for lang, pairs in load_test_data(config).items():
            ids = encode(tokenizer, pairs, config.max_length)
            preds = predict(model, ids, tokenizer.pad_token_id, config.eval_batch_size)
            write_predictions(xio.join(pred_dir, f"{lang}.tsv"), pairs, preds)
    return {"languages": list(config.languages)}


def write_predictions(uri: str, pairs: list[NliPair], preds: list[int]) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t", quoting=csv.QUOTE_NONE, lineterminator="\n")
    writer.writerow(PREDICTION_COLUMNS)
    for pair, pred in zip(pairs, preds, strict=True):
        writer.writerow((pair.pair_id, LABELS[pair.label], LABELS[pred]))
    xio.write_bytes(uri, buf.getvalue().encode())


def read_predictions(uri: str) -> list[tuple[str, str, str]]:
    """(pair_id, gold_label, predicted_label) rows of one prediction file."""
    fs, path = xio.fs_and_path(uri)
    with fs.open(path, "rt", encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader)
        if tuple(header) != PREDICTION_COLUMNS:
            raise ValueError(f"{uri}:1: expected columns {PREDICTION_COLUMNS}, found {header}")
        return [tuple(row) for row in reader if row]


def _config_json(config: XnliConfig) -> dict:
    values = {f.name: getattr(config, f.name) for f in dataclasses.fields(config)}
    return {name: list(v) if isinstance(v, tuple) else v for name, v in values.items()}


def run_xnli(model_path: str, out_dir: str, config: XnliConfig) -> dict:
    """The whole protocol without Prefect; returns the report's file paths and summary."""
    from xlm_core.xnli.report import build_report

    check_inputs(model_path, out_dir, config)
    tuned = run_finetune(model_path, out_dir, config)
    run_test(tuned["best_model"], out_dir, config)
    return build_report(out_dir, config.languages)
