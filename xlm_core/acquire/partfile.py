"""The `.part` file a download grows into, and which remote version its bytes came from."""

from __future__ import annotations

import json
import os
from typing import BinaryIO


class PartFile:
    """`{dest}.part` plus `{dest}.part.json` holding the source URI and its validator (HTTP ETag
    or Last-Modified, S3 ETag). Resuming appends to the part only when the remote still has the
    same validator, so a file replaced on the mirror is never stitched onto an old prefix."""

    def __init__(self, dest: str) -> None:
        self.path = dest + ".part"
        self.meta_path = dest + ".part.json"

    def size(self) -> int:
        try:
            return os.path.getsize(self.path)
        except FileNotFoundError:
            return 0

    def validator(self, uri: str) -> str | None:
        """Validator recorded for `uri`, or None when the part came from elsewhere or has none."""
        try:
            with open(self.meta_path, encoding="utf-8") as f:
                meta = json.load(f)
        except (FileNotFoundError, ValueError):
            return None
        return meta.get("validator") if meta.get("uri") == uri else None

    def restart(self, uri: str, validator: str | None) -> BinaryIO:
        """Truncate the part and open it for writing from byte 0."""
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        with open(self.meta_path, "w", encoding="utf-8") as f:
            json.dump({"uri": uri, "validator": validator}, f)
        return open(self.path, "wb")

    def append(self) -> BinaryIO:
        return open(self.path, "ab")

    def discard(self) -> None:
        for p in (self.path, self.meta_path):
            try:
                os.remove(p)
            except FileNotFoundError:
                pass

    def finish(self, dest: str) -> None:
        """Atomically publish the verified part as `dest`."""
        with open(self.path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(self.path, dest)
        try:
            os.remove(self.meta_path)
        except FileNotFoundError:
            pass
