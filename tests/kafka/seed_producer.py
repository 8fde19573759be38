"""Publishes records the way the seed's Airflow DAG does: kafka-python's KafkaProducer,
one json.dumps(record).encode('utf-8') message per record, to a topic.

usage: seed_producer.py BOOTSTRAP TOPIC FILE.jsonl
"""
import json
import sys

from kafka import KafkaProducer


def main():
    bootstrap, topic, path = sys.argv[1:4]
    producer = KafkaProducer(bootstrap_servers=[bootstrap], max_block_ms=10000)
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                res = json.loads(line)
                producer.send(topic, json.dumps(res).encode("utf-8"))
    producer.flush(timeout=30)
    producer.close()


if __name__ == "__main__":
    main()
