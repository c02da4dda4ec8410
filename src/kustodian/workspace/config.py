"""A workspace's configuration file, `workspace.json`: identity, format version and settings.

The file is small and human-readable; every setting is validated when it is read, and an error
names the field. Data, table shapes, checkpoints and secrets live in the database instead.
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CONFIG_FILE = "workspace.json"

# The analytics retention values Log Analytics offers for a workspace, and the per-table range.
WORKSPACE_RETENTION_DAYS = (30, 31, 60, 90, 120, 180, 270, 365, 550, 730)
TABLE_RETENTION_RANGE = (4, 730)
DEFAULT_RETENTION_DAYS = 30


class ConfigError(ValueError):
    """A configuration value is missing or invalid; the message names the field."""


@dataclass
class WorkspaceConfig:
    workspace_id: str
    format_version: int
    created: str
    retention_days: int = DEFAULT_RETENTION_DAYS
    table_retention: dict[str, int] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def new(cls, format_version: int, workspace_id: str | None = None) -> WorkspaceConfig:
        wid = workspace_id or str(uuid.uuid4())
        check_guid("workspace_id", wid)
        created = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        return cls(wid.lower(), format_version, created)

    def to_json(self) -> dict[str, Any]:
        return {
            "format_version": self.format_version,
            "workspace_id": self.workspace_id,
            "created": self.created,
            "retention": {
                "default_days": self.retention_days,
                "tables": dict(sorted(self.table_retention.items())),
            },
            "settings": self.settings,
        }

    @classmethod
    def from_json(cls, data: Any, where: str = CONFIG_FILE) -> WorkspaceConfig:
        if not isinstance(data, dict):
            raise ConfigError(f"{where}: expected a JSON object")
        version = data.get("format_version")
        if not isinstance(version, int) or version < 1:
            raise ConfigError(f"{where}: format_version: expected a positive integer")
        wid = data.get("workspace_id")
        if not isinstance(wid, str):
            raise ConfigError(f"{where}: workspace_id: expected a GUID string")
        check_guid(f"{where}: workspace_id", wid)
        retention = data.get("retention", {})
        if not isinstance(retention, dict):
            raise ConfigError(f"{where}: retention: expected an object")
        default = retention.get("default_days", DEFAULT_RETENTION_DAYS)
        check_workspace_retention(f"{where}: retention.default_days", default)
        tables = retention.get("tables", {})
        if not isinstance(tables, dict):
            raise ConfigError(f"{where}: retention.tables: expected an object of table: days")
        for name, days in tables.items():
            check_table_retention(f"{where}: retention.tables.{name}", days)
        settings = data.get("settings", {})
        if not isinstance(settings, dict):
            raise ConfigError(f"{where}: settings: expected an object")
        return cls(
            wid.lower(),
            version,
            str(data.get("created", "")),
            default,
            dict(tables),
            settings,
        )


def check_guid(name: str, value: str) -> None:
    try:
        uuid.UUID(value)
    except ValueError:
        raise ConfigError(f"{name}: '{value}' is not a GUID") from None


def check_workspace_retention(name: str, days: Any) -> None:
    if not isinstance(days, int) or isinstance(days, bool) or days not in WORKSPACE_RETENTION_DAYS:
        allowed = ", ".join(map(str, WORKSPACE_RETENTION_DAYS))
        raise ConfigError(f"{name}: {days!r} days is not a Log Analytics value ({allowed})")


def check_table_retention(name: str, days: Any) -> None:
    lo, hi = TABLE_RETENTION_RANGE
    if not isinstance(days, int) or isinstance(days, bool) or not lo <= days <= hi:
        raise ConfigError(f"{name}: {days!r} days is outside {lo} to {hi}")


def read_config(root: Path) -> WorkspaceConfig:
    path = root / CONFIG_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise ConfigError(f"{path}: not valid JSON (line {e.lineno}, column {e.colno})") from None
    return WorkspaceConfig.from_json(data, str(path))


def write_config(root: Path, config: WorkspaceConfig) -> None:
    """Write atomically: a crash leaves either the old file or the new one."""
    path = root / CONFIG_FILE
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(config.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
