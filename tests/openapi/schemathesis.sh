#!/usr/bin/env bash
# Schemathesis (PyPI) against a running demo: every operation of /api/v1/openapi.json and of
# the CKAN Action API's /api/3/openapi.json with
# generated and boundary inputs; no answer may be a server error, and every answer must match
# the contract (status code, content type, body schema). Path ids point at the demo's public
# population table, so that generated filters, selects, SQL and export parameters reach the
# query engine instead of stopping at 404.
# Usage: tests/openapi/schemathesis.sh BASE_URL SCHEMATHESIS_BIN
set -euo pipefail
BASE=$1 ST=$2
HERE=$(cd "$(dirname "$0")" && pwd)
export ST_DATASET=bevoelkerung-aalen-stadtbezirke ST_ORGANIZATION=stadt-aalen ST_USER=admin
ST_RESOURCE=$(curl -fsS "$BASE/api/v1/datasets/$ST_DATASET" | python3 -c "import sys, json; print(json.load(sys.stdin)['resources'][0]['id'])")
export ST_RESOURCE
# Both runs are paced below the anonymous rate limit (1,200 a minute, refilled every second),
# so that operations are exercised rather than answered with 429. Per second, not per minute:
# a per-minute pace starts with a burst.
"$ST" --config-file "$HERE/schemathesis.toml" run "$BASE/api/v1/openapi.json" \
  --rate-limit=15/s \
  --phases examples,coverage,fuzzing \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
"$ST" --config-file "$HERE/schemathesis.toml" run "$BASE/api/3/openapi.json" \
  --rate-limit=15/s \
  --phases examples,coverage,fuzzing \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance
