#!/usr/bin/env python3
"""Checks a running yizhan server against its own /openapi.json.

1. The document is valid OpenAPI 3.1 (openapi-spec-validator, an independent implementation).
2. Each operation in `paths` is called for a couple of cases (success and typical errors); every answer must be
   documented: its status code is listed, its Content-Type is the documented media type, its body validates
   against the documented schema (jsonschema, draft 2020-12, formats checked), its documented headers are present,
   and its objects carry no property the schema does not name (so the spec cannot silently fall behind the code).
3. Every operation in the spec was exercised at least once.

Usage: check.py BASE_URL ADMIN_TOKEN. Prints one line per check and closes with `N passed, M failed[, K skipped]`.
"""

import gzip
import json
import re
import sys
import http.client
import urllib.error
import urllib.parse
import urllib.request

import jsonschema
from openapi_spec_validator import OpenAPIV31SpecValidator, validate

BASE, TOKEN = sys.argv[1].rstrip("/"), sys.argv[2]
passed = failed = skipped = 0
exercised = set()


def ok(name, cond, info=""):
    global passed, failed
    if cond:
        passed += 1
        print(f"ok   {name}")
    else:
        failed += 1
        print(f"FAIL {name} {info}"[:600])
    return cond


def skip(name, why):
    global skipped
    skipped += 1
    print(f"skip {name}: {why}")


class _OtherClient(http.client.HTTPConnection):
    """A connection from 127.0.0.2: another client address on the same loopback."""

    def __init__(self, *args, **kwargs):
        kwargs["source_address"] = ("127.0.0.2", 0)
        super().__init__(*args, **kwargs)


class _OtherClientHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_OtherClient, req)


# Requests without the admin token come from another address than the admin's: the server brakes a client
# after 10 failed authentications a minute (issue 19), and this checker sends more than 10 on purpose.
STRANGER = urllib.request.build_opener(_OtherClientHandler)


def http(method, path, body=None, headers=None):
    req = urllib.request.Request(BASE + path, data=body, method=method, headers=headers or {})
    admin = (headers or {}).get("Authorization") == f"Bearer {TOKEN}"
    try:
        with (urllib.request.urlopen if admin else STRANGER.open)(req, timeout=30) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


# ---------------------------------------------------------------------------------------------------------------
# 1. the document itself

status, hdrs, raw = http("GET", "/openapi.json")
if not ok("openapi.json is served as JSON", status == 200 and hdrs.get("content-type", "").startswith("application/json"), f"{status} {hdrs}"):
    print(f"{passed} passed, {failed} failed")
    sys.exit(1)
SPEC = json.loads(raw)
ok("openapi version is 3.1.x", str(SPEC.get("openapi", "")).startswith("3.1."), SPEC.get("openapi"))
try:
    validate(SPEC, cls=OpenAPIV31SpecValidator)
    ok("valid OpenAPI 3.1 (openapi-spec-validator)", True)
except Exception as e:  # noqa: BLE001 - any validation error is a failure to report
    ok("valid OpenAPI 3.1 (openapi-spec-validator)", False, str(e)[:2000])
ok("info.description documents the decisions", "Decisions where the contract is silent" in SPEC["info"].get("description", ""))

COMPONENTS = SPEC.get("components", {})
FORMATS = jsonschema.Draft202012Validator.FORMAT_CHECKER


def deref(node):
    while isinstance(node, dict) and "$ref" in node:
        ptr = node["$ref"][2:].split("/")
        node = SPEC
        for p in ptr:
            node = node[p.replace("~1", "/").replace("~0", "~")]
    return node


def validator_for(schema):
    # The schema is embedded in a document that also holds `components`, so `#/components/...` refs resolve.
    root = dict(schema)
    root["components"] = COMPONENTS
    return jsonschema.Draft202012Validator(root, format_checker=FORMATS)


