"""Geospatial functions: H3, S2 and geohash grids, distances, measures, predicates and overlays
of GeoJSON points, lines and polygons.

Each function is a Python UDF (bodies in `geo_impl`): `kql_<name>` takes the full argument list,
`kql_<name>_<n>` the first n when the query leaves optional arguments out (the body's Python
defaults are Kusto's). Arguments are converted to the declared Kusto type first; dynamic values
travel as JSON text. Kusto returns null for invalid input ("" for the string results), so a UDF
that raises yields null. There is no Spark translation: Spark has no such UDFs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlglot import exp

from kustodian.kql import diagnostics as D
from kustodian.kql.functions import geo_impl as G
from kustodian.kql.functions.base import Arg, Ctx, Family, FunctionSpec, to_type
from kustodian.kql.sqlnodes import fn, lit
from kustodian.kql.types import KType

FAMILY = Family("geo")

_SQL_TYPES = {
    KType.REAL: "DOUBLE",
    KType.LONG: "BIGINT",
    KType.INT: "INTEGER",
    KType.STRING: "VARCHAR",
    KType.BOOL: "BOOLEAN",
    KType.DYNAMIC: "JSON",
}

# Parameter types as spelled in `geo()` declarations.
_LETTERS = {
    "r": KType.REAL,
    "l": KType.LONG,
    "s": KType.STRING,
    "b": KType.BOOL,
    "d": KType.DYNAMIC,
}

# Argument types a parameter of each type accepts (Kusto converts among these implicitly).
_ACCEPTS = {
    KType.REAL: {KType.INT, KType.LONG, KType.REAL, KType.DECIMAL, KType.DYNAMIC, KType.NULL},
    KType.LONG: {KType.INT, KType.LONG, KType.REAL, KType.DECIMAL, KType.DYNAMIC, KType.NULL},
    KType.STRING: {KType.STRING, KType.DYNAMIC, KType.NULL},
    KType.BOOL: {KType.BOOL, KType.DYNAMIC, KType.NULL},
    KType.DYNAMIC: {KType.DYNAMIC, KType.NULL},
}

SPHERE_NOTE = (
    "computed on S2's sphere (radius 6,371,010 m) with S2's formulas, as Kusto does; results "
    "may differ from Kusto in the last digits"
)
OVERLAY_NOTE = (
    "overlay computed with shapely on a gnomonic projection, where geodesic edges are straight; "
    "S2's output order (loop start, loop order, DestructiveUnion pairing) is reproduced; shapes "
    "must lie within ~89 degrees of their center, else the result is null"
)
DENSIFY_NOTE = (
    SPHERE_NOTE + "; preserve_crossing=false keeps an edge's planar longitude span, true takes "
    "the shorter way across the antimeridian"
)


_NO_SPARK = (
    "{0}() is computed by a Python function (geodesy, H3 or S2 cells) that only the DuckDB "
    "engine registers"
)


@dataclass(frozen=True)
class _Geo:
    """A geo function: its parameter types (the first `required` are required), its result
    type and the Python body."""

    name: str
    params: tuple[KType, ...]
    returns: KType
    body: Callable[..., Any]
    required: int
    status: str = "supported"
    note: str = ""

    def udf_name(self, n: int) -> str:
        return f"kql_{self.name}" if n == len(self.params) else f"kql_{self.name}_{n}"

    def register(self) -> None:
        for n in range(self.required, len(self.params) + 1):
            udf = self.udf_name(n)
            types = [_SQL_TYPES[t] for t in self.params[:n]]
            FAMILY.udf(udf, _first(self.body, n), types, _SQL_TYPES[self.returns])
            FAMILY.template(udf, f"{udf}({{args}})")
            FAMILY.no_translation(udf, "spark", _NO_SPARK.format(self.name))
        FAMILY.add(
            FunctionSpec(
                self.name,
                self.required,
                len(self.params),
                self.returns,
                self.lower,
                status=self.status,
                note=self.note,
            )
        )

    def lower(self, ctx: Ctx, args: list[Arg]) -> exp.Expression:
        for i, (a, t) in enumerate(zip(args, self.params)):
            if a.type not in _ACCEPTS[t]:
                return ctx.error(
                    D.type_error(
                        f"{self.name}(): argument {i + 1} must be of type {t}, not {a.type}", a.span
                    )
                )
        call = fn(self.udf_name(len(args)), *(to_type(a, t) for a, t in zip(args, self.params)))
        if self.returns is KType.STRING:
            return exp.Coalesce(this=call, expressions=[lit("")])
        return call


def _first(body: Callable[..., Any], n: int) -> Callable[..., Any]:
    """`body` with its first `n` parameters: DuckDB checks a UDF's signature against its
    parameter types, and the shorter variants leave the optional ones out."""

    def call(*args: Any) -> Any:
        return body(*args)

    params = list(inspect.signature(body).parameters.values())[:n]
    call.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    return call


def _required(body: Callable[..., Any]) -> int:
    params = inspect.signature(body).parameters.values()
    return sum(1 for p in params if p.default is inspect.Parameter.empty)


def geo(
    name: str,
    params: str,
    returns: KType,
    body: Callable[..., Any],
    *,
    status: str = "supported",
    note: str = "",
) -> None:
    """Declare `name`; `params` spells the parameter types, one letter each: r real, l long,
    s string, b bool, d dynamic. Optional parameters are the body's defaulted ones."""
    types = tuple(_LETTERS[c] for c in params)
    _Geo(name, types, returns, body, _required(body), status, note).register()


