"""XNLI: fine-tune an exported XLM-R folder on English NLI, test zero-shot on 15 languages, report.

`data` (readers), `config` (XnliConfig, SPEC_SCHEMA), `finetune` (classifier training),
`evaluate` (the protocol's steps and prediction files), `report` (tables, chart, JSON),
`published` (reference numbers)."""
