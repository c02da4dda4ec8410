"""Bodies of the geospatial UDFs (`kustodian.kql.functions.geo` declares and registers them).

Kusto's geospatial model is S2's: WGS-84 coordinates on a sphere of radius 6,371,010 m, lines and
polygon edges are geodesics (great-circle arcs), a polygon ring encloses the smaller of the two
regions it bounds and holes are subtracted. The code below follows the S2 library's formulas
(l'Huilier triangle areas, true centroids, edge distance and projection) so that measurements
agree with Kusto to ~1e-12. Overlays (intersection, union, buffers) are computed with shapely on
a gnomonic projection, where great circles are straight lines, so their vertices are the exact
geodesic intersections. Grid systems: H3 (`h3`), S2 (`s2sphere`) and geohash.

Every function takes Python values (None for null; dynamic values as JSON text) and returns the
result or None; it may raise, which the engine turns into null, which is what Kusto returns for
invalid input. Functions that return a string return "" for invalid input, as Kusto does.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import Any

Vec = tuple[float, float, float]
LngLat = tuple[float, float]
Ring = list[LngLat]

EARTH_RADIUS = 6371010.0  # S2's kEarthRadiusMeters, the sphere Kusto measures on
_MAX_EDGE = math.pi - 1e-5  # S2: longer edges are numerically unstable (GetSurfaceIntegral)


class Invalid(ValueError):
    """Input Kusto rejects: the function's result is null."""


# ------------------------------------------------------------------ vectors on the unit sphere


def to_vec(lng: float, lat: float) -> Vec:
    phi, theta = math.radians(lat), math.radians(lng)
    c = math.cos(phi)
    return (math.cos(theta) * c, math.sin(theta) * c, math.sin(phi))


def to_lnglat(v: Vec) -> LngLat:
    x, y, z = v
    return (math.degrees(math.atan2(y, x)), math.degrees(math.atan2(z, math.hypot(x, y))))


def _add(a: Vec, b: Vec) -> Vec:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def _sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def _mul(a: Vec, k: float) -> Vec:
    return (a[0] * k, a[1] * k, a[2] * k)


def _dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def _cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def _norm(a: Vec) -> float:
    return math.sqrt(_dot(a, a))


def _unit(a: Vec) -> Vec:
    n = _norm(a)
    if n == 0:
        raise Invalid("zero vector")
    return (a[0] / n, a[1] / n, a[2] / n)


def _robust_cross(a: Vec, b: Vec) -> Vec:
    """2 (a x b), computed as S2 does: (b + a) x (b - a) is stable for nearby points."""
    return _cross(_add(b, a), _sub(b, a))


def angle(a: Vec, b: Vec) -> float:
    """The angle between two points in radians (S2's Vector3::Angle)."""
    return math.atan2(_norm(_cross(a, b)), _dot(a, b))


def _sign(a: Vec, b: Vec, c: Vec) -> int:
    """The orientation of the triangle abc (+1 counterclockwise), zero mapped to +1: a
    consistent tie-break for crossing parity."""
    return 1 if _dot(_cross(a, b), c) >= 0 else -1


def _crosses(a: Vec, b: Vec, c: Vec, d: Vec) -> bool:
    """Whether edge ab crosses edge cd (S2's CrossingSign > 0, ties broken consistently)."""
    s_a, s_b = _sign(c, d, a), _sign(c, d, b)
    if s_a == s_b:
        return False
    return _sign(a, b, d) == s_a and _sign(a, b, c) == s_b


def _edge_normal(a: Vec, b: Vec) -> Vec:
    n = _robust_cross(a, b)
    if _norm(n) == 0:
        raise Invalid("degenerate or antipodal edge")
    return n


def _interior_projection(x: Vec, a: Vec, b: Vec) -> Vec | None:
    """The closest point to x on the great circle through a and b, if it lies inside edge ab."""
    n = _edge_normal(a, b)
    p = _sub(x, _mul(n, _dot(x, n) / _dot(n, n)))
    if _norm(p) == 0:
        return None
    if _dot(_cross(a, p), n) > 0 and _dot(_cross(p, b), n) > 0:
        return _unit(p)
    return None


def edge_distance(x: Vec, a: Vec, b: Vec) -> float:
    """The angle from x to the closest point of edge ab (S2::GetDistance)."""
    if a != b and _interior_projection(x, a, b) is not None:
        n = _unit(_edge_normal(a, b))
        return math.asin(min(1.0, abs(_dot(x, n))))
    return min(angle(x, a), angle(x, b))


def project_to_edge(x: Vec, a: Vec, b: Vec) -> Vec:
    """The point of edge ab closest to x (S2::Project)."""
    if a != b:
        p = _interior_projection(x, a, b)
        if p is not None:
            return p
    return a if angle(x, a) <= angle(x, b) else b


def point_on_edge(a: Vec, b: Vec, r: float) -> Vec:
    """The point at angle r from a towards b (S2::GetPointOnLine)."""
    direction = _unit(_cross(_robust_cross(a, b), a))
    return _unit(_add(_mul(a, math.cos(r)), _mul(direction, math.sin(r))))


def _girard_area(a: Vec, b: Vec, c: Vec) -> float:
    ab, bc, ac = _robust_cross(a, b), _robust_cross(b, c), _robust_cross(a, c)
    return max(0.0, math.pi - angle(ab, ac) - angle(_mul(ab, -1.0), bc) - angle(bc, ac))


def triangle_area(a: Vec, b: Vec, c: Vec) -> float:
    """The area of the spherical triangle abc (S2::Area: l'Huilier, Girard for skinny ones)."""
    sa, sb, sc = angle(b, c), angle(c, a), angle(a, b)
    s = 0.5 * (sa + sb + sc)
    if s >= 3e-4:
        dmin = s - max(sa, sb, sc)
        if dmin < 1e-2 * s * s * s * s * s:
            area = _girard_area(a, b, c)
            if dmin < s * (0.1 * (area + 5e-15)):
                return area
    t = math.tan(0.5 * s) * math.tan(0.5 * (s - sa)) * math.tan(0.5 * (s - sb))
    return 4 * math.atan(math.sqrt(max(0.0, t * math.tan(0.5 * (s - sc)))))


def _signed_area(a: Vec, b: Vec, c: Vec) -> float:
    area = triangle_area(a, b, c)
    det = _dot(a, _cross(_sub(b, a), _sub(c, a)))
    if area < 1e-6 * angle(a, b) * angle(a, c):
        # Nearly collinear (e.g. a vertex that an overlay put on an edge): l'Huilier's formula
        # only yields rounding noise there, the determinant is accurate.
        area = 0.5 * abs(det)
    return area if det > 0 else -area


def _true_centroid(a: Vec, b: Vec, c: Vec) -> Vec:
    """The centroid of triangle abc times its area (S2::TrueCentroid)."""
    angle_a, angle_b, angle_c = angle(b, c), angle(c, a), angle(a, b)
    ra = 1.0 if angle_a == 0 else angle_a / math.sin(angle_a)
    rb = 1.0 if angle_b == 0 else angle_b / math.sin(angle_b)
    rc = 1.0 if angle_c == 0 else angle_c / math.sin(angle_c)
    x = (a[0], b[0] - a[0], c[0] - a[0])
    y = (a[1], b[1] - a[1], c[1] - a[1])
    z = (a[2], b[2] - a[2], c[2] - a[2])
    r = (ra, rb - ra, rc - ra)
    return (
        0.5 * _dot(_cross(y, z), r),
        0.5 * _dot(_cross(z, x), r),
        0.5 * _dot(_cross(r, x), y),
    )


def _edge_centroid(a: Vec, b: Vec) -> Vec:
    """The centroid of edge ab times its length (S2::TrueCentroid of an edge)."""
    vdiff, vsum = _sub(a, b), _add(a, b)
    sin2, cos2 = _dot(vdiff, vdiff), _dot(vsum, vsum)
    if cos2 == 0:
        return (0.0, 0.0, 0.0)
    return _mul(vsum, math.sqrt(sin2 / cos2))


def _surface_integral(
    loop: Sequence[Vec], f_tri: Callable[[Vec, Vec, Vec], Any], zero: Any, plus: Callable[..., Any]
) -> Any:
    """S2Loop::GetSurfaceIntegral: a fan of triangles from vertex 0, moving the fan's origin
    whenever an edge of the fan would be numerically unstable."""
    total = zero
    v0 = loop[0]
    origin = v0
    for i in range(1, len(loop) - 1):
        if angle(loop[i + 1], origin) > _MAX_EDGE:
            old = origin
            if origin == v0:
                origin = _unit(_robust_cross(v0, loop[i]))
            elif angle(loop[i], v0) < _MAX_EDGE:
                origin = v0
            else:
                origin = _cross(v0, old)
                total = plus(total, f_tri(v0, old, origin))
            total = plus(total, f_tri(old, loop[i], origin))
        total = plus(total, f_tri(origin, loop[i], loop[i + 1]))
    if origin != v0:
        total = plus(total, f_tri(origin, loop[-1], v0))
    return total


def loop_signed_area(loop: Sequence[Vec]) -> float:
    return float(_surface_integral(loop, _signed_area, 0.0, lambda s, t: s + t))


def loop_centroid(loop: Sequence[Vec]) -> Vec:
    result: Vec = _surface_integral(loop, _true_centroid, (0.0, 0.0, 0.0), _add)
    return result


# ------------------------------------------------------------------ geometries


