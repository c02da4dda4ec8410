"""The `kustodian` command line."""
