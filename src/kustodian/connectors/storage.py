"""Live ingestion from an Azure storage account's diagnostic-settings archive (spec §3.4).

Entra ID's diagnostic settings can archive each log category to a storage account: a container
`insights-logs-<category>` holding one append blob per hour,
`tenantId=<guid>/y=YYYY/m=MM/d=DD/h=HH/m=00/PT1H.json` (or `resourceId=/.../y=.../PT1H.json`),
one record per line, appended to while the hour lasts. A pull reads what was appended since the
last one:

- Per blob, the checkpoint is the byte offset after the last complete line committed, with the
  line count and the size and ETag the blob had when read. A partial last line waits for the
  next pull, unless the blob's hour is long over (`SETTLE`): then it is the blob's last record.
- A blob whose size and ETag did not change is not downloaded. One that grew is read from its
  offset with ranged downloads of at most `CHUNK_BYTES`, each conditional on the ETag listed. One
  that shrank, or changed without growing, was rewritten and is read again from 0; ingestion's
  natural-key de-duplication makes that safe.
- Per container and blob root (`tenantId=...` or `resourceId=...`), a watermark bounds the
  listing: the oldest hour whose blob may still grow, else the newest hour seen. Only the days
  from the watermark minus `overlap_hours` are listed, so past hours cost nothing.
- A checkpoint moves only after the ingestor has committed the lines before it: a crash makes
  the next pull read some lines again (duplicates are dropped), never skip any.
- Once the watermark has passed a blob's hour by more than the overlap, no pull lists that blob
  again: its checkpoint is deleted, so that the checkpoints of a year of hourly blobs do not
  pile up (were the watermark reset, such a blob would be read again, its records dropped as
  duplicates).

Credentials (a connection string, an account key or a SAS token) are workspace secrets, stored
encrypted; they are never printed, and messages from the storage client are scrubbed of them.
"""

from __future__ import annotations

import json
import logging
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kustodian.ingest.mapping import CATEGORY_TABLES
from kustodian.ingest.sink import DIAG, Ingestor, IngestSummary

if TYPE_CHECKING:
    import argparse

    from azure.storage.blob import BlobClient, BlobServiceClient, ContainerClient

    from kustodian.workspace.workspace import Workspace

KIND = "storage"
FORMAT = "storage"
CONTAINER_PREFIX = "insights-logs-"
DEFAULT_CONTAINERS = tuple(CONTAINER_PREFIX + category for category in CATEGORY_TABLES)
AUTH_KINDS = ("connection-string", "account-key", "sas")
DEFAULT_OVERLAP_HOURS = 3

CHUNK_BYTES = 16 << 20  # one ranged download; memory stays bounded whatever the blob's size
MAX_LINE_BYTES = 16 << 20  # a "line" longer than this is a dead letter, not a buffer
COMMIT_LINES = 20_000  # lines between commits (ingestor flush, then checkpoints)
SETTLE = timedelta(hours=1)  # after its hour ends plus this, nothing more is appended to a blob
_LIST_MONTHS_AFTER_DAYS = 62  # beyond this many days, list by month prefix instead of by day
_MAX_ROOT_DEPTH = 16

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_HOUR_BLOB = re.compile(
    r"^(?P<root>(?:.*/)?)y=(?P<y>\d{4})/m=(?P<mo>\d{1,2})/d=(?P<d>\d{1,2})/h=(?P<h>\d{1,2})"
    r"/m=\d{1,2}/[^/]+\.json$"
)
_YEAR_SEGMENT = re.compile(r"^y=\d{4}/$")


class StorageError(Exception):
    """The connector cannot do its work; the message says why and what to do (never a secret)."""


# -- settings and credentials -------------------------------------------------------------------