def undocumented_keys(schema, inst, where="$"):
    """Object properties the schema does not name (following $ref, allOf, items, prefixItems)."""
    schema = deref(schema)
    out = []
    if not isinstance(schema, dict):
        return out
    if isinstance(inst, dict):
        props = {}
        for part in [schema] + [deref(s) for s in schema.get("allOf", [])]:
            props.update(part.get("properties", {}))
        if props and schema.get("additionalProperties", None) is None:
            out += [f"{where}.{k}" for k in inst if k not in props]
        for k, v in inst.items():
            if k in props:
                out += undocumented_keys(props[k], v, f"{where}.{k}")
    elif isinstance(inst, list):
        if "items" in schema:
            for i, v in enumerate(inst[:50]):
                out += undocumented_keys(schema["items"], v, f"{where}[{i}]")
    return out


def template_of(method, path):
    """The spec's path template that matches a concrete path: a literal path first, then templates."""
    bare, m = urllib.parse.urlsplit(path).path, method.lower()
    if m in SPEC["paths"].get(bare, {}):
        return bare
    for tpl, item in SPEC["paths"].items():
        rx = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(tpl)) + "$"
        if "{" in tpl and m in item and re.match(rx, bare):
            return tpl
    return None


def check(name, method, path, want, body=None, headers=None, in_spec=True):
    """Calls, then checks the answer against the spec. Returns (status, headers, parsed body)."""
    try:
        return _check(name, method, path, want, body, headers, in_spec)
    except Exception as e:  # noqa: BLE001 - a broken spec (say an unresolvable $ref) is a failure, not a crash
        ok(f"{name}: {method} {path[:70]}", False, f"{type(e).__name__}: {str(e)[:300]}")
        return 0, {}, None


def _check(name, method, path, want, body, headers, in_spec):
    status, hdrs, raw = http(method, path, body, headers)
    ctype = hdrs.get("content-type", "")
    parsed = None
    if raw and ("json" in ctype):
        try:
            parsed = json.loads(raw)
        except ValueError:
            pass
    label = f"{name}: {method} {path[:70]} -> {status}"
    if not ok(label, status == want, f"expected {want}; body {raw[:300]!r}"):
        return status, hdrs, parsed
    tpl = template_of(method, path)
    if not in_spec:
        # A method the path does not have: the answer is the generic 405 problem.
        problem = validator_for({"$ref": "#/components/schemas/Problem"})
        errs = [e.message for e in problem.iter_errors(parsed)] if parsed is not None else ["no JSON body"]
        ok(f"{label}: problem+json body", ctype.startswith("application/problem+json") and not errs, f"{ctype} {errs[:3]}")
        return status, hdrs, parsed
    if not ok(f"{label}: operation documented", tpl is not None):
        return status, hdrs, parsed
    exercised.add((method.upper(), tpl))
    op = SPEC["paths"][tpl][method.lower()]
    responses = op["responses"]
    if not ok(f"{label}: status documented", str(status) in responses, sorted(responses)):
        return status, hdrs, parsed
    resp = deref(responses[str(status)])
    for h in resp.get("headers", {}):
        ok(f"{label}: header {h}", any(k.lower() == h.lower() for k in hdrs), sorted(hdrs))
    content = resp.get("content")
    if not content:
        ok(f"{label}: no body", not raw, raw[:100])
        return status, hdrs, parsed
    essence = ctype.split(";")[0].strip()
    if not ok(f"{label}: Content-Type {essence} documented", essence in content, sorted(content)):
        return status, hdrs, parsed
    sch = content[essence].get("schema")
    if sch is None:
        return status, hdrs, parsed
    if "json" in essence:
        if not ok(f"{label}: body is JSON", parsed is not None, raw[:200]):
            return status, hdrs, parsed
        errs = sorted(validator_for(sch).iter_errors(parsed), key=lambda e: list(e.absolute_path))
        ok(f"{label}: body matches schema", not errs,
           "; ".join(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:160]}" for e in errs[:3]))
        extra = undocumented_keys(sch, parsed)
        ok(f"{label}: no undocumented properties", not extra, extra[:5])
    return status, hdrs, parsed


AUTH = {"Authorization": f"Bearer {TOKEN}"}

# ---------------------------------------------------------------------------------------------------------------
# 2. reads