class Loop:
    """A polygon ring: the smaller of the two regions its vertices bound (S2Loop, normalized)."""

    def __init__(self, vertices: list[Vec]) -> None:
        signed = loop_signed_area(vertices)
        # A clockwise ring bounds the larger region on its left: S2 inverts it.
        self.vertices = vertices if signed >= 0 else vertices[::-1]
        self.area = abs(signed)
        self._inside_point: Vec | None = None

    def edges(self) -> Iterable[tuple[Vec, Vec]]:
        vs = self.vertices
        return zip(vs, vs[1:] + vs[:1])

    def _reference(self) -> Vec:
        """A point inside the loop: just left of the middle of its first (counterclockwise)
        edge, closer to it than to any other edge in practice."""
        if self._inside_point is None:
            a, b = self.vertices[0], self.vertices[1]
            eps = min(1e-7, 1e-3 * min(angle(p, q) for p, q in self.edges()))
            left = _mul(_unit(_edge_normal(a, b)), eps)
            self._inside_point = _unit(_add(_unit(_add(a, b)), left))
        return self._inside_point

    def contains(self, p: Vec) -> bool:
        """Crossing parity along the geodesic from the reference point to p."""
        inside = True
        ref = self._reference()
        for a, b in self.edges():
            if _crosses(ref, p, a, b):
                inside = not inside
        return inside

    def centroid(self) -> Vec:
        return loop_centroid(self.vertices)

    def perimeter(self) -> float:
        return sum(angle(a, b) for a, b in self.edges())


class Polygon:
    """A shell and its holes."""

    def __init__(self, rings: list[Ring]) -> None:
        self.rings = rings
        self.loops = [Loop([to_vec(*p) for p in ring[:-1]]) for ring in rings]

    def contains(self, p: Vec) -> bool:
        inside = False
        for loop in self.loops:
            if loop.contains(p):
                inside = not inside
        return inside

    def area(self) -> float:
        shell, *holes = self.loops
        return shell.area - sum(h.area for h in holes)

    def centroid(self) -> Vec:
        shell, *holes = self.loops
        c = shell.centroid()
        for h in holes:
            c = _sub(c, h.centroid())
        return c

    def edges(self) -> Iterable[tuple[Vec, Vec]]:
        for loop in self.loops:
            yield from loop.edges()


def polygon_distance(polygons: Sequence[Polygon], p: Vec) -> float:
    if any(poly.contains(p) for poly in polygons):
        return 0.0
    return min(edge_distance(p, a, b) for poly in polygons for a, b in poly.edges())


def polyline_edges(lines: Sequence[list[Vec]]) -> Iterable[tuple[Vec, Vec]]:
    for line in lines:
        yield from itertools.pairwise(line)


# ------------------------------------------------------------------ GeoJSON input


def _number(v: Any) -> float:
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise Invalid("not a number")
    f = float(v)
    if not math.isfinite(f):
        raise Invalid("not finite")
    return f


def check_lnglat(lng: float | None, lat: float | None) -> LngLat:
    if lng is None or lat is None:
        raise Invalid("null coordinate")
    if not (math.isfinite(lng) and math.isfinite(lat)):
        raise Invalid("not finite")
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise Invalid("coordinate out of range")
    return (float(lng), float(lat))


def _position(v: Any) -> LngLat:
    if not isinstance(v, list) or len(v) != 2:
        raise Invalid("a position is [longitude, latitude]")
    return check_lnglat(_number(v[0]), _number(v[1]))


def _positions(v: Any) -> list[LngLat]:
    if not isinstance(v, list):
        raise Invalid("expected an array of positions")
    return [_position(p) for p in v]


def _line(v: Any) -> list[LngLat]:
    line = _positions(v)
    if len(line) < 2:
        raise Invalid("a line has at least two positions")
    _check_edges(line)
    return line


def _ring(v: Any) -> Ring:
    ring = _positions(v)
    if len(ring) < 4 or ring[0] != ring[-1]:
        raise Invalid("a ring is closed and has at least four positions")
    vertices = [to_vec(*p) for p in ring[:-1]]
    if len(set(vertices)) != len(vertices):
        raise Invalid("ring vertices must be distinct")
    _check_edges(ring)
    return ring


def _check_edges(points: Sequence[LngLat]) -> None:
    vs = [to_vec(*p) for p in points]
    for a, b in itertools.pairwise(vs):
        if a != b and _norm(_robust_cross(a, b)) == 0:
            raise Invalid("antipodal edge")


def load(text: str | None) -> Any:
    if text is None:
        raise Invalid("null")
    return json.loads(text)


def _typed(obj: Any, *types: str) -> tuple[str, Any]:
    if not isinstance(obj, dict) or obj.get("type") not in types or "coordinates" not in obj:
        raise Invalid(f"expected a GeoJSON {' or '.join(types)}")
    return obj["type"], obj["coordinates"]


def parse_lines(text: str | None) -> list[list[LngLat]]:
    """A LineString or MultiLineString as a list of lines."""
    kind, coords = _typed(load(text), "LineString", "MultiLineString")
    if kind == "LineString":
        return [_line(coords)]
    if not isinstance(coords, list) or not coords:
        raise Invalid("empty MultiLineString")
    return [_line(c) for c in coords]


def _polygon_rings(coords: Any) -> list[Ring]:
    if not isinstance(coords, list) or not coords:
        raise Invalid("a polygon has a shell")
    rings = [_ring(r) for r in coords]
    _check_no_crossings(rings)
    return rings


def _lng_spans(a: LngLat, b: LngLat) -> list[tuple[float, float]]:
    """The longitudes a geodesic edge covers (monotonic along an edge shorter than 180
    degrees), split at the antimeridian."""
    lo, hi = min(a[0], b[0]), max(a[0], b[0])
    if hi - lo <= 180:
        return [(lo, hi)]
    return [(-180.0, lo), (hi, 180.0)]


def _strictly_crosses(a: Vec, b: Vec, c: Vec, d: Vec) -> bool:
    """A proper crossing of edges ab and cd: touching at a vertex is allowed."""
    n_cd, n_ab = _unit(_edge_normal(c, d)), _unit(_edge_normal(a, b))
    s_a, s_b = _dot(n_cd, a), _dot(n_cd, b)  # sines of the distances to the great circles
    t_c, t_d = _dot(n_ab, c), _dot(n_ab, d)
    if min(abs(s_a), abs(s_b), abs(t_c), abs(t_d)) <= 1e-15:
        return False
    return (s_a > 0) != (s_b > 0) and (t_d > 0) == (s_a > 0) and (t_c > 0) == (s_b > 0)


def _check_no_crossings(rings: list[Ring]) -> None:
    """S2 rejects polygons whose edges cross (within a ring or between its rings)."""
    edges = []
    for r, ring in enumerate(rings):
        n = len(ring) - 1
        for i in range(n):
            a, b = ring[i], ring[i + 1]
            for lo, hi in _lng_spans(a, b):
                edges.append((lo, hi, r, i, n, to_vec(*a), to_vec(*b)))
    edges.sort(key=lambda e: e[0])
    active: list[tuple[float, float, int, int, int, Vec, Vec]] = []
    for e in edges:
        active = [x for x in active if x[1] >= e[0]]
        for x in active:
            same_ring = x[2] == e[2]
            if same_ring and (abs(x[3] - e[3]) in (0, 1) or abs(x[3] - e[3]) == e[4] - 1):
                continue  # adjacent edges share a vertex
            if _strictly_crosses(x[5], x[6], e[5], e[6]):
                raise Invalid("polygon edges cross")
        active.append(e)


def parse_polygons(text: str | None) -> list[list[Ring]]:
    """A Polygon or MultiPolygon as a list of polygons (lists of rings: shell, holes)."""
    kind, coords = _typed(load(text), "Polygon", "MultiPolygon")
    if kind == "Polygon":
        return [_polygon_rings(coords)]
    if not isinstance(coords, list) or not coords:
        raise Invalid("empty MultiPolygon")
    return [_polygon_rings(c) for c in coords]


@lru_cache(maxsize=256)
def prepared_polygons(text: str) -> tuple[Polygon, ...]:
    """Parsed and prepared polygons, cached: a query usually passes one polygon to every row."""
    return tuple(Polygon(rings) for rings in parse_polygons(text))


@lru_cache(maxsize=256)
def prepared_lines(text: str) -> tuple[list[Vec], ...]:
    return tuple([to_vec(*p) for p in line] for line in parse_lines(text))


def polygons_of(text: str | None) -> tuple[Polygon, ...]:
    if text is None:
        raise Invalid("null")
    return prepared_polygons(text)


def lines_of(text: str | None) -> tuple[list[Vec], ...]:
    if text is None:
        raise Invalid("null")
    return prepared_lines(text)


# ------------------------------------------------------------------ GeoJSON output


def dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"))


def _num_out(v: float) -> float | int:
    return int(v) if v.is_integer() and abs(v) < 2**53 else v


def _pos(p: LngLat) -> list[float | int]:
    """A GeoJSON position; integral values print without a fraction, as Kusto's do."""
    return [_num_out(p[0]), _num_out(p[1])]


def point_json(p: LngLat) -> str:
    return dumps({"type": "Point", "coordinates": _pos(p)})


def vec_point_json(v: Vec) -> str:
    return point_json(to_lnglat(_unit(v)))


def polygon_json(rings: Sequence[Sequence[LngLat]]) -> str:
    return dumps({"type": "Polygon", "coordinates": [[_pos(p) for p in r] for r in rings]})


# ------------------------------------------------------------------ geohash

_GEOHASH = "0123456789bcdefghjkmnpqrstuvwxyz"
_GEOHASH_INDEX = {c: i for i, c in enumerate(_GEOHASH)}


