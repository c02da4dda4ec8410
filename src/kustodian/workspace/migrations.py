"""Workspace format versions and the migrations between them.

A migration runs inside one transaction with the version bump, so a crash leaves the workspace at
the old version, intact, and the next open tries again. Versions:

- 0: the layout before format versions: a directory with `kustodian.duckdb` only, Entra tables
  without Log Analytics' standard columns.
- 1: `workspace.json` (identity, retention), the internal schema `_kustodian`, standard columns
  (`_ItemId`, `_TimeReceived`, `_ResourceId`, `_SubscriptionId`) and `IngestionErrors`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from kustodian.engines.rows import first_row
from kustodian.kql.catalog import STANDARD_COLUMNS, entra_tables
from kustodian.workspace.config import CONFIG_FILE, WorkspaceConfig, read_config, write_config

CURRENT = 1


class MigrationError(Exception):
    pass


_INTERNAL = (
    "CREATE SCHEMA IF NOT EXISTS _kustodian",
    "CREATE TABLE IF NOT EXISTS _kustodian.meta (key VARCHAR PRIMARY KEY, value VARCHAR)",
    """CREATE TABLE IF NOT EXISTS _kustodian.columns (table_name VARCHAR, column_name VARCHAR,
        kusto_type VARCHAR, source VARCHAR, origin VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS _kustodian.checkpoints (connector VARCHAR, key VARCHAR,
        value VARCHAR, updated TIMESTAMPTZ, PRIMARY KEY (connector, key))""",
    """CREATE TABLE IF NOT EXISTS _kustodian.connectors (name VARCHAR PRIMARY KEY, kind VARCHAR,
        settings VARCHAR, updated TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS _kustodian.secrets (name VARCHAR PRIMARY KEY, value BLOB,
        updated TIMESTAMPTZ)""",
    # API tokens (kustodian.server.tokens): only a salted hash of each secret is kept.
    """CREATE TABLE IF NOT EXISTS _kustodian.tokens (id VARCHAR PRIMARY KEY, name VARCHAR,
        role VARCHAR, salt BLOB, hash BLOB, created TIMESTAMPTZ, expires TIMESTAMPTZ,
        revoked TIMESTAMPTZ, last_used TIMESTAMPTZ)""",
    # action groups (kustodian.actions): definitions, the email outbox, paused webhook endpoints
    """CREATE TABLE IF NOT EXISTS _kustodian.action_groups (key VARCHAR PRIMARY KEY,
        name VARCHAR, definition VARCHAR, source VARCHAR, updated TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS _kustodian.outbox (id BIGINT PRIMARY KEY, created TIMESTAMPTZ,
        recipient VARCHAR, subject VARCHAR, alert_id VARCHAR, action_group VARCHAR,
        message VARCHAR)""",
    """CREATE TABLE IF NOT EXISTS _kustodian.endpoint_pauses (endpoint VARCHAR PRIMARY KEY,
        paused_until TIMESTAMPTZ, reason VARCHAR)""",
    # Alert rules (kustodian.alerts): the rule in our YAML form as JSON, and evaluation state.
    """CREATE TABLE IF NOT EXISTS _kustodian.rules (name VARCHAR PRIMARY KEY, body VARCHAR,
        enabled BOOLEAN, created TIMESTAMPTZ, updated TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS _kustodian.rule_state (rule VARCHAR PRIMARY KEY,
        last_tick TIMESTAMP, suppressed_until TIMESTAMP)""",
    # One row per rule and dimension combination that has fired: the open (stateful) alert,
    # the healthy evaluations since, and until when its actions are muted.
    """CREATE TABLE IF NOT EXISTS _kustodian.alert_series (rule VARCHAR, dim_key VARCHAR,
        open_alert VARCHAR, healthy INTEGER, muted_until TIMESTAMP, PRIMARY KEY (rule, dim_key))""",
    # The web UI (kustodian.server.ui): saved queries, and one-time login codes (hashes only).
    """CREATE TABLE IF NOT EXISTS _kustodian.saved_queries (id VARCHAR PRIMARY KEY,
        name VARCHAR, query VARCHAR, timespan VARCHAR, author VARCHAR, created TIMESTAMPTZ,
        updated TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS _kustodian.ui_login_codes (code_hash VARCHAR PRIMARY KEY,
        token_id VARCHAR, expires TIMESTAMPTZ)""",
    # Browser sessions by the hash of their cookie, so that a restart signs nobody out.
    """CREATE TABLE IF NOT EXISTS _kustodian.ui_sessions (cookie_hash VARCHAR PRIMARY KEY,
        token_id VARCHAR, name VARCHAR, role VARCHAR, csrf VARCHAR, expires DOUBLE,
        last_seen DOUBLE)""",
)


def ensure_internal_schema(con: duckdb.DuckDBPyConnection, config: WorkspaceConfig) -> None:
    for stmt in _INTERNAL:
        con.execute(stmt)
    con.execute(
        "INSERT OR REPLACE INTO _kustodian.meta VALUES ('format_version', ?), ('workspace_id', ?), "
        "('duckdb_version', ?)",
        [str(config.format_version), config.workspace_id, duckdb.__version__],
    )


def db_version(con: duckdb.DuckDBPyConnection) -> int:
    has_meta = first_row(
        con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = '_kustodian' AND table_name = 'meta'"
        )
    )
    if not has_meta or not has_meta[0]:
        return 0
    row = first_row(con.execute("SELECT value FROM _kustodian.meta WHERE key = 'format_version'"))
    return int(row[0]) if row else 0


def _v0_to_v1(con: duckdb.DuckDBPyConnection, config: WorkspaceConfig) -> None:
    ensure_internal_schema(con, config)
    present = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()
    }
    for table in entra_tables():
        if table.name not in present:
            continue
        cols = {
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                [table.name],
            ).fetchall()
        }
        for name, _ in STANDARD_COLUMNS:
            if name not in cols:
                sql_type = "TIMESTAMP_NS" if name == "_TimeReceived" else "VARCHAR DEFAULT ''"
                con.execute(f'ALTER TABLE "{table.name}" ADD COLUMN "{name}" {sql_type}')
        con.execute(
            f"""UPDATE "{table.name}" SET
                TenantId = CASE WHEN coalesce(TenantId, '') = '' THEN ? ELSE TenantId END,
                Type = ?, _ItemId = CAST(uuid() AS VARCHAR),
                _TimeReceived = coalesce(_TimeReceived, TimeGenerated)
            WHERE coalesce(_ItemId, '') = ''""",
            [config.workspace_id, table.name],
        )


# MIGRATIONS[n] upgrades format n to n + 1.
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection, WorkspaceConfig], None]] = {
    0: _v0_to_v1,
}


def upgrade(root: Path, con: duckdb.DuckDBPyConnection) -> WorkspaceConfig:
    """Bring the workspace at `root` to the current format; returns its configuration."""
    if (root / CONFIG_FILE).exists():
        config = read_config(root)
    else:  # format 0 had no configuration file: give it an identity now
        config = WorkspaceConfig.new(CURRENT)
        config.format_version = 0
    if config.format_version > CURRENT:
        raise MigrationError(
            f"{root}: workspace format {config.format_version} was written by a newer Kustodian; "
            f"this one reads formats up to {CURRENT}. Upgrade Kustodian to open it."
        )
    version = min(db_version(con), config.format_version) if db_version(con) else 0
    if (root / CONFIG_FILE).exists() and version == 0 and config.format_version >= 1:
        version = _fresh_or_zero(con, config)
    while version < CURRENT:
        con.execute("BEGIN TRANSACTION")
        try:
            MIGRATIONS[version](con, config)
            version += 1
            config.format_version = version
            con.execute(
                "INSERT OR REPLACE INTO _kustodian.meta VALUES ('format_version', ?)",
                [str(version)],
            )
        except Exception as e:
            con.execute("ROLLBACK")
            raise MigrationError(f"{root}: migrating to format {version + 1} failed: {e}") from e
        con.execute("COMMIT")
        write_config(root, config)
    return config


def _fresh_or_zero(con: duckdb.DuckDBPyConnection, config: WorkspaceConfig) -> int:
    """A config file with no internal schema yet: a new workspace (nothing to migrate)."""
    tables = first_row(
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'")
    )
    return config.format_version if not tables or not tables[0] else 0