s, h, fc = check("nearest", "GET", "/api/v1/stations/nearest?lat=39.9920&lon=116.4705&k=3", 200)
etag = h.get("etag")
if fc:
    ok("nearest: count and at most k features", fc.get("count") == len(fc["features"]) <= 3, fc.get("count"))
    ok("nearest: distance_m on every feature", all("distance_m" in f["properties"] for f in fc["features"]))
    ok("nearest: ETag is the dataset version", etag == f'"{fc["dataset_version"]}"', etag)
check("nearest gcj02", "GET", "/api/v1/stations/nearest?lat=39.9934&lon=116.4767&crs=gcj02&amenities=water,24h&open_now=true&at=2026-11-25T10:30:00%2B08:00", 200)
check("nearest revalidated", "GET", "/api/v1/stations/nearest?lat=39.99&lon=116.47", 304, headers={"If-None-Match": etag or '"x"'})
s, h, p = check("nearest k out of range", "GET", "/api/v1/stations/nearest?lat=39.99&lon=116.47&k=0", 400)
ok("nearest k out of range: names the parameter", (p or {}).get("parameter") == "k", p)
s, h, p = check("nearest parameter twice", "GET", "/api/v1/stations/nearest?lat=39.99&lon=116.47&k=1&k=2", 400)
ok("parameter twice: names it", (p or {}).get("parameter") == "k", p)
check("nearest missing lat", "GET", "/api/v1/stations/nearest?lon=116.47", 400)
s, h, p = check("nearest unknown amenity", "GET", "/api/v1/stations/nearest?lat=39.99&lon=116.47&amenities=unicorn", 400)
ok("unknown amenity: lists the valid ones", "water" in (p or {}).get("detail", "") and "24h" in (p or {}).get("detail", ""), p)

s, h, page = check("list", "GET", "/api/v1/stations?limit=3&offset=1", 200)
if page:
    ok("list: total and count", page.get("count") == len(page["features"]) and page.get("total", -1) >= page["count"], page.get("total"))
check("list bbox gcj02", "GET", "/api/v1/stations?bbox=116.3,39.85,116.5,40.0&crs=gcj02&q=%E9%A9%BF%E7%AB%99", 200)
check("list bad bbox", "GET", "/api/v1/stations?bbox=1,2,3", 400)
check("list limit too large", "GET", "/api/v1/stations?limit=100000", 400)

first_id = page["features"][0]["id"] if page and page.get("features") else None
if first_id:
    quoted = urllib.parse.quote(first_id, safe="")
    s, h, one = check("one", "GET", f"/api/v1/stations/{quoted}?crs=bd09", 200)
    ok("one: crs foreign member", (one or {}).get("crs") == "bd09", (one or {}).get("crs"))
check("one unknown", "GET", "/api/v1/stations/no-such-station", 404)

if http("GET", "/api/v1/stations/along?path=116.40,39.90;116.45,39.93")[0] == 404:
    skip("along", "GET /api/v1/stations/along is in the spec but this binary does not route it yet")
else:
    s, h, along = check("along", "GET", "/api/v1/stations/along?path=116.40,39.90;116.45,39.93;116.4705,39.992&max_distance_m=2000&limit=5", 200)
    if along:
        ok("along: along_m and distance_m", all({"along_m", "distance_m"} <= set(f["properties"]) for f in along["features"]))
        ok("along: ordered by along_m", [f["properties"]["along_m"] for f in along["features"]] == sorted(f["properties"]["along_m"] for f in along["features"]))
    check("along one point", "GET", "/api/v1/stations/along?path=116.40,39.90", 400)
    check("along too far", "GET", "/api/v1/stations/along?path=116.40,39.90;116.45,39.93&max_distance_m=5001", 400)

s, h, rows = check("amenities", "GET", "/api/v1/amenities", 200)
if rows:
    enum = deref({"$ref": "#/components/schemas/AmenityKey"})["enum"]
    ok("amenities: every key in the spec, then 24h", [r["key"] for r in rows] == enum + ["24h"], [r["key"] for r in rows])
    ok("amenities: 24h is filter_only", rows[-1].get("filter_only") is True)