@dataclass(frozen=True)
class StorageSettings:
    """A storage connector's settings, as stored with the connector (no secrets).

    Args:
        auth: how the stored secret authenticates: one of AUTH_KINDS.
        account_url: the blob endpoint (`https://ACCOUNT.blob.core.windows.net`), for the
            account-key and SAS kinds; a connection string carries its own.
        containers: the containers to read; empty: the account's containers of the Entra
            categories that have a table (DEFAULT_CONTAINERS), listed at each pull.
        api_version: the storage REST API version to send (empty: the client's default).
        overlap_hours: hours before the watermark that are listed again, for late blobs.
        since: ISO 8601; the first pull of a container starts at this hour (empty: everything).
    """

    auth: str
    account_url: str = ""
    containers: tuple[str, ...] = ()
    api_version: str = ""
    overlap_hours: int = DEFAULT_OVERLAP_HOURS
    since: str = ""

    def __post_init__(self) -> None:
        if self.auth not in AUTH_KINDS:
            raise StorageError(f"auth: '{self.auth}' is not one of {', '.join(AUTH_KINDS)}")
        if self.auth != "connection-string" and not self.account_url:
            raise StorageError(f"an {self.auth} credential needs the account URL (--account-url)")
        if self.account_url and not self.account_url.startswith(("https://", "http://")):
            raise StorageError(
                f"account URL '{self.account_url}': expected https://ACCOUNT.blob.core.windows.net"
            )
        if "?" in self.account_url:
            raise StorageError("the account URL must not carry a query: give the SAS separately")
        if not 0 <= self.overlap_hours <= 24 * 7:
            raise StorageError(f"overlap_hours: {self.overlap_hours} is outside 0 to 168")
        for c in self.containers:
            if not re.match(r"^[a-z0-9](?:[a-z0-9]|-(?!-)){2,62}$", c):
                raise StorageError(f"container '{c}' is not a valid container name")
        if self.since:
            parse_instant(self.since)

    def to_json(self) -> dict[str, Any]:
        return {
            "auth": self.auth,
            "account_url": self.account_url,
            "containers": list(self.containers),
            "api_version": self.api_version,
            "overlap_hours": self.overlap_hours,
            "since": self.since,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StorageSettings:
        return cls(
            auth=str(data.get("auth", "")),
            account_url=str(data.get("account_url") or ""),
            containers=tuple(data.get("containers") or ()),
            api_version=str(data.get("api_version") or ""),
            overlap_hours=int(data.get("overlap_hours", DEFAULT_OVERLAP_HOURS)),
            since=str(data.get("since") or ""),
        )


def container_name(text: str) -> str:
    """`signinlogs` or `insights-logs-signinlogs` → the container's name."""
    text = text.strip().lower()
    return text if text.startswith(CONTAINER_PREFIX) else CONTAINER_PREFIX + text


def parse_instant(text: str) -> datetime:
    """An ISO 8601 date or instant, as an aware UTC datetime."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise StorageError(f"'{text}' is not an ISO 8601 date or instant") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def secret_name(connector: str) -> str:
    return f"connector/{connector}/storage-credential"


class Scrubber:
    """Removes a credential, and the secret parts inside it, from text meant for people."""

    def __init__(self, secret: str) -> None:
        parts = {secret, secret.lstrip("?")}
        for m in re.finditer(r"(?i)(?:AccountKey|SharedAccessSignature|sig)=([^;&\s]+)", secret):
            parts |= {m.group(1), urllib.parse.unquote(m.group(1))}
        self.parts = sorted((p for p in parts if len(p) >= 6), key=len, reverse=True)

    def __call__(self, text: object) -> str:
        out = str(text)
        for p in self.parts:
            out = out.replace(p, "***")
        return re.sub(r"(?i)\bsig=[^&\s\"']+", "sig=***", out)


class _LogScrubber(logging.Filter):
    """urllib3 logs request URLs at DEBUG; a SAS signature in them must not reach a log."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "sig=" in message.lower():
            record.msg = re.sub(r"(?i)\bsig=[^&\s\"']+", "sig=***", message)
            record.args = None
        return True


def _guard_logs() -> None:
    for name in ("urllib3.connectionpool", "azure.core.pipeline.policies.http_logging_policy"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _LogScrubber) for f in logger.filters):
            logger.addFilter(_LogScrubber())


