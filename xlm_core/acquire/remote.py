"""A file a mirror publishes, with what the mirror tells about it (size, digests)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True, slots=True)
class RemoteFile:
    uri: str
    """Where to fetch it: https://, s3:// or a local path."""

    name: str
    """File name, unique within one discovery result (used as the local file name)."""

    size: int | None = None
    """Size in bytes when the mirror publishes it."""

    md5: str | None = None
    """Hex MD5 when the mirror publishes it (Wikimedia dumpstatus.json)."""

    sha1: str | None = None
    """Hex SHA-1 when the mirror publishes it (Wikimedia dumpstatus.json)."""

    @property
    def checksums(self) -> dict[str, str]:
        """Published digests by algorithm, as `download(checksums=...)` takes them."""
        return {k: v for k, v in (("md5", self.md5), ("sha1", self.sha1)) if v}