check("amenities revalidated", "GET", "/api/v1/amenities", 304, headers={"If-None-Match": h.get("etag", "")})
check("healthz", "GET", "/healthz", 200)
check("config", "GET", "/api/v1/config", 200)
check("metrics", "GET", "/metrics", 200)
check("openapi", "GET", "/openapi.json", 200)
check("map page", "GET", "/", 200)
check("map page with a first answer", "GET", "/?lat=39.99&lon=116.47", 200)
check("admin page", "GET", "/admin", 200)
check("method not allowed", "PATCH", "/api/v1/stations", 405, in_spec=False)
s, h, _b = http("HEAD", "/api/v1/stations/nearest?lat=39.99&lon=116.47")
ok("HEAD on a GET route: 200 with ETag and no body", s == 200 and "etag" in h and not _b, f"{s} {h}")
s, h, _b = http("GET", "/no/such/path")
ok("unknown path: 404 problem+json", s == 404 and h.get("content-type", "").startswith("application/problem+json"), f"{s} {h}")
check("healthz never 304", "GET", "/healthz", 200, headers={"If-None-Match": "*"})

# ---------------------------------------------------------------------------------------------------------------
# 3. dataset download and admin

s, h, ds = check("dataset", "GET", "/api/v1/dataset", 200)
check("dataset revalidated", "GET", "/api/v1/dataset", 304, headers={"If-None-Match": h.get("etag", "")})
dataset_bytes = http("GET", "/api/v1/dataset")[2]
check("dataset csv", "GET", "/api/v1/dataset?format=csv", 200)
check("dataset unknown format", "GET", "/api/v1/dataset?format=xlsx", 400)

# Open data: the change feed, OGC API – Features, the station page.
token = h.get("etag", '""').strip('"')
s, h, cs = check("changes none", "GET", f"/api/v1/changes?since={token}", 200)
ok("changes none: empty", cs is not None and cs["upserted"]["features"] == [] and cs["removed"] == [], cs)
check("changes gone", "GET", "/api/v1/changes?since=0123456789abcdef", 410)
check("changes bad since", "GET", "/api/v1/changes?since=x", 400)
check("ogc landing", "GET", "/ogc", 200)
check("ogc conformance", "GET", "/ogc/conformance?f=json", 200)
check("ogc collections", "GET", "/ogc/collections", 200)
check("ogc collection", "GET", "/ogc/collections/stations", 200)
s, h, items = check("ogc items", "GET", "/ogc/collections/stations/items?limit=2&bbox=116,39,117,41", 200)
ok("ogc items: numberReturned", items is not None and items["numberReturned"] == len(items["features"]) <= 2, items and items.get("numberReturned"))
check("ogc items unknown parameter", "GET", "/ogc/collections/stations/items?crs=gcj02", 400)
if first_id:
    qid = urllib.parse.quote(first_id, safe="")
    check("ogc item", "GET", f"/ogc/collections/stations/items/{qid}", 200)
    check("station page", "GET", f"/s/{qid}", 200)
check("ogc item unknown", "GET", "/ogc/collections/stations/items/no-such-station", 404)
check("station page unknown", "GET", "/s/no-such-station", 404)

check("reports without token", "GET", "/api/v1/reports", 401)
check("reports wrong token", "GET", "/api/v1/reports", 401, headers={"Authorization": "Bearer wrong"})
s, h, att = check("attention", "GET", "/api/v1/attention?limit=5", 200, headers=AUTH)
ok("attention: at most limit unconfirmed, with the total", att is not None and len(att["unconfirmed"]) <= 5
   and att["unconfirmed_total"] >= len(att["unconfirmed"]), att)
check("attention without token", "GET", "/api/v1/attention", 401)
check("attention unknown parameter", "GET", "/api/v1/attention?days=3", 400, headers=AUTH)
geo = {"Content-Type": "application/geo+json"}
s, h, out = check("replace dry run (same data)", "PUT", "/api/v1/stations?dry_run=true", 200, dataset_bytes, {**AUTH, **geo})
if out and ds is not None:
    current = json.loads(http("GET", "/healthz")[2])["dataset_version"]
    ok("dry run of the downloaded dataset keeps the version", out.get("dataset_version") == current and out.get("dry_run") is True, out)