def service_client(settings: StorageSettings, secret: str) -> BlobServiceClient:
    """A blob service client for the settings and the credential."""
    try:
        from azure.storage.blob import BlobServiceClient
    except ImportError:
        raise StorageError(
            "the storage connector needs azure-storage-blob: pip install azure-storage-blob"
        ) from None
    _guard_logs()
    kwargs: dict[str, Any] = {"api_version": settings.api_version} if settings.api_version else {}
    try:
        if settings.auth == "connection-string":
            return BlobServiceClient.from_connection_string(secret, **kwargs)
        credential = secret.lstrip("?") if settings.auth == "sas" else secret
        return BlobServiceClient(settings.account_url, credential=credential, **kwargs)
    except (ValueError, TypeError) as e:
        raise StorageError(
            f"the {settings.auth} credential or the account URL is not usable: {Scrubber(secret)(e)}"
        ) from None


def endpoint(svc: BlobServiceClient) -> str:
    """The account's endpoint for messages (`svc.url` would carry a SAS token)."""
    return f"{svc.scheme}://{svc.primary_hostname} (account {svc.account_name})"


def describe_error(e: Exception, scrub: Callable[[object], str]) -> str:
    """What a storage failure means for an admin; scrubbed of the credential."""
    from azure.core.exceptions import HttpResponseError, ServiceRequestError

    if isinstance(e, HttpResponseError):
        code = f"{e.status_code} {getattr(e, 'error_code', None) or e.reason or ''}".strip()
        if e.status_code == 403:
            return (
                f"access denied ({code}): check the key or SAS (expired? missing read/list "
                "permission?) and the account's firewall rules for this address"
            )
        if e.status_code == 404:
            return f"not found ({code}): the container or blob does not exist"
        first = (e.message or str(e)).strip().splitlines()
        return scrub(f"{code}: {first[0] if first else type(e).__name__}")
    if isinstance(e, ServiceRequestError):
        return scrub(f"cannot reach the storage account: {e}")
    return scrub(f"{type(e).__name__}: {e}")


# -- the archive's layout -------------------------------------------------------------------------


@dataclass(frozen=True)
class BlobRef:
    """A listed hour blob: where it is, its hour, and its size and ETag when listed."""

    container: str
    name: str
    root: str  # the name up to `y=`: `tenantId=<guid>/`, `resourceId=/.../` or ``
    hour: datetime
    size: int
    etag: str

    @property
    def source(self) -> str:
        return f"{self.container}/{self.name}"

    @property
    def key(self) -> str:
        return f"blob:{self.source}"


def blob_ref(container: str, name: str, size: int, etag: str) -> BlobRef | None:
    """The listed blob if its name follows the archive layout, else None."""
    m = _HOUR_BLOB.match(name)
    if m is None:
        return None
    try:
        hour = datetime(
            int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"]), tzinfo=UTC
        )  # a name such as m=13 is not an hour blob
    except ValueError:
        return None
    return BlobRef(container, name, m["root"], hour, size, etag.strip('"'))


def blob_roots(cc: ContainerClient) -> list[str]:
    """The prefixes under which a container's hour folders (`y=YYYY/`) start."""
    from azure.storage.blob import BlobPrefix

    roots: set[str] = set()
    todo = [("", 0)]
    while todo:
        prefix, depth = todo.pop()
        for item in cc.walk_blobs(name_starts_with=prefix or None, delimiter="/"):
            if not isinstance(item, BlobPrefix):
                continue
            if _YEAR_SEGMENT.match(item.name[len(prefix) :]):
                roots.add(prefix)
            elif depth < _MAX_ROOT_DEPTH:
                todo.append((item.name, depth + 1))
    return sorted(roots)