S, R, B, INT, DYN = KType.STRING, KType.REAL, KType.BOOL, KType.INT, KType.DYNAMIC

# ------------------------------------------------------------------ grid systems

geo("geo_point_to_geohash", "rrl", S, G.point_to_geohash)
geo("geo_geohash_to_central_point", "s", DYN, G.geohash_to_central_point)
geo("geo_geohash_to_polygon", "s", DYN, G.geohash_to_polygon)
geo("geo_geohash_neighbors", "s", DYN, G.geohash_neighbors)

geo("geo_point_to_h3cell", "rrl", S, G.point_to_h3cell)
geo("geo_h3cell_to_central_point", "s", DYN, G.h3cell_to_central_point)
geo("geo_h3cell_to_polygon", "s", DYN, G.h3cell_to_polygon)
geo("geo_h3cell_parent", "sl", S, G.h3cell_parent)
geo("geo_h3cell_children", "sl", DYN, G.h3cell_children)
geo("geo_h3cell_level", "s", INT, G.h3cell_level)
geo("geo_h3cell_neighbors", "s", DYN, G.h3cell_neighbors)
geo("geo_h3cell_rings", "sl", DYN, G.h3cell_rings)

geo("geo_point_to_s2cell", "rrl", S, G.point_to_s2cell)
geo("geo_s2cell_to_central_point", "s", DYN, G.s2cell_to_central_point)
geo("geo_s2cell_to_polygon", "s", DYN, G.s2cell_to_polygon)
geo(
    "geo_s2cell_neighbors",
    "s",
    DYN,
    G.s2cell_neighbors,
    note="the order of the neighbors is Kusto's on the documented example, unverified elsewhere",
)

# ------------------------------------------------------------------ points

geo(
    "geo_distance_2points",
    "rrrrb",
    R,
    G.distance_2points,
    note=SPHERE_NOTE + "; use_spheroid measures WGS-84 geodesics with pyproj (Karney)",
)
geo("geo_point_in_circle", "rrrrr", B, G.point_in_circle, note=SPHERE_NOTE)
geo("geo_azimuth", "rrrr", R, G.azimuth, note=SPHERE_NOTE)
geo("geo_angle", "rrrrrr", R, G.angle_3points, note=SPHERE_NOTE)

# ------------------------------------------------------------------ lines

geo("geo_distance_point_to_line", "rrd", R, G.distance_point_to_line, note=SPHERE_NOTE)
geo("geo_closest_point_on_line", "rrd", DYN, G.closest_point_on_line, note=SPHERE_NOTE)
geo("geo_line_length", "d", R, G.line_length, note=SPHERE_NOTE)
geo("geo_line_centroid", "d", DYN, G.line_centroid, note=SPHERE_NOTE)
geo("geo_line_interpolate_point", "dr", DYN, G.line_interpolate_point, note=SPHERE_NOTE)
geo(
    "geo_line_locate_point",
    "drrb",
    R,
    G.line_locate_point,
    note=SPHERE_NOTE + "; with use_spheroid, the closest point is still the sphere's",
)

