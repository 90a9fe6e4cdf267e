"""Entry point of one training rank: `python -m xlm_core.train.run --config run.json`."""

from __future__ import annotations

import argparse
import logging
import sys

from torch.distributed.elastic.multiprocessing.errors import record

from xlm_core.train.config import load_run_config


@record  # torchrun prints the failing rank's traceback in its summary
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m xlm_core.train.run")
    parser.add_argument("--config", required=True, help="run.json (model, train, data, output_dir)")
    args = parser.parse_args(argv)
    from xlm_core.train.trainer import TrainingDiverged, train

    try:
        train(load_run_config(args.config))
    except (TrainingDiverged, ValueError) as exc:
        # Expected failures: one clear line (rank 0 is the one that is shown), a distinct exit code.
        logging.getLogger("xlm_core.train").error("%s: %s", type(exc).__name__, exc)
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 3
    finally:
        import torch.distributed as dist

        if dist.is_available() and dist.is_initialized():
            dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
