"""Engines run compiled SQL. DuckDB is embedded and the default; Spark is for scale-out."""