# ------------------------------------------------------------------ polygons

geo("geo_point_in_polygon", "rrd", B, G.point_in_polygon, note=SPHERE_NOTE)
geo("geo_distance_point_to_polygon", "rrd", R, G.distance_point_to_polygon, note=SPHERE_NOTE)
geo("geo_closest_point_on_polygon", "rrd", DYN, G.closest_point_on_polygon, note=SPHERE_NOTE)
geo("geo_polygon_area", "d", R, G.polygon_area, note=SPHERE_NOTE)
geo("geo_polygon_perimeter", "d", R, G.polygon_perimeter, note=SPHERE_NOTE)
geo("geo_polygon_centroid", "d", DYN, G.polygon_centroid, note=SPHERE_NOTE)

# ------------------------------------------------------------------ overlays

geo("geo_union_polygons_array", "d", DYN, G.union_polygons_array, note=OVERLAY_NOTE)
geo("geo_intersection_2polygons", "dd", DYN, G.intersection_2polygons, note=OVERLAY_NOTE)
geo("geo_intersects_2polygons", "dd", B, G.intersects_2polygons, note=OVERLAY_NOTE)
geo("geo_intersection_2lines", "dd", DYN, G.intersection_2lines, note=OVERLAY_NOTE)
geo("geo_intersects_2lines", "dd", B, G.intersects_2lines, note=OVERLAY_NOTE)
geo(
    "geo_intersection_line_with_polygon",
    "dd",
    DYN,
    G.intersection_line_with_polygon,
    note=OVERLAY_NOTE,
)
geo("geo_intersects_line_with_polygon", "dd", B, G.intersects_line_with_polygon, note=OVERLAY_NOTE)
geo("geo_union_lines_array", "d", DYN, G.union_lines_array, note=OVERLAY_NOTE)

# ------------------------------------------------------------------ shapes

geo("geo_from_wkt", "s", DYN, G.from_wkt)
geo("geo_line_densify", "drb", DYN, G.line_densify, note=DENSIFY_NOTE)
geo("geo_polygon_densify", "drb", DYN, G.polygon_densify, note=DENSIFY_NOTE)

SIMPLIFY_NOTE = (
    "S2Builder's snapping emulated: vertices snap to sites chosen in S2 cell order, then edge "
    "chains are shortened while within the tolerance; Kusto may keep other vertices"
)
geo("geo_line_simplify", "dr", DYN, G.line_simplify, status="partial", note=SIMPLIFY_NOTE)
geo("geo_polygon_simplify", "dr", DYN, G.polygon_simplify, status="partial", note=SIMPLIFY_NOTE)
geo(
    "geo_simplify_polygons_array",
    "dr",
    DYN,
    G.simplify_polygons_array,
    status="partial",
    note=SIMPLIFY_NOTE,
)

BUFFER_NOTE = (
    "buffered on an azimuthal equidistant projection around the shape (exact distances from "
    "its center, approximate far from it): vertices differ from Kusto's S2BufferOperation"
)
geo("geo_point_buffer", "rrrr", DYN, G.point_buffer, status="partial", note=BUFFER_NOTE)
geo("geo_line_buffer", "drr", DYN, G.line_buffer, status="partial", note=BUFFER_NOTE)
geo("geo_polygon_buffer", "drr", DYN, G.polygon_buffer, status="partial", note=BUFFER_NOTE)

# ------------------------------------------------------------------ coverings

geo("geo_polygon_to_s2cells", "dlr", DYN, G.polygon_to_s2cells, note=SPHERE_NOTE)
geo("geo_line_to_s2cells", "dlr", DYN, G.line_to_s2cells, note=SPHERE_NOTE)
geo(
    "geo_polygon_to_h3cells",
    "dlr",
    DYN,
    G.polygon_to_h3cells,
    status="partial",
    note="the cells are H3's polyfill; their order in the array may differ from Kusto's",
)