def geohash_encode(lng: float, lat: float, length: int) -> str:
    lo_lng, hi_lng, lo_lat, hi_lat = -180.0, 180.0, -90.0, 90.0
    chars: list[str] = []
    even, bit, value = True, 0, 0
    while len(chars) < length:
        if even:
            mid = (lo_lng + hi_lng) / 2
            value = value * 2 + (lng >= mid)
            lo_lng, hi_lng = (mid, hi_lng) if lng >= mid else (lo_lng, mid)
        else:
            mid = (lo_lat + hi_lat) / 2
            value = value * 2 + (lat >= mid)
            lo_lat, hi_lat = (mid, hi_lat) if lat >= mid else (lo_lat, mid)
        even = not even
        bit += 1
        if bit == 5:
            chars.append(_GEOHASH[value])
            bit, value = 0, 0
    return "".join(chars)


def geohash_box(code: str | None) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a geohash."""
    if not isinstance(code, str) or not 1 <= len(code) <= 18:
        raise Invalid("a geohash has 1 to 18 characters")
    lo_lng, hi_lng, lo_lat, hi_lat = -180.0, 180.0, -90.0, 90.0
    even = True
    for ch in code:
        value = _GEOHASH_INDEX.get(ch)
        if value is None:
            raise Invalid("not a geohash character")
        for shift in range(4, -1, -1):
            bit = (value >> shift) & 1
            if even:
                mid = (lo_lng + hi_lng) / 2
                lo_lng, hi_lng = (mid, hi_lng) if bit else (lo_lng, mid)
            else:
                mid = (lo_lat + hi_lat) / 2
                lo_lat, hi_lat = (mid, hi_lat) if bit else (lo_lat, mid)
            even = not even
    return lo_lng, lo_lat, hi_lng, hi_lat


def point_to_geohash(lng: float | None, lat: float | None, accuracy: int | None = 5) -> str:
    lng, lat = check_lnglat(lng, lat)
    if accuracy is None or not 1 <= accuracy <= 18:
        return ""
    return geohash_encode(lng, lat, accuracy)


def geohash_to_central_point(code: str | None) -> str:
    west, south, east, north = geohash_box(code)
    return point_json(((west + east) / 2, (south + north) / 2))


def geohash_to_polygon(code: str | None) -> str:
    west, south, east, north = geohash_box(code)
    return polygon_json(
        [[(west, south), (east, south), (east, north), (west, north), (west, south)]]
    )


# Kusto's order of the eight neighbors, as (east, north) steps
_GEOHASH_STEPS = ((-1, -1), (-1, 1), (1, -1), (0, 1), (-1, 0), (1, 1), (1, 0), (0, -1))


def geohash_neighbors(code: str | None) -> str:
    west, south, east, north = geohash_box(code)
    assert code is not None
    width, height = east - west, north - south
    lng, lat = (west + east) / 2, (south + north) / 2
    out: list[str] = []
    for de, dn in _GEOHASH_STEPS:
        nlat = lat + dn * height
        if not -90 < nlat < 90:
            continue
        nlng = (lng + de * width + 180) % 360 - 180
        cell = geohash_encode(nlng, nlat, len(code))
        if cell != code and cell not in out:
            out.append(cell)
    return dumps(out)


# ------------------------------------------------------------------ H3


def _h3() -> Any:
    import h3  # type: ignore[import-untyped]

    return h3


def _h3_cell(cell: str | None) -> str:
    if not isinstance(cell, str) or not _h3().is_valid_cell(cell):
        raise Invalid("not an H3 cell")
    return cell


def point_to_h3cell(lng: float | None, lat: float | None, resolution: int | None = 6) -> str:
    lng, lat = check_lnglat(lng, lat)
    if resolution is None or not 0 <= resolution <= 15:
        return ""
    return str(_h3().latlng_to_cell(lat, lng, resolution))


def h3cell_to_central_point(cell: str | None) -> str:
    lat, lng = _h3().cell_to_latlng(_h3_cell(cell))
    return point_json((lng, lat))


def h3cell_to_polygon(cell: str | None) -> str:
    ring = [(lng, lat) for lat, lng in _h3().cell_to_boundary(_h3_cell(cell))]
    return polygon_json([ring + ring[:1]])


def h3cell_level(cell: str | None) -> int:
    return int(_h3().get_resolution(_h3_cell(cell)))


_OMITTED: Any = object()  # an optional argument the query left out


def h3cell_parent(cell: str | None, resolution: int | None = _OMITTED) -> str:
    h3 = _h3()
    try:
        level = h3.get_resolution(_h3_cell(cell))
    except Invalid:
        return ""
    if resolution is _OMITTED:
        resolution = level - 1
    if resolution is None or not 0 <= resolution <= level:
        return ""
    return str(h3.cell_to_parent(cell, resolution))


def h3cell_children(cell: str | None, resolution: int | None = _OMITTED) -> str | None:
    h3 = _h3()
    level = h3.get_resolution(_h3_cell(cell))
    if resolution is _OMITTED:
        resolution = level + 1
    if resolution is None or not level <= resolution <= 15 or resolution - level > 5:
        return None
    return dumps(list(h3.cell_to_children(cell, resolution)))


def h3cell_neighbors(cell: str | None) -> str:
    cell = _h3_cell(cell)
    return dumps([c for c in _h3().grid_disk(cell, 1) if c != cell])


def h3cell_rings(cell: str | None, distance: int | None) -> str | None:
    h3 = _h3()
    cell = _h3_cell(cell)
    if distance is None or not 0 <= distance <= 142:
        return None
    disk = h3.grid_disk(cell, distance)
    rings: list[list[str]] = [[] for _ in range(distance + 1)]
    if len(disk) == 1 + 3 * distance * (distance + 1):  # no pentagon: the disk is ring by ring
        start = 0
        for k in range(distance + 1):
            size = 6 * k if k else 1
            rings[k] = list(disk[start : start + size])
            start += size
    else:
        for c in disk:
            try:
                rings[h3.grid_distance(cell, c)].append(c)
            except h3.H3BaseException:
                continue  # pentagonal distortion: the cell is left out, as Kusto does
    return dumps(rings)


# ------------------------------------------------------------------ S2 cells


def _s2() -> Any:
    import s2sphere  # type: ignore[import-untyped]

    return s2sphere


def _s2_cell(token: str | None) -> Any:
    s2 = _s2()
    if not isinstance(token, str) or not 1 <= len(token) <= 16:
        raise Invalid("not an S2 token")
    if any(c not in "0123456789abcdefABCDEF" for c in token):
        raise Invalid("not an S2 token")
    cell_id = s2.CellId.from_token(token)
    if not cell_id.is_valid():
        raise Invalid("not an S2 cell")
    return cell_id


def s2_point_to_lnglat(p: Any) -> LngLat:
    ll = _s2().LatLng.from_point(p)
    return (ll.lng().degrees, ll.lat().degrees)


def s2_cell_id(lng: float, lat: float, level: int) -> Any:
    s2 = _s2()
    return s2.CellId.from_lat_lng(s2.LatLng.from_degrees(lat, lng)).parent(level)


def point_to_s2cell(lng: float | None, lat: float | None, level: int | None = 11) -> str:
    lng, lat = check_lnglat(lng, lat)
    if level is None or not 0 <= level <= 30:
        return ""
    return str(s2_cell_id(lng, lat, level).to_token())


def s2cell_to_central_point(token: str | None) -> str:
    return point_json(s2_point_to_lnglat(_s2_cell(token).to_point()))


def s2cell_to_polygon(token: str | None) -> str:
    cell = _s2().Cell(_s2_cell(token))
    ring = [s2_point_to_lnglat(cell.get_vertex(i)) for i in range(4)]
    return polygon_json([ring + ring[:1]])


# Kusto lists the eight neighbors in this order of S2CellId::AppendAllNeighbors' output
# (observed on the documented example; AppendAllNeighbors works in (i, j) cell coordinates).
_S2_NEIGHBOR_ORDER = (7, 0, 1, 2, 3, 5, 4, 6)


def s2cell_neighbors(token: str | None) -> str:
    cell_id = _s2_cell(token)
    tokens = [n.to_token() for n in cell_id.get_all_neighbors(cell_id.level())]
    if len(tokens) == len(_S2_NEIGHBOR_ORDER):
        tokens = [tokens[i] for i in _S2_NEIGHBOR_ORDER]
    return dumps(tokens)


# ------------------------------------------------------------------ points


def _point(lng: float | None, lat: float | None) -> Vec:
    return to_vec(*check_lnglat(lng, lat))


def distance_2points(
    lng1: float | None,
    lat1: float | None,
    lng2: float | None,
    lat2: float | None,
    use_spheroid: bool | None = False,
) -> float:
    (lng1, lat1), (lng2, lat2) = check_lnglat(lng1, lat1), check_lnglat(lng2, lat2)
    if use_spheroid is None:
        raise Invalid("null use_spheroid")
    if use_spheroid:
        return float(_geod().inv(lng1, lat1, lng2, lat2)[2])
    return haversine(lng1, lat1, lng2, lat2) * EARTH_RADIUS


def haversine(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    """The angle between two points (S2LatLng::GetDistance)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dlat = math.sin(0.5 * (phi2 - phi1))
    dlng = math.sin(0.5 * (math.radians(lng2) - math.radians(lng1)))
    x = dlat * dlat + dlng * dlng * math.cos(phi1) * math.cos(phi2)
    return 2 * math.asin(math.sqrt(min(1.0, x)))


@lru_cache(maxsize=1)
def _geod() -> Any:
    import pyproj  # type: ignore[import-untyped]

    return pyproj.Geod(ellps="WGS84")


def point_in_circle(
    lng: float | None,
    lat: float | None,
    center_lng: float | None,
    center_lat: float | None,
    radius: float | None,
) -> bool:
    (lng, lat), (clng, clat) = check_lnglat(lng, lat), check_lnglat(center_lng, center_lat)
    if radius is None or not radius > 0 or not math.isfinite(radius):
        raise Invalid("the radius must be positive")
    return haversine(lng, lat, clng, clat) * EARTH_RADIUS <= radius