def listing_prefixes(root: str, start: datetime | None, now: datetime) -> list[str]:
    """Name prefixes that cover the hours from `start` to now (and a day ahead, for skew)."""
    if start is None:
        return [root]
    first, last = start.date(), (now + timedelta(days=1)).date()
    if (last - first).days > _LIST_MONTHS_AFTER_DAYS:
        months = []
        y, m = first.year, first.month
        while (y, m) <= (last.year, last.month):
            months.append(f"{root}y={y:04d}/m={m:02d}/")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return months
    days = [first + timedelta(days=i) for i in range(max((last - first).days, 0) + 1)]
    return [f"{root}y={d.year:04d}/m={d.month:02d}/d={d.day:02d}/" for d in days]


def hour_blobs(
    cc: ContainerClient, container: str, root: str, start: datetime | None, now: datetime
) -> Iterator[BlobRef]:
    """The root's hour blobs from `start` on (every one when `start` is None), in name order."""
    for prefix in listing_prefixes(root, start, now):
        for props in cc.list_blobs(name_starts_with=prefix):
            ref = blob_ref(container, props.name, props.size or 0, props.etag or "")
            if ref is not None and ref.root == root and (start is None or ref.hour >= start):
                yield ref


# -- per-blob state and what to read ---------------------------------------------------------------


@dataclass(frozen=True)
class BlobState:
    """A blob's checkpoint: bytes and lines committed, and its size and ETag when read."""

    offset: int = 0
    lines: int = 0
    size: int = 0
    etag: str = ""

    def to_text(self) -> str:
        return json.dumps(
            {"offset": self.offset, "lines": self.lines, "size": self.size, "etag": self.etag}
        )

    @classmethod
    def from_text(cls, text: str | None) -> BlobState | None:
        if not text:
            return None
        data = json.loads(text)
        return cls(int(data["offset"]), int(data["lines"]), int(data["size"]), str(data["etag"]))


@dataclass(frozen=True)
class Read:
    """A read to do: from `offset` (after `line` lines) to the blob's listed size."""

    blob: BlobRef
    offset: int
    line: int
    rewritten: bool
    final: bool  # the hour is long over: a last line without a line break is complete


def settled(hour: datetime, now: datetime) -> bool:
    return hour + timedelta(hours=1) + SETTLE <= now


def plan_read(blob: BlobRef, state: BlobState | None, now: datetime) -> Read | None:
    """What to download from a listed blob given its checkpoint; None when nothing is new."""
    final = settled(blob.hour, now)
    if state is None:
        return Read(blob, 0, 0, False, final) if blob.size > 0 else None
    # Append blobs only grow: a smaller blob, or a changed one of the same size, was rewritten.
    if blob.size < state.size or (blob.size == state.size and blob.etag != state.etag):
        return Read(blob, 0, 0, True, final) if blob.size > 0 else None
    if blob.size <= state.offset:
        return None
    if blob.size == state.size and not final:
        return None  # only the partial last line, still being written
    return Read(blob, state.offset, state.lines, False, final)


def is_done(blob: BlobRef, state: BlobState | None, now: datetime) -> bool:
    """The blob's hour is over and every byte of it is committed."""
    return settled(blob.hour, now) and (state.offset if state else 0) >= blob.size


# -- a pull ------------------------------------------------------------------------------------------


@dataclass
class PullSummary:
    """What a pull did: blobs, downloads and the ingestion summary."""

    connector: str
    containers: list[str] = field(default_factory=list)
    blobs_listed: int = 0
    blobs_read: int = 0
    blobs_unchanged: int = 0
    blobs_rewritten: int = 0
    ranges: int = 0
    bytes_downloaded: int = 0
    lines: int = 0
    partial_bytes: int = 0  # incomplete last lines left for the next pull
    checkpoints_pruned: int = 0  # of blobs no later pull lists
    errors: list[str] = field(default_factory=list)
    ingest: IngestSummary = field(default_factory=IngestSummary)
    started: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "connector": self.connector,
            "kind": KIND,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "containers": self.containers,
            "blobs_listed": self.blobs_listed,
            "blobs_read": self.blobs_read,
            "blobs_unchanged": self.blobs_unchanged,
            "blobs_rewritten": self.blobs_rewritten,
            "ranges": self.ranges,
            "bytes_downloaded": self.bytes_downloaded,
            "lines": self.lines,
            "partial_bytes": self.partial_bytes,
            "checkpoints_pruned": self.checkpoints_pruned,
            "errors": self.errors,
            "ingest": self.ingest.to_json(),
        }


