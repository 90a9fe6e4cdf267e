"""Runs the build flow in a fresh process against $PREFECT_API_URL and prints one `RESULT {json}`
line per build. The ops tests drive flows this way, as a worker would: Prefect's per-process
clients and event workers then never mix this server with the session's other test server."""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor


def build(spec: str, cache: bool) -> dict:
    import flows.build_dataset as bd

    # the flow always caches across runs (flows/caching.py); `cache` only says the test counts on it
    state = bd.build_dataset(spec, runner="threads", workers=2, return_state=True)
    result = state.result(raise_on_failure=False) if state.is_completed() else None
    return {"spec": spec, "flow_run_id": str(state.state_details.flow_run_id), "state": state.type.value,
            "result": result}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("specs", nargs="+")
    p.add_argument("--cache", action="store_true", help="the build's tasks with flows/caching.py's cross-run cache")
    p.add_argument("--concurrent", action="store_true", help="all specs at once, one thread each")
    args = p.parse_args()
    if args.concurrent:
        with ThreadPoolExecutor(max_workers=len(args.specs)) as pool:
            results = list(pool.map(lambda s: build(s, args.cache), args.specs))
    else:
        results = [build(s, args.cache) for s in args.specs]
    for r in results:
        print("RESULT " + json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