def _azimuth(a: LngLat, b: LngLat) -> float:
    """The initial bearing from a to b, clockwise from north, in [0, 2pi)."""
    if to_vec(*a) == to_vec(*b) or _norm(_robust_cross(to_vec(*a), to_vec(*b))) == 0:
        raise Invalid("equal or antipodal points")
    phi1, phi2 = math.radians(a[1]), math.radians(b[1])
    dlng = math.radians(b[0] - a[0])
    y = math.sin(dlng) * math.cos(phi2)
    x = math.cos(phi1) * math.sin(phi2) - math.sin(phi1) * math.cos(phi2) * math.cos(dlng)
    return math.atan2(y, x) % (2 * math.pi)


def azimuth(
    lng1: float | None, lat1: float | None, lng2: float | None, lat2: float | None
) -> float:
    return _azimuth(check_lnglat(lng1, lat1), check_lnglat(lng2, lat2))


def angle_3points(
    lng1: float | None,
    lat1: float | None,
    lng2: float | None,
    lat2: float | None,
    lng3: float | None,
    lat3: float | None,
) -> float:
    p1, p2, p3 = check_lnglat(lng1, lat1), check_lnglat(lng2, lat2), check_lnglat(lng3, lat3)
    return (_azimuth(p2, p3) - _azimuth(p2, p1)) % (2 * math.pi)


# ------------------------------------------------------------------ lines


def _edges(lines: Sequence[list[Vec]]) -> list[tuple[Vec, Vec]]:
    return list(polyline_edges(lines))


def distance_point_to_line(lng: float | None, lat: float | None, line: str | None) -> float:
    x = _point(lng, lat)
    return min(edge_distance(x, a, b) for a, b in _edges(lines_of(line))) * EARTH_RADIUS


def closest_point_on_line(lng: float | None, lat: float | None, line: str | None) -> str:
    x = _point(lng, lat)
    a, b = min(_edges(lines_of(line)), key=lambda e: edge_distance(x, *e))
    return vec_point_json(project_to_edge(x, a, b))


def line_length(line: str | None) -> float:
    return sum(angle(a, b) for a, b in _dissolved_edges(line)) * EARTH_RADIUS


def line_centroid(line: str | None) -> str:
    total: Vec = (0.0, 0.0, 0.0)
    for a, b in _dissolved_edges(line):
        total = _add(total, _edge_centroid(a, b))
    if _norm(total) == 0:
        raise Invalid("a line of zero length has no centroid")
    return vec_point_json(total)


def _dissolved_edges(line: str | None) -> list[tuple[Vec, Vec]]:
    """The edges of a (multi)line with overlaps counted once: Kusto measures the union of a
    multiline's lines. Lines that do not fit in a hemisphere are measured as they are."""
    lines = lines_of(line)
    if len(lines) == 1:
        return _edges(lines)
    shp = _shapely()
    try:
        plane = Plane(p for ln in lines for p in ln)
    except Invalid:
        return _edges(lines)
    union = shp.unary_union(shp.MultiLineString([[plane.fwd(p) for p in ln] for ln in lines]))
    return [
        (plane.vec(a), plane.vec(b))
        for part in shp.get_parts(union)
        for a, b in itertools.pairwise(part.coords)
    ]


def _single_line(line: str | None) -> list[Vec]:
    lines = lines_of(line)
    if len(lines) != 1:
        raise Invalid("expected one line")
    return lines[0]


def line_interpolate_point(line: str | None, fraction: float | None) -> str:
    """S2Polyline::Interpolate: the point at `fraction` of the line's length."""
    vs = _single_line(line)
    if fraction is None or not 0 <= fraction <= 1:
        raise Invalid("the fraction is in [0, 1]")
    if fraction == 0:
        return vec_point_json(vs[0])
    lengths = [angle(a, b) for a, b in itertools.pairwise(vs)]
    target = fraction * sum(lengths)
    for (a, b), length in zip(itertools.pairwise(vs), lengths):
        if target < length:
            return vec_point_json(point_on_edge(a, b, target))
        target -= length
    return vec_point_json(vs[-1])


def line_locate_point(
    line: str | None, lng: float | None, lat: float | None, use_spheroid: bool | None = False
) -> float:
    """S2Polyline::UnInterpolate(Project(point)): the fraction of the line's length before
    the point of the line closest to the given point. On the spheroid, the lengths are
    ellipsoidal (the closest point is still found on the sphere)."""
    vs = _single_line(line)
    x = _point(lng, lat)
    if use_spheroid is None:
        raise Invalid("null use_spheroid")
    edges = list(itertools.pairwise(vs))
    i = min(range(len(edges)), key=lambda k: edge_distance(x, *edges[k]))
    closest = project_to_edge(x, *edges[i])
    length = _ellipsoidal_angle if use_spheroid else angle
    lengths = [length(a, b) for a, b in edges]
    total = sum(lengths)
    if total == 0:
        return 0.0
    return min(1.0, (sum(lengths[:i]) + length(edges[i][0], closest)) / total)


def _ellipsoidal_angle(a: Vec, b: Vec) -> float:
    """The WGS-84 geodesic distance between two points, in Earth radii."""
    (lng1, lat1), (lng2, lat2) = to_lnglat(a), to_lnglat(b)
    return float(_geod().inv(lng1, lat1, lng2, lat2)[2]) / EARTH_RADIUS


# ------------------------------------------------------------------ polygons (measures)


def point_in_polygon(lng: float | None, lat: float | None, polygon: str | None) -> bool:
    x = _point(lng, lat)
    return any(p.contains(x) for p in polygons_of(polygon))


def distance_point_to_polygon(lng: float | None, lat: float | None, polygon: str | None) -> float:
    return polygon_distance(polygons_of(polygon), _point(lng, lat)) * EARTH_RADIUS


def closest_point_on_polygon(lng: float | None, lat: float | None, polygon: str | None) -> str:
    x = _point(lng, lat)
    polygons = polygons_of(polygon)
    if any(p.contains(x) for p in polygons):
        return vec_point_json(x)
    edges = [e for p in polygons for e in p.edges()]
    a, b = min(edges, key=lambda e: edge_distance(x, *e))
    return vec_point_json(project_to_edge(x, a, b))


def polygon_area(polygon: str | None) -> float:
    return sum(p.area() for p in _dissolved(polygon)) * EARTH_RADIUS**2


def polygon_perimeter(polygon: str | None) -> float:
    return sum(loop.perimeter() for p in _dissolved(polygon) for loop in p.loops) * EARTH_RADIUS


def polygon_centroid(polygon: str | None) -> str:
    total: Vec = (0.0, 0.0, 0.0)
    for p in _dissolved(polygon):
        total = _add(total, p.centroid())
    return vec_point_json(total)


def _dissolved(polygon: str | None) -> tuple[Polygon, ...]:
    """The polygons of a (multi)polygon with overlapping members merged: Kusto measures the
    union of a multipolygon's polygons."""
    polygons = polygons_of(polygon)
    if len(polygons) == 1:
        return polygons
    return tuple(Polygon(rings) for rings in union_polygon_rings([p.rings for p in polygons]))


# ------------------------------------------------------------------ overlays on a gnomonic plane
#
# The gnomonic projection centered on the inputs maps great circles to straight lines, so
# shapely's planar overlay of the projected shapes is the spherical overlay. Kusto's results
# come from S2 (S2BooleanOperation, S2Builder), whose vertex order is reproduced: each output
# loop is rotated as S2Builder's CanonicalizeLoopOrder does (the edge from the input edge with
# the highest id last, loops traced from the vertex with the smallest S2 cell id), and unions of
# many polygons pair the smallest first, as S2Polygon::DestructiveUnion does.

XY = tuple[float, float]
_MIN_COS = 0.01  # vertices within ~89.4 degrees of the projection center


class Plane:
    """A gnomonic projection. Projected input vertices map back to their exact coordinates."""

    def __init__(self, points: Iterable[Vec]) -> None:
        pts = list(points)
        center = _unit(_mul(_sum(pts), 1.0 / max(1, len(pts))))
        axis = min(
            ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), key=lambda e: abs(_dot(e, center))
        )
        self.center = center
        self.e1 = _unit(_cross(center, axis))
        self.e2 = _cross(center, self.e1)
        self._exact: dict[XY, LngLat] = {}
        for p in pts:
            if _dot(p, center) < _MIN_COS:
                raise Invalid("the shapes do not fit in a hemisphere")

    def fwd(self, v: Vec) -> XY:
        d = _dot(v, self.center)
        if d < _MIN_COS:
            raise Invalid("the shapes do not fit in a hemisphere")
        return (_dot(v, self.e1) / d, _dot(v, self.e2) / d)

    def fwd_ll(self, p: LngLat) -> XY:
        xy = self.fwd(to_vec(*p))
        self._exact.setdefault(xy, p)
        return xy

    def vec(self, xy: XY) -> Vec:
        return _unit(_add(self.center, _add(_mul(self.e1, xy[0]), _mul(self.e2, xy[1]))))

    def inv(self, xy: XY) -> LngLat:
        exact = self._exact.get((xy[0], xy[1]))
        return exact if exact is not None else to_lnglat(self.vec(xy))


def _sum(vs: Sequence[Vec]) -> Vec:
    total: Vec = (0.0, 0.0, 0.0)
    for v in vs:
        total = _add(total, v)
    if _norm(total) == 0:
        raise Invalid("the shapes do not fit in a hemisphere")
    return total


