"""Connectors: pull logs from where Entra ID sends them (docs/connectors.md)."""