def load_connector(ws: Workspace, name: str) -> tuple[StorageSettings, str]:
    """A storage connector's settings and credential; StorageError when there is none."""
    found = ws.connector(name)
    if found is None:
        raise StorageError(
            f"no connector '{name}'; create it with `kustodian storage connect --name {name} ...`"
        )
    kind, data = found
    if kind != KIND:
        raise StorageError(f"connector '{name}' is a {kind} connector, not a storage one")
    secret = ws.get_secret(secret_name(name))
    if secret is None:
        raise StorageError(
            f"connector '{name}' has no stored credential; run `kustodian storage connect` again"
        )
    return StorageSettings.from_json(data), secret


def pull(
    ws: Workspace,
    name: str,
    *,
    now: datetime | None = None,
    progress: Callable[[IngestSummary], None] | None = None,
) -> PullSummary:
    """Read what the connector's containers gained since the last pull into the workspace.

    Args:
        ws: the workspace.
        name: a connector stored by `connect` (kind "storage").
        now: the current instant (decides which hours are over); default: the clock.
        progress: called with the running ingestion summary after each committed batch.

    Returns:
        The summary; failures of single containers or blobs are in `errors`, and what they
        did not read is read by the next pull.

    Raises:
        StorageError: no such connector, or the account cannot be listed at all.
    """
    settings, secret = load_connector(ws, name)
    svc = service_client(settings, secret)
    run = _Pull(ws, name, settings, svc, Scrubber(secret), now or datetime.now(UTC), progress)
    return run.run()


def pull_storage(
    ws: Workspace, name: str, settings: dict[str, Any], args: argparse.Namespace | None = None
) -> PullSummary:
    """The connector-dispatch contract of `kustodian pull`: pull one storage connector."""
    del settings  # read again by `pull`, with the credential
    now = getattr(args, "now", None)
    return pull(ws, name, now=parse_instant(now) if isinstance(now, str) else now)


def connect_storage(args: argparse.Namespace) -> int:
    """The connector-dispatch contract of `kustodian connect storage` (arguments:
    `kustodian.cli.storage_cmds.add_connect_arguments`)."""
    from kustodian.cli.storage_cmds import cmd_connect

    return cmd_connect(args)