def _shapely() -> Any:
    import shapely  # type: ignore[import-untyped]

    return shapely


class S2Shape:
    """Polygons as S2 holds them: loops in S2Polygon order (each shell followed by its holes),
    every loop counterclockwise around its own region, vertices in S2's order (plane points)."""

    def __init__(self, loops: list[list[XY]], holes: list[bool]) -> None:
        self.loops = loops
        self.holes = holes

    @staticmethod
    def from_rings(plane: Plane, polygons: Sequence[Sequence[Ring]]) -> S2Shape:
        loops: list[list[XY]] = []
        holes: list[bool] = []
        for rings in polygons:
            for i, ring in enumerate(rings):
                pts = [plane.fwd_ll(p) for p in ring[:-1]]
                loops.append(pts if _planar_area(pts) > 0 else pts[::-1])  # S2Loop::Normalize
                holes.append(i > 0)
        return S2Shape(loops, holes)

    def input_edges(self) -> list[tuple[XY, XY]]:
        """The edges in S2Polygon::Shape order: hole loops are walked backwards."""
        out: list[tuple[XY, XY]] = []
        for loop, hole in zip(self.loops, self.holes):
            vs = loop[::-1] if hole else loop
            out.extend(zip(vs, vs[1:] + vs[:1]))
        return out

    def geometry(self) -> Any:
        shp = _shapely()
        polys: list[tuple[list[XY], list[list[XY]]]] = []
        for loop, hole in zip(self.loops, self.holes):
            if hole and polys:
                shell, inner = polys[-1]
                polys[-1] = (shell, [*inner, loop])
            else:
                polys.append((loop, []))
        return shp.MultiPolygon([shp.Polygon(s, h) for s, h in polys])

    def num_vertices(self) -> int:
        return sum(len(loop) for loop in self.loops)


def _planar_area(pts: Sequence[XY]) -> float:
    return 0.5 * sum(
        x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(pts, list(pts[1:]) + list(pts[:1]))
    )


def _cell_key(plane: Plane, xy: XY) -> int:
    s2 = _s2()
    x, y, z = plane.vec(xy)
    return int(s2.CellId.from_point(s2.Point(x, y, z)).id())


def _on_segment(p: XY, a: XY, b: XY, tol: float) -> bool:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy)
    if length == 0:
        return False
    if abs(dx * (p[1] - a[1]) - dy * (p[0] - a[0])) > tol * length:
        return False
    t = (dx * (p[0] - a[0]) + dy * (p[1] - a[1])) / (length * length)
    return -tol / length <= t <= 1 + tol / length


def _edge_ids(loop: list[XY], inputs: list[tuple[XY, XY]], tol: float) -> list[int]:
    """For each edge of `loop`, the smallest id of the input edges it lies on (in either
    direction): S2Builder's GetMinInputEdgeIds."""
    exact: dict[tuple[XY, XY], int] = {}
    for i, (a, b) in enumerate(inputs):
        exact.setdefault((a, b), i)
        exact.setdefault((b, a), i)
    ids = []
    for p, q in zip(loop, loop[1:] + loop[:1]):
        found = exact.get((p, q))
        if found is None:  # a piece of a split input edge
            found = next(
                (
                    i
                    for i, (a, b) in enumerate(inputs)
                    if _on_segment(p, a, b, tol) and _on_segment(q, a, b, tol)
                ),
                len(inputs),
            )
        ids.append(found)
    return ids


def _canonical(
    plane: Plane, loop: list[XY], inputs: list[tuple[XY, XY]], tol: float
) -> tuple[list[XY], tuple[int, int]]:
    """S2Builder's loop order: traced from the vertex with the smallest S2 cell id, then
    rotated so that the first run of the edges with the highest input id comes last. Also the
    loop's sort key (S2Builder sorts loops by the input id of their first edge)."""
    keys = [_cell_key(plane, p) for p in loop]
    start = keys.index(min(keys))
    loop, keys = loop[start:] + loop[:start], keys[start:] + keys[:start]
    ids = _edge_ids(loop, inputs, tol)
    pos, saw_gap = 0, False
    for i in range(1, len(ids)):
        cmp = ids[i] - ids[pos]
        if cmp < 0:
            saw_gap = True
        elif cmp > 0 or not saw_gap:
            pos, saw_gap = i, False
    pos = (pos + 1) % len(loop)
    return loop[pos:] + loop[:pos], (ids[pos], keys[pos])


def _s2_result(plane: Plane, geom: Any, inputs: list[tuple[XY, XY]], tol: float) -> S2Shape:
    """The polygons of a shapely result as S2's polygon layer orders them: loops sorted by the
    input id of their first edge, each shell followed by its holes (S2Polygon::InitNested)."""
    shp = _shapely()
    traced: list[tuple[tuple[int, int], list[XY], bool, int]] = []  # key, loop, hole, polygon
    polys = [g for g in shp.get_parts(geom) if g.geom_type == "Polygon" and not g.is_empty]
    for n, poly in enumerate(polys):
        poly = shp.geometry.polygon.orient(poly, 1.0)
        rings = [(poly.exterior, False)] + [(r, True) for r in poly.interiors]
        for ring, hole in rings:
            pts = [(float(x), float(y)) for x, y in list(ring.coords)[:-1]]
            if hole:
                pts = pts[::-1]  # traced with the polygon's interior on the left
            loop, key = _canonical(plane, pts, inputs, tol)
            if hole:
                loop = loop[::-1]  # S2Polygon::InitOriented inverts holes
            traced.append((key, loop, hole, n))
    traced.sort(key=lambda t: t[0])
    loops: list[list[XY]] = []
    holes: list[bool] = []
    for shell in (t for t in traced if not t[2]):
        loops.append(shell[1])
        holes.append(False)
        for t in traced:
            if t[2] and t[3] == shell[3]:
                loops.append(t[1])
                holes.append(True)
    return S2Shape(loops, holes)


def _tolerance(*shapes: S2Shape) -> float:
    coords = [abs(c) for s in shapes for loop in s.loops for p in loop for c in p]
    return 1e-9 * max(coords, default=1.0) + 1e-15


def s2_overlay(plane: Plane, op: str, a: S2Shape, b: S2Shape) -> tuple[S2Shape, Any]:
    """A polygon boolean operation as S2Polygon::InitTo<op>(a, b): the polygons in S2's order,
    and shapely's full result (lower dimensional parts included)."""
    shp = _shapely()
    ga, gb = a.geometry(), b.geometry()
    result = {"union": shp.union, "intersection": shp.intersection}[op](ga, gb)
    inputs = a.input_edges() + b.input_edges()
    return _s2_result(plane, result, inputs, _tolerance(a, b)), result


def destructive_union(plane: Plane, shapes: list[S2Shape]) -> S2Shape:
    """S2Polygon::DestructiveUnion: repeatedly unite the two polygons with fewest vertices."""
    queue = [(s.num_vertices(), i, s) for i, s in enumerate(shapes)]
    counter = len(queue)
    while len(queue) > 1:
        queue.sort(key=lambda t: (t[0], t[1]))
        (na, _, a), (nb, _, b) = queue[0], queue[1]
        united, _ = s2_overlay(plane, "union", a, b)
        queue = [*queue[2:], (na + nb, counter, united)]
        counter += 1
    return queue[0][2]


def _ring_out(plane: Plane, loop: list[XY], hole: bool) -> list[LngLat]:
    pts = [plane.inv(p) for p in (loop[::-1] if hole else loop)]
    return pts + pts[:1]


def shape_geojson(plane: Plane, shape: S2Shape) -> dict[str, Any] | None:
    """A Polygon or MultiPolygon (holes clockwise), None when empty."""
    polys: list[list[list[LngLat]]] = []
    for loop, hole in zip(shape.loops, shape.holes):
        ring = _ring_out(plane, loop, hole)
        if hole and polys:
            polys[-1].append(ring)
        else:
            polys.append([ring])
    if not polys:
        return None
    coords = [[[_pos(p) for p in r] for r in poly] for poly in polys]
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


def union_polygon_rings(polygons: list[list[Ring]]) -> list[list[Ring]]:
    """The union of polygons, as lists of rings (shell, holes)."""
    plane = Plane(to_vec(*p) for rings in polygons for ring in rings for p in ring)
    shape = destructive_union(plane, [S2Shape.from_rings(plane, [rings]) for rings in polygons])
    out: list[list[Ring]] = []
    for loop, hole in zip(shape.loops, shape.holes):
        ring = _ring_out(plane, loop, hole)
        if hole and out:
            out[-1].append(ring)
        else:
            out.append([ring])
    return out


def _loads_array(text: str | None) -> list[str]:
    """The members of a dynamic array, each as JSON text."""
    arr = load(text)
    if not isinstance(arr, list) or not arr:
        raise Invalid("expected a non-empty array")
    return [dumps(item) for item in arr]


def _plane_for(*groups: Iterable[LngLat]) -> Plane:
    return Plane(to_vec(*p) for g in groups for p in g)


def _ring_points(polygons: Sequence[Sequence[Ring]]) -> list[LngLat]:
    return [p for rings in polygons for ring in rings for p in ring]


def _line_points(lines: Sequence[Sequence[LngLat]]) -> list[LngLat]:
    return [p for line in lines for p in line]


def _xy_lngxy(plane: Plane, coords: Iterable[Sequence[float]]) -> list[list[float]]:
    return [_pos(plane.inv((float(c[0]), float(c[1])))) for c in coords]


def _points_geojson(coords: list[list[float]]) -> dict[str, Any]:
    if len(coords) == 1:
        return {"type": "Point", "coordinates": coords[0]}
    return {"type": "MultiPoint", "coordinates": coords}


