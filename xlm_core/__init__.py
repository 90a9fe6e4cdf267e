"""xlm-pipeline core: every stage as plain Python, importable without Prefect."""

__version__ = "0.1.0"