class _Pull:
    def __init__(
        self,
        ws: Workspace,
        name: str,
        settings: StorageSettings,
        svc: BlobServiceClient,
        scrub: Scrubber,
        now: datetime,
        progress: Callable[[IngestSummary], None] | None,
    ) -> None:
        self.ws, self.name, self.settings, self.svc = ws, name, settings, svc
        self.scrub, self.now = scrub, now
        self.ingestor = Ingestor(ws, progress=progress)
        self.summary = PullSummary(name, started=_iso(now))
        self.pending: dict[str, BlobState] = {}
        self.pending_lines = 0

    def run(self) -> PullSummary:
        started = time.perf_counter()
        self.summary.containers = containers(self.svc, self.settings, self.scrub)
        for container in self.summary.containers:
            try:
                self.container(container)
            except Exception as e:
                if not _is_storage_error(e):
                    raise
                self.summary.errors.append(f"{container}: {describe_error(e, self.scrub)}")
        self.commit()
        self.summary.ingest = self.ingestor.close()
        self.summary.seconds = time.perf_counter() - started
        self.ws.set_checkpoint(self.name, "last-pull", json.dumps(self.summary.to_json()))
        return self.summary

    def container(self, container: str) -> None:
        cc = self.svc.get_container_client(container)
        for root in blob_roots(cc):
            self.root(cc, container, root)

    def root(self, cc: ContainerClient, container: str, root: str) -> None:
        key = f"watermark:{container}/{root}"
        start = list_start(self.ws.get_checkpoint(self.name, key), self.settings)
        open_hours: list[datetime] = []
        newest: datetime | None = None
        for ref in hour_blobs(cc, container, root, start, self.now):
            self.summary.blobs_listed += 1
            newest = ref.hour if newest is None else max(newest, ref.hour)
            if not self.blob(cc, ref):
                open_hours.append(ref.hour)
        self.commit()  # the watermark may pass these blobs only once they are committed
        if newest is not None:
            mark = _iso(min(open_hours, default=newest))
            self.ws.set_checkpoint(self.name, key, mark)
            self.prune(container, root, list_start(mark, self.settings))

    def prune(self, container: str, root: str, start: datetime | None) -> None:
        """Delete the checkpoints of this root's blobs of hours before `start`, the first hour
        the next pull lists."""
        if start is None:
            return
        prefix = f"blob:{container}/"
        old = []
        for _, key, _, _ in self.ws.checkpoints(self.name):
            if key.startswith(prefix + root):
                ref = blob_ref(container, key[len(prefix) :], 0, "")
                if ref is not None and ref.root == root and ref.hour < start:
                    old.append(key)
        self.ws.delete_checkpoints(self.name, old)
        self.summary.checkpoints_pruned += len(old)

    def blob(self, cc: ContainerClient, ref: BlobRef) -> bool:
        """Read what is new in one blob; True when the blob is done (over and fully read)."""
        state = self.pending.get(ref.key) or BlobState.from_text(
            self.ws.get_checkpoint(self.name, ref.key)
        )
        read = plan_read(ref, state, self.now)
        if read is None:
            self.summary.blobs_unchanged += 1
            return is_done(ref, state, self.now)
        self.summary.blobs_read += 1
        self.summary.blobs_rewritten += read.rewritten
        try:
            end, size = self.read(cc.get_blob_client(ref.name), read)
        except Exception as e:
            if not _is_storage_error(e):
                raise
            self.summary.errors.append(f"{ref.source}: {describe_error(e, self.scrub)}")
            return False
        self.summary.partial_bytes += size - end.offset
        return read.final and end.offset >= size

    def read(self, bc: BlobClient, read: Read) -> tuple[BlobState, int]:
        """Download from the offset in chunks, ingest the complete lines, stage the checkpoint.

        The staged size is the bytes looked at so far, so a checkpoint committed in the middle
        of a blob makes the next pull read on from there.
        """
        from azure.core.exceptions import ResourceModifiedError

        key, source, size, etag = read.blob.key, read.blob.source, read.blob.size, read.blob.etag
        offset, line, fetched, carry, refreshed = read.offset, read.line, read.offset, b"", 0
        while fetched < size:
            try:
                data = self.download(bc, fetched, min(CHUNK_BYTES, size - fetched), etag)
            except ResourceModifiedError:
                # Appended to since it was listed: carry on to the new end; rewritten: next pull.
                props = bc.get_blob_properties()
                if refreshed == 3 or (props.size or 0) < size:
                    self.summary.errors.append(f"{source}: changed while read; read on next pull")
                    break
                refreshed += 1
                size, etag = props.size or 0, (props.etag or "").strip('"')
                continue
            if not data:
                break
            fetched += len(data)
            buf = carry + data
            cut = buf.rfind(b"\n") + 1 or (len(buf) if len(buf) > MAX_LINE_BYTES else 0)
            line = self.lines(source, buf[:cut], line, bom=offset == 0)
            offset, carry = offset + cut, buf[cut:]
            self.stage(key, BlobState(offset, line, fetched, etag))
        if read.final and carry and fetched >= size:
            line = self.lines(source, carry, line, bom=offset == 0)
            offset += len(carry)
        state = BlobState(offset, line, fetched, etag)
        self.stage(key, state)
        return state, size

    def download(self, bc: BlobClient, offset: int, length: int, etag: str) -> bytes:
        """One ranged download, on condition that the blob is still the one listed."""
        from azure.core import MatchConditions
        from azure.core.exceptions import HttpResponseError

        self.summary.ranges += 1
        try:
            stream = bc.download_blob(
                offset=offset,
                length=length,
                etag=etag,
                match_condition=MatchConditions.IfNotModified,
                max_concurrency=1,
            )
            data = stream.readall()
        except HttpResponseError as e:
            if e.status_code == 416:  # the offset is at or past the end: nothing new
                return b""
            raise
        self.summary.bytes_downloaded += len(data)
        return data

    def lines(self, source: str, chunk: bytes, line: int, *, bom: bool) -> int:
        """Hand whole lines to the ingestor; returns the number of the last one.

        The ingestor cuts blocks into batches across blobs, with no Python object per record.
        """
        if bom:
            chunk = chunk.removeprefix(b"\xef\xbb\xbf")
        if not chunk:
            return line
        count = chunk.count(b"\n") + (not chunk.endswith(b"\n"))
        self.summary.lines += count
        self.pending_lines += count
        if count == 1 and len(chunk) > MAX_LINE_BYTES:
            reason = f"a line longer than {MAX_LINE_BYTES >> 20} MB without a line break"
            head = chunk[:4096].decode("utf-8", "replace")
            self.ingestor.reject(source, f"line {line + 1}", reason, head, FORMAT)
        else:
            self.ingestor.add_block(chunk, source, line + 1, shape=DIAG, fmt=FORMAT)
        return line + count

    def stage(self, key: str, state: BlobState) -> None:
        """Keep a blob's new checkpoint until the lines before it are committed."""
        self.pending[key] = state
        if self.pending_lines >= COMMIT_LINES:
            self.commit()

    def commit(self) -> None:
        """Commit the ingested lines, then the checkpoints that count them."""
        self.ingestor.flush()
        for key, state in self.pending.items():
            self.ws.set_checkpoint(self.name, key, state.to_text())
        self.pending.clear()
        self.pending_lines = 0