def _lines_geojson(coords: list[list[list[float]]]) -> dict[str, Any]:
    if len(coords) == 1:
        return {"type": "LineString", "coordinates": coords[0]}
    return {"type": "MultiLineString", "coordinates": coords}


def _lower_dims_geojson(plane: Plane, geom: Any) -> list[dict[str, Any]]:
    """The points and lines of a shapely result, as GeoJSON (points first)."""
    shp = _shapely()
    parts = list(shp.get_parts(geom))
    points = [p for p in parts if p.geom_type == "Point" and not p.is_empty]
    lines = [g for g in parts if g.geom_type in ("LineString", "LinearRing") and not g.is_empty]
    if len(lines) > 1:
        lines = list(shp.get_parts(shp.line_merge(shp.MultiLineString(lines))))
    out: list[dict[str, Any]] = []
    if points:
        out.append(_points_geojson([_xy_lngxy(plane, p.coords)[0] for p in points]))
    if lines:
        out.append(_lines_geojson([_xy_lngxy(plane, g.coords) for g in lines]))
    return out


def _collection(parts: list[dict[str, Any]]) -> str:
    """One shape, or a GeometryCollection of several (empty when there is none)."""
    if len(parts) == 1:
        return dumps(parts[0])
    return dumps({"type": "GeometryCollection", "geometries": parts})


def union_polygons_array(polygons: str | None) -> str:
    members = [parse_polygons(text) for text in _loads_array(polygons)]
    plane = _plane_for(*(_ring_points(m) for m in members))
    shape = destructive_union(plane, [S2Shape.from_rings(plane, m) for m in members])
    out = shape_geojson(plane, shape)
    return _collection([out] if out is not None else [])


def _two_polygons(polygon1: str | None, polygon2: str | None) -> tuple[Plane, S2Shape, S2Shape]:
    p1, p2 = parse_polygons(polygon1), parse_polygons(polygon2)
    plane = _plane_for(_ring_points(p1), _ring_points(p2))
    return plane, S2Shape.from_rings(plane, p1), S2Shape.from_rings(plane, p2)


def intersection_2polygons(polygon1: str | None, polygon2: str | None) -> str:
    plane, a, b = _two_polygons(polygon1, polygon2)
    shape, result = s2_overlay(plane, "intersection", a, b)
    poly = shape_geojson(plane, shape)
    return _collection(_lower_dims_geojson(plane, result) + ([poly] if poly is not None else []))


def intersects_2polygons(polygon1: str | None, polygon2: str | None) -> bool:
    _, a, b = _two_polygons(polygon1, polygon2)
    return bool(a.geometry().intersects(b.geometry()))


def _plane_lines(plane: Plane, lines: Sequence[Sequence[LngLat]]) -> Any:
    shp = _shapely()
    return shp.MultiLineString([[plane.fwd_ll(p) for p in line] for line in lines])


def _two_lines(line1: str | None, line2: str | None) -> tuple[Plane, Any, Any]:
    l1, l2 = parse_lines(line1), parse_lines(line2)
    plane = _plane_for(_line_points(l1), _line_points(l2))
    return plane, _plane_lines(plane, l1), _plane_lines(plane, l2)


def intersection_2lines(line1: str | None, line2: str | None) -> str:
    plane, a, b = _two_lines(line1, line2)
    return _collection(_lower_dims_geojson(plane, a.intersection(b)))


def intersects_2lines(line1: str | None, line2: str | None) -> bool:
    _, a, b = _two_lines(line1, line2)
    return bool(a.intersects(b))


def _line_and_polygon(line: str | None, polygon: str | None) -> tuple[Plane, Any, S2Shape]:
    lines, polys = parse_lines(line), parse_polygons(polygon)
    plane = _plane_for(_line_points(lines), _ring_points(polys))
    return plane, _plane_lines(plane, lines), S2Shape.from_rings(plane, polys)


def intersection_line_with_polygon(line: str | None, polygon: str | None) -> str:
    """S2Polygon::IntersectWithPolyline: the pieces of the line inside the polygon, in the
    line's order and direction."""
    shp = _shapely()
    plane, lines, shape = _line_and_polygon(line, polygon)
    area = shape.geometry()
    pieces: list[tuple[int, float, list[list[float]]]] = []
    points: list[list[float]] = []
    for n, part in enumerate(shp.get_parts(lines)):
        for g in shp.get_parts(part.intersection(area)):
            if g.geom_type == "Point":
                points.extend(_xy_lngxy(plane, g.coords))
            elif g.geom_type == "LineString" and not g.is_empty:
                coords = list(g.coords)
                start, end = (part.project(shp.Point(c)) for c in (coords[0], coords[-1]))
                if start > end:
                    coords.reverse()
                pieces.append((n, min(start, end), _xy_lngxy(plane, coords)))
    parts: list[dict[str, Any]] = []
    if points:
        parts.append(_points_geojson(points))
    if pieces:
        parts.append(_lines_geojson([c for _, _, c in sorted(pieces, key=lambda t: t[:2])]))
    return _collection(parts)


def intersects_line_with_polygon(line: str | None, polygon: str | None) -> bool:
    _, lines, shape = _line_and_polygon(line, polygon)
    return bool(lines.intersects(shape.geometry()))


def union_lines_array(lines: str | None) -> str:
    shp = _shapely()
    members = [parse_lines(text) for text in _loads_array(lines)]
    plane = _plane_for(*(_line_points(m) for m in members))
    union = shp.unary_union([_plane_lines(plane, m) for m in members])
    merged = shp.line_merge(union) if union.geom_type == "MultiLineString" else union
    return dumps(_lines_geojson([_xy_lngxy(plane, g.coords) for g in shp.get_parts(merged)]))


# ------------------------------------------------------------------ densify (S2EdgeTessellator)

_INTERPOLATION_FRACTION = 0.31215691082248312
_TESSELLATION_SCALE = 0.83829992569888509
_MAX_DENSIFIED = 10485760


def _chord2(a: Vec, b: Vec) -> float:
    d = _sub(a, b)
    return _dot(d, d)


def _interpolate(a: Vec, b: Vec, t: float) -> Vec:
    return point_on_edge(a, b, t * angle(a, b))


class _Tessellator:
    """S2EdgeTessellator::AppendUnprojected with the plate carree projection: a planar
    (lng, lat) edge becomes a chain of geodesics within `tolerance` meters of it."""

    def __init__(self, tolerance: float, wrap: bool) -> None:
        a = _TESSELLATION_SCALE * max(tolerance / EARTH_RADIUS, 1e-13)
        self.max_chord2 = 4 * math.sin(0.5 * min(math.pi, a)) ** 2
        self.wrap = wrap

    @staticmethod
    def unproject(p: LngLat) -> Vec:
        return to_vec(math.remainder(p[0], 360.0), p[1])

    def _error_too_big(self, pa: LngLat, a: Vec, pb: LngLat, b: Vec) -> bool:
        if _dot(a, b) < -1e-14:
            return True
        for t in (_INTERPOLATION_FRACTION, 1 - _INTERPOLATION_FRACTION):
            mid = _interpolate(a, b, t)
            pmid = self.unproject(((1 - t) * pa[0] + t * pb[0], (1 - t) * pa[1] + t * pb[1]))
            if _chord2(mid, pmid) > self.max_chord2:
                return True
        return False

    def append(self, pa: LngLat, pb: LngLat, out: list[LngLat]) -> None:
        if self.wrap and abs(pb[0] - pa[0]) > 180:
            pb = (pb[0] - 360.0 if pb[0] > pa[0] else pb[0] + 360.0, pb[1])
        self._append(pa, self.unproject(pa), pb, self.unproject(pb), out, 0)

    def _append(
        self, pa: LngLat, a: Vec, pb: LngLat, b: Vec, out: list[LngLat], depth: int
    ) -> None:
        if depth > 60 or not self._error_too_big(pa, a, pb, b):
            out.append((math.remainder(pb[0], 360.0), pb[1]))
            if len(out) > _MAX_DENSIFIED:
                raise Invalid("too many points")
            return
        pmid = (0.5 * (pa[0] + pb[0]), 0.5 * (pa[1] + pb[1]))
        mid = self.unproject(pmid)
        self._append(pa, a, pmid, mid, out, depth + 1)
        self._append(pmid, mid, pb, b, out, depth + 1)

    def chain(self, points: Sequence[LngLat]) -> list[LngLat]:
        out = [points[0]]
        for pa, pb in itertools.pairwise(points):
            self.append(pa, pb, out)
            out[-1] = pb  # the input vertex itself, not its round trip
        return out


def _tessellator(tolerance: float | None, preserve_crossing: bool | None) -> _Tessellator:
    if tolerance is None or not 0.1 <= tolerance <= 10000 or preserve_crossing is None:
        raise Invalid("the tolerance is in [0.1, 10000] meters")
    return _Tessellator(tolerance, bool(preserve_crossing))


def line_densify(
    line: str | None, tolerance: float | None = 10.0, preserve_crossing: bool | None = False
) -> str:
    kind, _ = _typed(load(line), "LineString", "MultiLineString")
    lines = parse_lines(line)
    tess = _tessellator(tolerance, preserve_crossing)
    out = [[_pos(p) for p in tess.chain(ln)] for ln in lines]
    if kind == "LineString":
        return dumps({"type": "LineString", "coordinates": out[0]})
    return dumps({"type": "MultiLineString", "coordinates": out})


def polygon_densify(
    polygon: str | None, tolerance: float | None = 10.0, preserve_crossing: bool | None = False
) -> str:
    kind, _ = _typed(load(polygon), "Polygon", "MultiPolygon")
    polygons = parse_polygons(polygon)
    tess = _tessellator(tolerance, preserve_crossing)
    out = [[[_pos(p) for p in tess.chain(ring)] for ring in rings] for rings in polygons]
    if kind == "Polygon":
        return dumps({"type": "Polygon", "coordinates": out[0]})
    return dumps({"type": "MultiPolygon", "coordinates": out})


