#!/usr/bin/env python3
"""The seed's own Cassandra client (the DataStax Python driver) as an independent
witness for the tests in tests/cassandra/:

  compare-users HOST PORT KEYSPACE EXPECTED.jsonl
      reads KEYSPACE.users and compares it, row for row and field for field, with the
      records of EXPECTED.jsonl (one JSON object per line, as the log holds them)
  insert-types HOST PORT KEYSPACE
      creates KEYSPACE.types and inserts ROWS below (every type of the sink, and nulls)
  check-types HOST PORT KEYSPACE ACTUAL.jsonl
      compares ACTUAL.jsonl (`sluice query --json "SELECT id, t, i, b, d, f, ts FROM
      types"`) with ROWS

Exit 0 and a line "OK ..." when everything matches; exit 1 and the differences
otherwise; exit 3 if the driver is not installed.
"""
import datetime
import json
import sys
import uuid

try:
    from cassandra.cluster import Cluster
except ImportError:
    print("the Python driver is not installed (pip install cassandra-driver)", file=sys.stderr)
    sys.exit(3)

UTC = datetime.timezone.utc
ROWS = [
    dict(id=uuid.UUID("00000000-0000-4000-8000-000000000001"), t="plain", i=42, b=1 << 40, d=0.1, f=True,
         ts=datetime.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)),
    dict(id=uuid.UUID("00000000-0000-4000-8000-000000000002"), t="héllo wörld ✓ \"q\" \\ 'a' 你好 Ω\n", i=-2147483648,
         b=-9223372036854775808, d=-1.7976931348623157e308, f=False,
         ts=datetime.datetime(1969, 12, 31, 23, 59, 59, 1000, tzinfo=UTC)),
    dict(id=uuid.UUID("00000000-0000-4000-8000-000000000003"), t="", i=2147483647, b=9223372036854775807,
         d=3.141592653589793, f=True, ts=datetime.datetime(1970, 1, 1, tzinfo=UTC)),
    dict(id=uuid.UUID("00000000-0000-4000-8000-000000000004"), t=None, i=None, b=None, d=None, f=None, ts=None),
]
COLUMNS = ["id", "t", "i", "b", "d", "f", "ts"]


def connect(host, port):
    cluster = Cluster([host], port=int(port))
    return cluster, cluster.connect()


def fail(problems):
    for p in problems[:20]:
        print(p)
    print(f"{len(problems)} differences")
    sys.exit(1)


def compare_users(host, port, keyspace, expected_path):
    expected = {}
    with open(expected_path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                expected[rec["id"]] = rec
    cluster, s = connect(host, port)
    problems, seen = [], 0
    for row in s.execute(f"SELECT * FROM {keyspace}.users"):
        seen += 1
        got = row._asdict()
        key = str(got["id"])
        rec = expected.get(key)
        if rec is None:
            problems.append(f"row {key} is in the table but not in the log")
            continue
        for col, want in rec.items():
            have = got.get(col)
            have = str(have) if isinstance(have, uuid.UUID) else have
            if have != want:
                problems.append(f"row {key} column {col}: table {have!r}, log {want!r}")
    cluster.shutdown()
    if seen != len(expected):
        problems.append(f"{seen} rows in the table, {len(expected)} records in the log")
    if problems:
        fail(problems)
    print(f"OK {seen} rows equal field for field")


def insert_types(host, port, keyspace):
    cluster, s = connect(host, port)
    s.execute(f"CREATE KEYSPACE IF NOT EXISTS {keyspace} WITH replication = "
              "{'class': 'SimpleStrategy', 'replication_factor': 1}")
    s.execute(f"DROP TABLE IF EXISTS {keyspace}.types")
    s.execute(f"CREATE TABLE {keyspace}.types (id uuid PRIMARY KEY, t text, i int, b bigint, d double, "
              "f boolean, ts timestamp)")
    ins = s.prepare(f"INSERT INTO {keyspace}.types (id, t, i, b, d, f, ts) VALUES (?, ?, ?, ?, ?, ?, ?)")
    for r in ROWS:
        s.execute(ins, [r[c] for c in COLUMNS])
    cluster.shutdown()
    print(f"OK inserted {len(ROWS)} rows")


def shown(col, v):
    """A value as `sluice query --json` prints it."""
    if v is None:
        return None
    if col == "id":
        return str(v)
    if col == "ts":
        return v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") + "+0000"
    return v


def check_types(path):
    with open(path, encoding="utf-8") as f:
        got = [json.loads(line) for line in f if line.strip()]
    by_id = {g.get("id"): g for g in got}
    problems = []
    if len(got) != len(ROWS):
        problems.append(f"{len(got)} rows printed, {len(ROWS)} inserted")
    for r in ROWS:
        g = by_id.get(str(r["id"]))
        if g is None:
            problems.append(f"row {r['id']} missing")
            continue
        for c in COLUMNS:
            want, have = shown(c, r[c]), g.get(c, "<absent>")
            if have != want or type(have) is not type(want):
                problems.append(f"row {r['id']} column {c}: sluice {have!r}, inserted {want!r}")
    if problems:
        fail(problems)
    print(f"OK {len(got)} rows of every type equal")


def main(argv):
    cmd = argv[1] if len(argv) > 1 else ""
    if cmd == "compare-users" and len(argv) == 6:
        compare_users(*argv[2:6])
    elif cmd == "insert-types" and len(argv) == 5:
        insert_types(*argv[2:5])
    elif cmd == "check-types" and len(argv) == 6:
        check_types(argv[5])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