check("upsert gzip dry run", "POST", "/api/v1/stations?dry_run=true", 200, gzip.compress(dataset_bytes),
      {**AUTH, **geo, "Content-Encoding": "gzip"})
check("replace unsupported type", "PUT", "/api/v1/stations", 415, b"x", {**AUTH, "Content-Type": "text/plain"})
check("replace not JSON", "PUT", "/api/v1/stations", 400, b"{not json", {**AUTH, **geo})
bad = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "id": "a", "geometry": {"type": "Point", "coordinates": [200, 40]}, "properties": {"name": "x"}},
    {"type": "Feature", "id": "a", "geometry": {"type": "Point", "coordinates": [116, 40]}, "properties": {"name": "", "kind": "castle"}},
]}
s, h, p = check("replace invalid", "PUT", "/api/v1/stations", 422, json.dumps(bad).encode(), {**AUTH, **geo})
ok("invalid upload: all errors listed", len((p or {}).get("errors", [])) >= 3, p)
check("replace empty", "PUT", "/api/v1/stations", 422, b'{"type":"FeatureCollection","features":[]}', {**AUTH, **geo})
csv = "id,name,lon,lat,amenities,opening_hours\nopenapi-test-1,测试驿站,116.4,39.9,饮水;充电,24/7\n".encode()
s, h, p = check("upsert csv", "POST", "/api/v1/stations", 200, csv, {**AUTH, "Content-Type": "text/csv; charset=utf-8"})
bad_csv = "id,name,lon,lat\nx,,abc,39.9\n".encode()
s, h, p = check("upsert invalid csv", "POST", "/api/v1/stations", 422, bad_csv, {**AUTH, "Content-Type": "text/csv"})
ok("csv errors carry line", all("line" in e for e in (p or {}).get("errors", [{}])), p)
mp = {**AUTH, "Content-Type": "application/merge-patch+json"}
check("patch state", "PATCH", "/api/v1/stations/openapi-test-1", 200,
      json.dumps({"status": "temporarily_closed", "status_note": "维修", "reopens_on": "2099-01-01"}).encode(), mp)
check("patch station", "PATCH", "/api/v1/stations/openapi-test-1", 200, json.dumps({"phone": "010-1234 5678"}).encode(), mp)
check("patch invalid", "PATCH", "/api/v1/stations/openapi-test-1", 422, json.dumps({"name": ""}).encode(), mp)
check("patch read-only", "PATCH", "/api/v1/stations/openapi-test-1", 422, json.dumps({"open_now": True}).encode(), mp)
check("patch wrong type", "PATCH", "/api/v1/stations/openapi-test-1", 415, b"{}", {**AUTH, "Content-Type": "text/plain"})
check("patch unknown", "PATCH", "/api/v1/stations/no-such-station", 404, b"{}", mp)
check("patch without token", "PATCH", "/api/v1/stations/openapi-test-1", 401, b"{}", {"Content-Type": "application/json"})
check("one closed", "GET", "/api/v1/stations/openapi-test-1", 200)
check("delete", "DELETE", "/api/v1/stations/openapi-test-1", 200, headers=AUTH)
check("delete again", "DELETE", "/api/v1/stations/openapi-test-1", 404, headers=AUTH)
check("delete without token", "DELETE", "/api/v1/stations/openapi-test-1", 401)
s, h, vl = check("versions", "GET", "/api/v1/dataset/versions", 200, headers=AUTH)
if vl and vl.get("versions"):
    target = vl["current"]
    check("rollback", "POST", f"/api/v1/dataset/rollback?version={target}", 200, headers=AUTH)
check("rollback without version", "POST", "/api/v1/dataset/rollback", 400, headers=AUTH)
check("rollback unknown version", "POST", "/api/v1/dataset/rollback?version=0000000000000000", 404, headers=AUTH)