# ------------------------------------------------------------------ simplify (S2Builder snapping)


class _SiteIndex:
    """Points bucketed by S2 cells at least `radius` wide, for "is any point within radius"
    queries (the cell and its neighbors hold every candidate)."""

    def __init__(self, radius: float) -> None:
        # S2's min cell width at level L is about 0.9428 * 2^-L
        level = math.floor(math.log2(0.9428 / radius)) if radius > 0 else 30
        self.level = max(0, min(30, level))
        self.buckets: dict[int, list[Vec]] = {}

    def _cell(self, p: Vec) -> Any:
        s2 = _s2()
        return s2.CellId.from_point(s2.Point(*p)).parent(self.level)

    def add(self, p: Vec) -> None:
        self.buckets.setdefault(self._cell(p).id(), []).append(p)

    def near(self, p: Vec) -> list[Vec]:
        if self.level == 0:  # faces: every point is a candidate
            return [q for bucket in self.buckets.values() for q in bucket]
        cell = self._cell(p)
        cells = [cell, *cell.get_all_neighbors(self.level)]
        return [q for c in cells for q in self.buckets.get(c.id(), [])]


def _choose_sites(points: Iterable[Vec], radius: float) -> _SiteIndex:
    """S2Builder's Voronoi sites: vertices in S2 cell order, each kept unless within the snap
    radius of a site already chosen."""
    s2 = _s2()
    keyed = sorted(
        {p: int(s2.CellId.from_point(s2.Point(*p)).id()) for p in points}.items(),
        key=lambda kv: (kv[1], kv[0]),
    )
    sites = _SiteIndex(radius)
    for p, _ in keyed:
        if all(angle(p, s) > radius for s in sites.near(p)):
            sites.add(p)
    return sites


def _snap(p: Vec, sites: _SiteIndex) -> Vec:
    return min(sites.near(p), key=lambda s: angle(p, s))


class _DirectionWindow:
    """The directions from `src` of the geodesics that pass within `radius` of every target
    point so far (S2PolylineSimplifier's window), as an interval of angles."""

    def __init__(self, src: Vec, radius: float) -> None:
        axis = min(
            ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), key=lambda e: abs(_dot(e, src))
        )
        self.src, self.radius = src, radius
        self.e1 = _unit(_cross(src, axis))
        self.e2 = _cross(src, self.e1)
        self.lo, self.hi = -math.inf, math.inf

    def _direction(self, p: Vec) -> float:
        return math.atan2(_dot(p, self.e2), _dot(p, self.e1))

    def target(self, p: Vec) -> None:
        d = angle(self.src, p)
        if d <= self.radius:
            return
        if d >= math.pi / 2:
            self.lo, self.hi = math.inf, -math.inf  # S2 does not simplify such long edges
            return
        c, w = self._direction(p), math.asin(math.sin(self.radius) / math.sin(d))
        if math.isfinite(self.lo):
            c += 2 * math.pi * round(((self.lo + self.hi) / 2 - c) / (2 * math.pi))
        self.lo, self.hi = max(self.lo, c - w), min(self.hi, c + w)

    def allows(self, p: Vec) -> bool:
        if not self.lo <= self.hi:
            return False
        if not math.isfinite(self.lo):
            return True
        c = self._direction(p)
        c += 2 * math.pi * round(((self.lo + self.hi) / 2 - c) / (2 * math.pi))
        return self.lo <= c <= self.hi


def _simplify_chain(
    chain: list[Vec], originals: list[list[Vec]], radius: float, closed: bool
) -> list[Vec]:
    """Drop chain vertices while the shortcut edge passes within `radius` of the vertices it
    replaces and of the input vertices that snapped to them (S2Builder's
    simplify_edge_chains)."""
    if closed:
        chain = chain + chain[:1]
        originals = originals + originals[:1]
    out = [chain[0]]
    i = 0
    while i < len(chain) - 1:
        window = _DirectionWindow(chain[i], radius)
        j = i + 1
        while j + 1 < len(chain):
            for v in [chain[j], *originals[j]]:
                window.target(v)
            if not window.allows(chain[j + 1]):
                break
            j += 1
        out.append(chain[j])
        i = j
    return out[:-1] if closed else out


def _snapped(
    points: list[Vec], sites: _SiteIndex, closed: bool
) -> tuple[list[Vec], list[list[Vec]]]:
    """The points snapped to their sites, consecutive repeats merged; with the input points that
    snapped to each."""
    chain: list[Vec] = []
    originals: list[list[Vec]] = []
    for p in points:
        s = _snap(p, sites)
        if chain and chain[-1] == s:
            originals[-1].append(p)
        else:
            chain.append(s)
            originals.append([p])
    if closed and len(chain) > 1 and chain[0] == chain[-1]:
        originals[0] = originals.pop() + originals[0]
        chain.pop()
    return chain, originals


def _simplify_tolerance(tolerance: float | None) -> float:
    if tolerance is None or not 0 <= tolerance <= 7_800_000 or not math.isfinite(tolerance):
        raise Invalid("the tolerance is in [0, ~7,800,000] meters")
    return tolerance / EARTH_RADIUS


def line_simplify(line: str | None, tolerance: float | None = 10.0) -> str:
    radius = _simplify_tolerance(tolerance)
    lines = parse_lines(line)
    exact = {to_vec(*p): p for ln in lines for p in ln}
    sites = _choose_sites(exact, radius)
    out = []
    for ln in lines:
        chain, originals = _snapped([to_vec(*p) for p in ln], sites, closed=False)
        if len(chain) < 2:
            continue
        simplified = _simplify_chain(chain, originals, radius, False)
        out.append([_pos(exact.get(v) or to_lnglat(v)) for v in simplified])
    if not out:
        raise Invalid("the line vanished")
    if len(out) == 1:
        return dumps({"type": "LineString", "coordinates": out[0]})
    return dumps({"type": "MultiLineString", "coordinates": out})


def _simplified_polygons(
    groups: Sequence[Sequence[Ring]], radius: float
) -> list[list[list[LngLat]]]:
    exact = {to_vec(*p): p for rings in groups for ring in rings for p in ring}
    sites = _choose_sites(exact, radius)
    out: list[list[list[LngLat]]] = []
    for rings in groups:
        kept: list[list[LngLat]] = []
        for i, ring in enumerate(rings):
            chain, originals = _snapped([to_vec(*p) for p in ring[:-1]], sites, closed=True)
            loop = _simplify_chain(chain, originals, radius, True) if len(chain) >= 3 else []
            if len(loop) < 3:
                if i == 0:
                    break  # the shell vanished, and its holes with it
                continue
            pts = [exact.get(v) or to_lnglat(v) for v in loop]
            kept.append(pts + pts[:1])
        if kept:
            out.append(kept)
    return out


def _polygons_geojson(polys: list[list[list[LngLat]]]) -> str:
    if not polys:
        raise Invalid("the polygon vanished")
    coords = [[[_pos(p) for p in r] for r in poly] for poly in polys]
    if len(coords) == 1:
        return dumps({"type": "Polygon", "coordinates": coords[0]})
    return dumps({"type": "MultiPolygon", "coordinates": coords})


def polygon_simplify(polygon: str | None, tolerance: float | None = 10.0) -> str:
    radius = _simplify_tolerance(tolerance)
    return _polygons_geojson(_simplified_polygons(parse_polygons(polygon), radius))


def simplify_polygons_array(polygons: str | None, tolerance: float | None = 10.0) -> str:
    radius = _simplify_tolerance(tolerance)
    groups = [rings for text in _loads_array(polygons) for rings in parse_polygons(text)]
    return _polygons_geojson(_simplified_polygons(groups, radius))


# ------------------------------------------------------------------ WKT


def from_wkt(wkt: str | None) -> str:
    shp = _shapely()
    if not isinstance(wkt, str):
        raise Invalid("null")
    geom = shp.from_wkt(wkt)
    if geom.is_empty or shp.has_z(geom):
        raise Invalid("empty or 3D geometry")
    return dumps(_geojson_of(geom))


def _coords_of(seq: Any) -> list[list[float]]:
    out = []
    for c in seq.coords:
        lng, lat = check_lnglat(float(c[0]), float(c[1]))
        out.append(_pos((lng, lat)))
    return out


def _geojson_of(geom: Any) -> dict[str, Any]:
    kind = geom.geom_type
    if kind == "Point":
        return {"type": kind, "coordinates": _coords_of(geom)[0]}
    if kind == "LineString":
        return {"type": kind, "coordinates": _coords_of(geom)}
    if kind == "Polygon":
        rings = [geom.exterior, *geom.interiors]
        return {"type": kind, "coordinates": [_coords_of(r) for r in rings]}
    if kind == "GeometryCollection":
        return {"type": kind, "geometries": [_geojson_of(g) for g in geom.geoms]}
    parts = [_geojson_of(g)["coordinates"] for g in geom.geoms]
    return {"type": kind, "coordinates": parts}


# ------------------------------------------------------------------ buffers


