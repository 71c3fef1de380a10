"""Benchmark of the newsroom API's bulk export and list endpoint, in one run.

For each corpus size (default 100k and 1M synthetic claims, of which the published ones are
exported):
- NDJSON export (newsroom.exports.ndjson_lines, what /api/v1/export/claims.ndjson streams)
  against ``COPY (SELECT json_build_object(...) ...) TO STDOUT`` of the same rows: time ratio,
  peak memory of each (a fresh process each, RSS growth), equal row counts;
- the claim list's query count at page size 10 and 100 (must be equal);
- a cursor page deep in the set (90 %) against the first page (median of several runs).

    .venv/bin/python bench/export.py                      # the issue's scale: 100k and 1M
    .venv/bin/python bench/export.py --sizes 5000         # a quick run

Uses DATABASE_URL like the app; the corpus comes from ``manage.py synth`` (made if missing).
Point it at a database of its own (bench/README.md).
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench

# The same rows as the NDJSON export, built by PostgreSQL alone: the floor for "claims as JSON".
COPY_SQL = """
COPY (
    SELECT json_build_object(
        'id', c.id, 'status', c.status, 'statement', c.statement, 'slug', c.slug,
        'quote', json_build_object('exact', c.exact, 'prefix', c.prefix, 'suffix', c.suffix,
                                   'start', c.start, 'end', c."end"),
        'claimant', json_build_object('id', cl.id, 'name', cl.name, 'slug', cl.slug),
        'source', json_build_object('id', s.id, 'title', s.title, 'url', s.url,
                                    'publisher', s.publisher),
        'verdict', (SELECT json_build_object('rating', r.label, 'value', r.value,
                                             'rationale', v.rationale, 'published_at', v.published_at)
                      FROM claims_verdict v JOIN claims_rating r ON r.id = v.rating_id
                     WHERE v.claim_id = c.id AND v.status = 'published'),
        'evidence', (SELECT coalesce(json_agg(json_build_object('stance', e.stance, 'exact', e.exact,
                                                                'note', e.note) ORDER BY e.id), '[]')
                       FROM claims_evidence e WHERE e.claim_id = c.id),
        'topics', (SELECT coalesce(json_agg(t.slug ORDER BY t.name), '[]')
                     FROM claims_claimtopic ct JOIN claims_topic t ON t.id = ct.topic_id
                    WHERE ct.claim_id = c.id),
        'published_at', c.published_at, 'public_changed_at', c.public_changed_at)
      FROM claims_claim c
      JOIN claims_claimant cl ON cl.id = c.claimant_id
      JOIN sources_snapshot sn ON sn.id = c.snapshot_id
      JOIN sources_source s ON s.id = sn.source_id
     WHERE c.status = 'published' AND c.public_changed_at IS NOT NULL
     ORDER BY c.public_changed_at, c.id
) TO STDOUT
"""


def peak_rss_kb() -> int:
    """This process's peak resident memory (KiB). VmHWM, not ru_maxrss: Linux carries
    ru_maxrss over fork and exec, so a child of a big parent (one that just ran synth) would
    report the parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def child(kind: str) -> dict:
    """One measurement in this (fresh) process: rows, seconds, peak RSS before and after (KiB).
    Constant memory shows as the same peak at 100k and at 1M claims."""
    bench.setup_django()
    from django.db import connection

    from newsroom import exports

    connection.ensure_connection()
    base = peak_rss_kb()
    started = time.perf_counter()
    rows = 0
    tenth_kb = None
    if kind == "ndjson":
        tenth = max(1, exports.count_claims() // 10)
        for line in exports.ndjson_lines():
            rows += line.count("\n")
            if rows == tenth:
                tenth_kb = peak_rss_kb()
    else:
        with connection.cursor() as cursor:
            raw = cursor.connection.cursor()
            with raw.copy(COPY_SQL) as copy:
                for block in copy:
                    rows += bytes(block).count(b"\n")
    return {
        "rows": rows,
        "seconds": time.perf_counter() - started,
        "base_kb": base,
        "peak_kb": peak_rss_kb(),
        "tenth_kb": tenth_kb,
    }


def measure(kind: str) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind], check=True, capture_output=True, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def list_endpoint(published: int) -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from claims.api.pagination import Cursor
    from claims.api.selectors import published_claims
    from newsroom import services
    from newsroom.models import NewsroomClient

    NewsroomClient.objects.filter(name="bench").delete()
    _, key = services.client_create(actor=None, name="bench", rate="1000000/hour")
    http = Client(HTTP_X_API_KEY=key)
    cache.clear()
    http.get("/api/v1/claims/")  # last_used_at, connection, caches

    counts = {}
    for size in (10, 100):
        with CaptureQueriesContext(connection) as captured:
            response = http.get("/api/v1/claims/", {"page_size": size})
        assert response.status_code == 200 and len(response.json()["results"]) == min(size, published)
        counts[size] = len(captured.captured_queries)
    print(
        f"  list queries: page_size=10 → {counts[10]}, page_size=100 → {counts[100]}"
        f" ({'equal' if counts[10] == counts[100] else 'NOT EQUAL'})"
    )

    deep = (
        published_claims()
        .order_by("public_changed_at", "id")
        .values_list("public_changed_at", "id")[int(published * 0.9)]
    )
    token = Cursor(mode="claims", key=list(deep)).encode()

    def timed(params: dict) -> float:
        runs = []
        for _ in range(7):
            started = time.perf_counter()
            response = http.get("/api/v1/claims/", params)
            runs.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:200]
        return statistics.median(runs)

    first = timed({"page_size": 50})
    deep_time = timed({"page_size": 50, "cursor": token})
    print(
        f"  first page {first * 1000:.1f} ms, page at 90 % {deep_time * 1000:.1f} ms"
        f" (ratio {deep_time / first:.2f})"
    )
    NewsroomClient.objects.filter(name="bench").delete()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="100000,1000000", help="Corpus sizes (claims), comma-separated.")
    parser.add_argument("--child", choices=["ndjson", "copy"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return

    bench.setup_django()
    from claims.api.selectors import published_claims

    for size in [int(s) for s in args.sizes.split(",")]:
        bench.ensure_corpus(size)
        published = published_claims().count()
        print(f"corpus: {size} claims, {published} published")
        ndjson, copy = measure("ndjson"), measure("copy")
        for name, result in (("NDJSON export", ndjson), ("COPY … json  ", copy)):
            print(
                f"  {name}: {result['rows']} rows in {result['seconds']:.1f} s, peak RSS "
                f"{result['peak_kb'] / 1024:.0f} MiB (after start-up: {result['base_kb'] / 1024:.0f} MiB"
                + (
                    f", after a tenth of the rows: {result['tenth_kb'] / 1024:.0f} MiB"
                    if result["tenth_kb"]
                    else ""
                )
                + ")"
            )
        print(
            f"  rows equal: {ndjson['rows'] == copy['rows'] == published}; "
            f"time ratio NDJSON/COPY {ndjson['seconds'] / copy['seconds']:.1f}"
        )
        list_endpoint(published)


if __name__ == "__main__":
    main()
