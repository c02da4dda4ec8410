"""Kusto built-ins Kustodian does not implement (yet), with the reason. The support matrix
(docs/kql-support.md) lists them, so users see what is missing and why."""

from __future__ import annotations

from fnmatch import fnmatch

GRAPH = "graph semantics (make-graph) are not implemented"


def unsupported_reason(name: str) -> str | None:
    """Why a Kusto built-in is not implemented, or None when the name is not one of them."""
    for pattern, reason in UNSUPPORTED_FUNCTIONS.items():
        if reason and fnmatch(name, pattern):
            return reason
    return None


UNSUPPORTED_FUNCTIONS: dict[str, str] = {
    "all": GRAPH,
    "any": "as a graph function; `any()` the aggregate is supported (alias of take_any)",
    "inner_nodes": GRAPH,
    "map": GRAPH,
    "node_degree_in": GRAPH,
    "node_degree_out": GRAPH,
    "node_id": GRAPH,
    "labels": GRAPH,
    "tdigest": "t-digest sketches are not implemented",
    "tdigest_merge": "t-digest sketches are not implemented",
    "merge_tdigest": "t-digest sketches are not implemented",
    "percentile_tdigest": "t-digest sketches are not implemented",
    "percentile_array_tdigest": "t-digest sketches are not implemented",
    "rank_tdigest": "t-digest sketches are not implemented",
    "hll": "HyperLogLog sketches are not implemented (dcount is exact)",
    "hll_if": "HyperLogLog sketches are not implemented (dcount is exact)",
    "hll_merge": "HyperLogLog sketches are not implemented (dcount is exact)",
    "dcount_hll": "HyperLogLog sketches are not implemented (dcount is exact)",
    "estimate_data_size": "depends on Kusto's storage encoding",
    "current_principal_is_member_of": "needs a directory service",
    "current_principal_details": "needs a directory service",
    "current_cluster_endpoint": "there is no cluster",
    "current_database": "there is no database hierarchy",
    "cursor_after": "database cursors are not implemented",
    "ingestion_time": "use the _TimeReceived column",
    "extent_id": "there are no extents",
    "extent_tags": "there are no extents",
    "bin_auto": "needs the query_bin_auto_size request property",
    "gzip_compress_to_base64_string": "compression functions are not implemented",
    "gzip_decompress_from_base64_string": "compression functions are not implemented",
    "zlib_compress_to_base64_string": "compression functions are not implemented",
    "zlib_decompress_from_base64_string": "compression functions are not implemented",
    "geo_info_from_ip_address": "needs a GeoIP database",
    "ai_embed_text": "calls an external service",
    "toscalar": "",  # a special form, documented with the operators
    "assert": "query-time assertions are not implemented",
    "buildschema": "schema inference over dynamic values is not implemented",
    "cursor_current": "database cursors are not implemented",
    "row_window_session": "sessions need a sequential scan over the rows; not implemented",
    "row_rank_min": "not implemented yet",
    "row_rank_dense": "not implemented yet",
    "percentilesw": "weighted percentiles are not implemented yet",
    "percentilesw_array": "weighted percentiles are not implemented yet",
}