def containers(svc: BlobServiceClient, settings: StorageSettings, scrub: Scrubber) -> list[str]:
    """The configured containers, else the account's containers of the Entra categories.

    Other `insights-logs-*` containers (other Azure resources' logs, Entra categories with no
    table here) are left alone unless configured.
    """
    if settings.containers:
        return list(settings.containers)
    try:
        listed = svc.list_containers(name_starts_with=CONTAINER_PREFIX)
        return sorted(c.name for c in listed if c.name in DEFAULT_CONTAINERS)
    except Exception as e:
        if not _is_storage_error(e):
            raise
        raise StorageError(
            f"cannot list the containers of {endpoint(svc)}: {describe_error(e, scrub)}. "
            "A SAS scoped to containers cannot list them: name them with --containers"
        ) from None


def list_start(watermark: str | None, settings: StorageSettings) -> datetime | None:
    """The first hour to list: the watermark minus the overlap, not before `since`."""
    since = _hour(parse_instant(settings.since)) if settings.since else None
    if watermark is None:
        return since
    start = parse_instant(watermark) - timedelta(hours=settings.overlap_hours)
    return max(start, since) if since else start


def _is_storage_error(e: Exception) -> bool:
    from azure.core.exceptions import AzureError

    return isinstance(e, AzureError)


def _hour(t: datetime) -> datetime:
    return t.replace(minute=0, second=0, microsecond=0)


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# -- connecting and status ---------------------------------------------------------------------


def connect(
    ws: Workspace, name: str, settings: StorageSettings, secret: str, *, check: bool = True
) -> list[str]:
    """Store a storage connector: its settings, and its credential as an encrypted secret.

    Args:
        ws: the workspace.
        name: the connector's name (letters, digits, `_.-`).
        settings: what to read and how to authenticate.
        secret: the connection string, account key or SAS token.
        check: first list the containers with the credential, so a wrong one fails now.

    Returns:
        The containers the connector reads (empty when not checked).
    """
    if not _NAME.match(name):
        raise StorageError(f"connector name '{name}': use letters, digits, '_', '.' and '-'")
    if not secret.strip():
        raise StorageError("the credential is empty")
    existing = ws.connector(name)
    if existing is not None and existing[0] != KIND:
        raise StorageError(f"connector '{name}' exists and is a {existing[0]} connector")
    found: list[str] = []
    svc = service_client(settings, secret)  # checks the credential's form, offline
    if check:
        scrub = Scrubber(secret)
        found = containers(svc, settings, scrub)
        for c in found if settings.containers else ():
            try:  # a pull lists each container's blobs: so does the check
                next(iter(svc.get_container_client(c).walk_blobs(delimiter="/")), None)
            except Exception as e:
                if not _is_storage_error(e):
                    raise
                raise StorageError(f"container {c}: {describe_error(e, scrub)}") from None
    ws.set_secret(secret_name(name), secret.strip())
    ws.save_connector(name, KIND, settings.to_json())
    return found