class _Aeqd:
    """An azimuthal equidistant projection (radians) around `center`: distances from the
    center are exact, others approximate."""

    def __init__(self, center: Vec) -> None:
        self.center = center
        axis = min(
            ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)), key=lambda e: abs(_dot(e, center))
        )
        self.e1 = _unit(_cross(center, axis))
        self.e2 = _cross(center, self.e1)

    def fwd(self, v: Vec) -> XY:
        r = angle(self.center, v)
        if r == 0:
            return (0.0, 0.0)
        t = _sub(v, _mul(self.center, _dot(v, self.center)))
        n = _norm(t)
        return (r * _dot(t, self.e1) / n, r * _dot(t, self.e2) / n)

    def inv(self, xy: XY) -> LngLat:
        r = math.hypot(*xy)
        if r == 0:
            return to_lnglat(self.center)
        d = _add(_mul(self.e1, xy[0] / r), _mul(self.e2, xy[1] / r))
        return to_lnglat(_unit(_add(_mul(self.center, math.cos(r)), _mul(d, math.sin(r)))))


def _buffer_args(radius: float | None, tolerance: float | None) -> tuple[float, float]:
    if radius is None or tolerance is None or not math.isfinite(radius) or not radius > 0:
        raise Invalid("the radius must be positive")
    if not math.isfinite(tolerance) or tolerance < radius * 1e-6:
        raise Invalid("the tolerance must be at least 0.0001% of the radius")
    return radius, min(tolerance, radius * 0.999)


def _quad_segs(radius: float, tolerance: float) -> int:
    step = 2 * math.acos(max(-1.0, 1 - tolerance / radius))
    return max(1, min(4096, math.ceil((math.pi / 2) / step)))


def _buffered(shapes: list[Any], proj: _Aeqd, radius: float, tolerance: float) -> str:
    shp = _shapely()
    r = radius / EARTH_RADIUS
    geom = shp.union_all([g.buffer(r, quad_segs=_quad_segs(radius, tolerance)) for g in shapes])
    polys: list[list[list[LngLat]]] = []
    for poly in shp.get_parts(geom):
        poly = shp.geometry.polygon.orient(poly, 1.0)
        rings = [poly.exterior, *poly.interiors]
        polys.append([[proj.inv((float(x), float(y))) for x, y in ring.coords] for ring in rings])
    return _polygons_geojson(polys)


def point_buffer(
    lng: float | None, lat: float | None, radius: float | None, tolerance: float | None = 10.0
) -> str:
    center = _point(lng, lat)
    radius, tolerance = _buffer_args(radius, tolerance)
    return _buffered([_shapely().Point(0.0, 0.0)], _Aeqd(center), radius, tolerance)


def line_buffer(line: str | None, radius: float | None, tolerance: float | None = 10.0) -> str:
    lines = lines_of(line)
    radius, tolerance = _buffer_args(radius, tolerance)
    proj = _Aeqd(_unit(_sum([p for ln in lines for p in ln])))
    shapes = [_shapely().LineString([proj.fwd(p) for p in ln]) for ln in lines]
    return _buffered(shapes, proj, radius, tolerance)


def polygon_buffer(
    polygon: str | None, radius: float | None, tolerance: float | None = 10.0
) -> str:
    shp = _shapely()
    polygons = polygons_of(polygon)
    radius, tolerance = _buffer_args(radius, tolerance)
    proj = _Aeqd(
        _unit(_sum([to_vec(*p) for poly in polygons for ring in poly.rings for p in ring]))
    )
    shapes = [
        shp.Polygon(
            [proj.fwd(to_vec(*p)) for p in poly.rings[0]],
            [[proj.fwd(to_vec(*p)) for p in r] for r in poly.rings[1:]],
        )
        for poly in polygons
    ]
    return _buffered(shapes, proj, radius, tolerance)


# ------------------------------------------------------------------ S2 coverings

_MAX_S2_CELLS = 65536
_S2_MAX_AREA = (
    2.635799256963161  # S2's kMaxArea derivative: max cell area at level L is this * 4^-L
)
_S2_MAX_DIAG = 2.438654594434021  # max cell diagonal at level L is this * 2^-L


class _Cap:
    def __init__(self, center: Vec, radius: float) -> None:
        self.center, self.radius = center, radius

    def near(self, other: _Cap, slack: float) -> bool:
        return angle(self.center, other.center) <= self.radius + other.radius + slack


def _cap_of(points: Sequence[Vec]) -> _Cap:
    center = _unit(_sum(points))
    return _Cap(center, max(angle(center, p) for p in points) + 1e-12)


class _Coverable:
    """The edges (and containment test) of a shape to cover with cells."""

    def __init__(self, edges: list[tuple[Vec, Vec]], polygons: Sequence[Polygon] = ()) -> None:
        self.edges = [(a, b, _Cap(_unit(_add(a, b)), 0.5 * angle(a, b) + 1e-12)) for a, b in edges]
        self.polygons = polygons
        self.cap = _cap_of([p for a, b in edges for p in (a, b)])

    def contains(self, p: Vec) -> bool:
        return any(poly.contains(p) for poly in self.polygons)


def _cell_vertices(cell_id: Any) -> list[Vec]:
    cell = _s2().Cell(cell_id)
    out = []
    for k in range(4):
        v = cell.get_vertex(k)
        out.append((float(v[0]), float(v[1]), float(v[2])))
    return out


def _in_cell(p: Vec, vs: list[Vec]) -> bool:
    return all(_dot(_cross(vs[k], vs[(k + 1) % 4]), p) >= 0 for k in range(4))


_Edge = tuple[Vec, Vec, _Cap]


def _classify(
    cell_id: Any, shape: _Coverable, edges: list[_Edge], radius: float
) -> tuple[int, list[_Edge]]:
    """0: the cell is away from the shape (beyond `radius`), 1: it meets the shape's boundary
    or lies within `radius` of it, 2: it is inside the shape. Also the edges near the cell
    (its children need look at no others)."""
    vs = _cell_vertices(cell_id)
    cap = _cap_of(vs)
    if not cap.near(shape.cap, radius):
        return 0, []
    near = [e for e in edges if cap.near(e[2], radius)]
    cell_edges = list(zip(vs, vs[1:] + vs[:1]))
    for a, b, _ in near:
        if _in_cell(a, vs) or any(_crosses(a, b, c, d) for c, d in cell_edges):
            return 1, near
        if radius > 0 and _edges_distance(a, b, cell_edges) <= radius:
            return 1, near
    if shape.polygons and shape.contains(_unit(_sum(vs))):
        return 2, near
    return 0, near


def _edges_distance(a: Vec, b: Vec, others: list[tuple[Vec, Vec]]) -> float:
    """The distance between edge ab and edges that do not cross it."""
    best = math.inf
    for c, d in others:
        best = min(best, edge_distance(a, c, d), edge_distance(b, c, d))
        best = min(best, edge_distance(c, a, b), edge_distance(d, a, b))
    return best


def s2_covering(shape: _Coverable, level: int, radius: float) -> list[str]:
    s2 = _s2()
    out: list[str] = []

    def emit_all(cell_id: Any) -> None:
        if len(out) + 4 ** (level - cell_id.level()) > _MAX_S2_CELLS:
            raise Invalid("too many cells")
        c = cell_id.child_begin(level)
        end = cell_id.child_end(level)
        while c != end:
            out.append(c.to_token())
            c = c.next()

    def visit(cell_id: Any, edges: list[_Edge]) -> None:
        kind, near = _classify(cell_id, shape, edges, radius)
        if kind == 2:
            emit_all(cell_id)
        elif kind == 1:
            if cell_id.level() == level:
                out.append(cell_id.to_token())
                if len(out) > _MAX_S2_CELLS:
                    raise Invalid("too many cells")
            else:
                for child in cell_id.children():
                    visit(child, near)

    for face in range(6):
        visit(s2.CellId.from_face_pos_level(face, 0, 0), shape.edges)
    return out


def _covering_args(level: int | None, radius: float | None) -> tuple[int, float]:
    if level is None or not 0 <= level <= 30:
        raise Invalid("the level is in [0, 30]")
    if radius is None or not math.isfinite(radius) or radius < 0:
        raise Invalid("the radius must not be negative")
    return level, radius / EARTH_RADIUS


def polygon_to_s2cells(
    polygon: str | None, level: int | None = 11, radius: float | None = 0.0
) -> str:
    level, r = _covering_args(level, radius)
    polygons = polygons_of(polygon)
    area = sum(p.area() for p in polygons)
    if area / (_S2_MAX_AREA * 4.0**-level) > _MAX_S2_CELLS:
        raise Invalid("too many cells")
    edges = [e for p in polygons for e in p.edges()]
    return dumps(s2_covering(_Coverable(edges, polygons), level, r))


def line_to_s2cells(line: str | None, level: int | None = 11, radius: float | None = 0.0) -> str:
    level, r = _covering_args(level, radius)
    edges = _edges(lines_of(line))
    length = sum(angle(a, b) for a, b in edges)
    if length / (_S2_MAX_DIAG * 2.0**-level) > _MAX_S2_CELLS:
        raise Invalid("too many cells")
    return dumps(s2_covering(_Coverable(edges), level, r))


# ------------------------------------------------------------------ H3 polyfill

_MAX_H3_CELLS = 61680


def polygon_to_h3cells(
    polygon: str | None, resolution: int | None = 6, radius: float | None = 0.0
) -> str:
    h3 = _h3()
    if resolution is None or not 0 <= resolution <= 15:
        raise Invalid("the resolution is in [0, 15]")
    if radius is None or not math.isfinite(radius) or radius < 0:
        raise Invalid("the radius must not be negative")
    text = polygon if not radius else polygon_buffer(polygon, radius)
    cells: dict[str, None] = {}  # ordered and distinct
    for rings in parse_polygons(text):
        shell, *holes = ([(lat, lng) for lng, lat in ring[:-1]] for ring in rings)
        cells.update(dict.fromkeys(h3.polygon_to_cells(h3.LatLngPoly(shell, *holes), resolution)))
        if len(cells) > _MAX_H3_CELLS:
            raise Invalid("too many cells")
    return dumps(list(cells))