# The holiday calendar: read, revalidate, replace one year (admin), refuse bad dates.
# Demand and coverage insights (issue 18): the nearest queries above were counted.
for _ in range(5):
    check("nearest for insights", "GET", "/api/v1/stations/nearest?lat=39.9&lon=116.4", 200)
check("insights demand", "GET", "/api/v1/insights/demand", 200, headers=AUTH)
check("insights demand by hour", "GET", "/api/v1/insights/demand?hour_of_week=0&min_count=5", 200, headers=AUTH)
check("insights demand floor", "GET", "/api/v1/insights/demand?min_count=2", 400, headers=AUTH)
check("insights demand without token", "GET", "/api/v1/insights/demand", 401)
check("insights coverage", "GET", "/api/v1/insights/coverage", 200, headers=AUTH)
check("insights coverage unknown parameter", "GET", "/api/v1/insights/coverage?lat=1", 400, headers=AUTH)
s, h, cal = check("calendar", "GET", "/api/v1/calendar", 200)
check("calendar revalidated", "GET", "/api/v1/calendar", 304, headers={"If-None-Match": h.get("etag", "")})
js = {"Content-Type": "application/json"}
year = {"years": {"2027": {"holidays": ["2027-01-01"], "workdays": []}}}
check("calendar put", "PUT", "/api/v1/calendar", 200, json.dumps(year).encode(), {**AUTH, **js})
check("calendar put without token", "PUT", "/api/v1/calendar", 401, json.dumps(year).encode(), js)
bad_year = {"years": {"2027": {"holidays": ["2027-02-30"], "workdays": ["2027-01-04"]}}}
s, h, p = check("calendar put bad dates", "PUT", "/api/v1/calendar", 422, json.dumps(bad_year).encode(), {**AUTH, **js})
ok("calendar: every bad date listed", len((p or {}).get("errors", [])) == 2, p)
check("calendar put not JSON", "PUT", "/api/v1/calendar", 400, b"{", {**AUTH, **js})
check("calendar put text/plain", "PUT", "/api/v1/calendar", 415, b"{}", {**AUTH, "Content-Type": "text/plain"})

# ---------------------------------------------------------------------------------------------------------------
# 3b. hosts confirm their own station

if first_id:
    qid = urllib.parse.quote(first_id, safe="")
    check("confirm link without token", "GET", f"/api/v1/stations/{qid}/confirm-link", 401)
    check("confirm link unknown station", "GET", "/api/v1/stations/no-such-station/confirm-link", 404, headers=AUTH)
    s, h, cl = check("confirm link", "GET", f"/api/v1/stations/{qid}/confirm-link", 200, headers=AUTH)
    key = urllib.parse.parse_qs(urllib.parse.urlsplit((cl or {}).get("url", "")).query).get("key", [""])[0]
    check("host page", "GET", f"/c/{qid}?key={key}", 200)
    check("host page wrong key", "GET", f"/c/{qid}?key=wrong", 403)
    check("host page unknown station", "GET", "/c/no-such-station?key=x", 404)
    cpath = f"/api/v1/stations/{qid}/confirm"
    js = {"Content-Type": "application/json"}
    check("confirm", "POST", cpath, 200, json.dumps({"key": key, "status": "open"}).encode(), js)
    check("confirm wrong key", "POST", cpath, 403, b'{"key":"wrong","status":"open"}', js)
    check("confirm bad status", "POST", cpath, 422, json.dumps({"key": key, "status": "shut"}).encode(), js)
    check("confirm unknown field", "POST", cpath, 400, json.dumps({"key": key, "status": "open", "x": 1}).encode(), js)
    check("confirm not JSON", "POST", cpath, 415, b"key=x", {"Content-Type": "application/x-www-form-urlencoded"})
    check("confirm unknown station", "POST", "/api/v1/stations/no-such-station/confirm", 404, b'{"key":"x","status":"open"}', js)
    check("QR sheet", "GET", "/api/v1/qr-sheet?limit=2", 200, headers=AUTH)
    check("QR sheet without token", "GET", "/api/v1/qr-sheet", 401)
    check("QR sheet bad limit", "GET", "/api/v1/qr-sheet?limit=0", 400, headers=AUTH)
    check("QR sheet page", "GET", "/admin/qr", 200)

