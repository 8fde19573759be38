#!/usr/bin/env python3
"""The seed's way of publishing to Kafka, for bench/kafka_bench.sh.

The seed's Airflow DAG builds one dict per user and calls
producer.send('user_created', json.dumps(res).encode('utf-8')) for each, on a
kafka-python KafkaProducer. Here the JSON documents come ready-made from a payload
file (one per line, as sluice publishes them), so only the client is measured: one
send() per record, then flush().

usage: kafka_python_producer.py BOOTSTRAP TOPIC PAYLOAD_FILE COUNT [COMPRESSION [MODE]]
  COMPRESSION: none (default), lz4, gzip, snappy or zstd (needs the codec's package).
  MODE: bytes (default): send the payload lines as they are;
        dumps: parse them into dicts beforehand (not timed) and send
        json.dumps(res).encode('utf-8') per record, the seed's exact call (its default
        separators and ASCII escapes make the values a little longer).
Prints one JSON line: records, bytes (values), elapsed_s (send+flush), records_per_s,
mb_per_s, compression, mode, idempotence, kafka_python version.
"""
import json
import sys
import time

import kafka
from kafka import KafkaProducer


def main():
    if len(sys.argv) not in (5, 6, 7):
        print(__doc__, file=sys.stderr)
        return 2
    bootstrap, topic, path, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    compression = sys.argv[5] if len(sys.argv) >= 6 else "none"
    mode = sys.argv[6] if len(sys.argv) == 7 else "bytes"
    if mode not in ("bytes", "dumps"):
        print(f"unknown mode {mode}", file=sys.stderr)
        return 2
    values = []
    with open(path, "rb") as f:
        for line in f:
            if len(values) == count:
                break
            values.append(line.rstrip(b"\n"))
    if len(values) != count:
        print(f"{path} holds only {len(values)} records, {count} asked", file=sys.stderr)
        return 1

    config = dict(bootstrap_servers=bootstrap, acks="all",
                  compression_type=None if compression == "none" else compression)
    if "enable_idempotence" in KafkaProducer.DEFAULT_CONFIG:  # kafka-python >= 2.1
        config["enable_idempotence"] = True
    producer = KafkaProducer(**config)

    failures = []
    nbytes = 0
    if mode == "bytes":
        nbytes = sum(len(v) for v in values)
        start = time.perf_counter()
        for v in values:
            producer.send(topic, v).add_errback(failures.append)
    else:
        records = [json.loads(v) for v in values]
        start = time.perf_counter()
        for res in records:
            v = json.dumps(res).encode('utf-8')
            nbytes += len(v)
            producer.send(topic, v).add_errback(failures.append)
    producer.flush()
    elapsed = time.perf_counter() - start
    producer.close()
    if failures:
        print(f"{len(failures)} sends failed, first: {failures[0]!r}", file=sys.stderr)
        return 1

    print(json.dumps({
        "records": count, "bytes": nbytes, "elapsed_s": round(elapsed, 3),
        "records_per_s": round(count / elapsed), "mb_per_s": round(nbytes / elapsed / 1e6, 2),
        "compression": compression, "mode": mode, "idempotence": config.get("enable_idempotence", False),
        "kafka_python": kafka.__version__,
    }, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