@dataclass
class RootStatus:
    """One container root: its watermark, blobs tracked, and (listed) what is not read yet."""

    container: str
    root: str
    watermark: str | None
    tracked: int
    partial: int  # tracked blobs with an incomplete last line
    behind_blobs: int | None = None
    behind_bytes: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def status(
    ws: Workspace, name: str, *, now: datetime | None = None, remote: bool = True
) -> dict[str, Any]:
    """A connector's settings, last pull and per-root progress; `remote` lists what is behind.

    Returns:
        A JSON-ready dict: `name`, `settings`, `last_pull` (summary or None), `roots` (list of
        RootStatus as dicts) and `errors`.
    """
    settings, secret = load_connector(ws, name)
    now = now or datetime.now(UTC)
    states: dict[str, BlobState] = {}
    marks: dict[str, str] = {}
    last_pull: dict[str, Any] | None = None
    for _, key, value, _ in ws.checkpoints(name):
        if key.startswith("blob:"):
            state = BlobState.from_text(value)
            if state is not None:
                states[key[5:]] = state
        elif key.startswith("watermark:"):
            marks[key[10:]] = value
        elif key == "last-pull":
            last_pull = json.loads(value)
    roots = {
        k: RootStatus(k.split("/", 1)[0], k.split("/", 1)[1], v, 0, 0) for k, v in marks.items()
    }
    errors: list[str] = []
    if remote:
        errors = _status_remote(settings, secret, states, roots, now)
    for source, state in states.items():
        container, _, blob = source.partition("/")
        ref = blob_ref(container, blob, state.size, state.etag)
        if ref is not None and (r := roots.get(f"{ref.container}/{ref.root}")) is not None:
            r.tracked += 1
            r.partial += state.offset < state.size
    return {
        "name": name,
        "kind": KIND,
        "settings": settings.to_json(),
        "last_pull": last_pull,
        "roots": [r.to_json() for _, r in sorted(roots.items())],
        "errors": errors,
    }


def _status_remote(
    settings: StorageSettings,
    secret: str,
    states: dict[str, BlobState],
    roots: dict[str, RootStatus],
    now: datetime,
) -> list[str]:
    scrub = Scrubber(secret)
    svc = service_client(settings, secret)
    errors: list[str] = []
    for container in containers(svc, settings, scrub):
        cc = svc.get_container_client(container)
        try:
            for root in blob_roots(cc):
                key = f"{container}/{root}"
                r = roots.setdefault(key, RootStatus(container, root, None, 0, 0))
                r.behind_blobs = r.behind_bytes = 0
                for ref in hour_blobs(cc, container, root, list_start(r.watermark, settings), now):
                    state = states.get(ref.source)
                    read = plan_read(ref, state, now)
                    if read is not None:
                        r.behind_blobs += 1
                        r.behind_bytes += ref.size - read.offset
        except Exception as e:
            if not _is_storage_error(e):
                raise
            errors.append(f"{container}: {describe_error(e, scrub)}")
    return errors


__all__ = [
    "AUTH_KINDS",
    "DEFAULT_CONTAINERS",
    "KIND",
    "BlobRef",
    "BlobState",
    "PullSummary",
    "StorageError",
    "StorageSettings",
    "connect",
    "connect_storage",
    "plan_read",
    "pull",
    "pull_storage",
    "status",
]