# ---------------------------------------------------------------------------------------------------------------
# 4. reports (last: they use up the rate limit)

if first_id:
    rpath = f"/api/v1/stations/{urllib.parse.quote(first_id, safe='')}/reports"
    js = {"Content-Type": "application/json"}
    s, h, made = check("report", "POST", rpath, 202, json.dumps({"reason": "amenity_missing", "comment": "没有充电器"}).encode(), js)
    # cases: the rider's ticket, an admin's change, the filtered list
    made = made or {}
    if made.get("ticket") and made.get("id"):
        tpath, cpath = f"/api/v1/tickets/{made['ticket']}", f"/api/v1/reports/{made['id']}"
        check("ticket", "GET", tpath, 200)
        check("ticket unknown", "GET", "/api/v1/tickets/0000-0000-0000", 404)
        mp = dict(AUTH, **{"Content-Type": "application/merge-patch+json"})
        check("case change", "PATCH", cpath, 200, json.dumps({"status": "in_progress", "reply": "在处理"}).encode(), mp)
        check("case unknown status", "PATCH", cpath, 422, b'{"status":"done"}', mp)
        check("case unknown", "PATCH", "/api/v1/reports/r999999", 404, b'{"status":"resolved"}', mp)
        check("case change without token", "PATCH", cpath, 401, b'{"status":"resolved"}', {"Content-Type": "application/json"})
        check("cases filtered", "GET", "/api/v1/reports?status=in_progress,resolved&limit=5", 200, headers=AUTH)
        check("cases bad status", "GET", "/api/v1/reports?status=open", 400, headers=AUTH)
    s, h, p = check("report bad reason", "POST", rpath, 400, b'{"reason":"bogus"}', js)
    ok("bad reason: names the parameter", (p or {}).get("parameter") == "reason", p)
    check("report unknown field", "POST", rpath, 400, b'{"reason":"other","x":1}', js)
    check("report unknown station", "POST", "/api/v1/stations/no-such-station/reports", 404, b'{"reason":"other"}', js)
    check("reports list", "GET", "/api/v1/reports", 200, headers=AUTH)
    limited = None
    for _ in range(30):
        st, hh, _b = http("POST", rpath, b'{"reason":"other"}', js)
        if st == 429:
            limited = True
            break
    if ok("report rate limit reached", limited):
        s, h, p = check("report rate-limited", "POST", rpath, 429, b'{"reason":"other"}', js)

# The audit trail: the changes above are in it, newest first. (Its 401 is checked in tests/api/tokens.rs: the
# stranger address has used its 10 failed logins a minute by now.)
s, h, aud = check("audit", "GET", "/api/v1/audit?limit=5", 200, headers=AUTH)
ok("audit: newest first, at most limit, with actors", isinstance(aud, list) and 0 < len(aud) <= 5
   and all(e.get("actor") for e in aud) and aud == sorted(aud, key=lambda e: e["at"], reverse=True), aud)
check("audit since", "GET", "/api/v1/audit?since=2000-01-01T00:00:00Z&actor=admin&offset=1", 200, headers=AUTH)
check("audit bad since", "GET", "/api/v1/audit?since=yesterday", 400, headers=AUTH)
check("audit unknown parameter", "GET", "/api/v1/audit?who=admin", 400, headers=AUTH)

# ---------------------------------------------------------------------------------------------------------------
# 5. coverage

for tpl, item in SPEC["paths"].items():
    for m in ("get", "put", "post", "delete", "patch"):
        if m in item:
            if (m.upper(), tpl) in exercised:
                ok(f"exercised {m.upper()} {tpl}", True)
            elif tpl.endswith("/along"):
                skip(f"exercised {m.upper()} {tpl}", "not routed yet")
            else:
                ok(f"exercised {m.upper()} {tpl}", False)

print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
