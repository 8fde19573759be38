#!/usr/bin/env bash
# A real Apache Kafka broker for the tests: installs Kafka from Maven Central with Maven
# and runs one combined broker+controller (KRaft, no ZooKeeper) on 127.0.0.1.
#
#   scripts/kafka.sh install   resolve the jars once into $SLUICE_KAFKA_HOME/libs
#   scripts/kafka.sh start     format the storage once, start, wait until it answers
#   scripts/kafka.sh stop      stop it (SIGTERM, then SIGKILL after 30 s)
#   scripts/kafka.sh status    exit 0 if it runs and answers
#   scripts/kafka.sh topics …  kafka-topics (--bootstrap-server is added)
#
# Every subcommand is idempotent. Data, logs and the pid file live under
# $SLUICE_KAFKA_HOME (default build/kafka). Ports: $SLUICE_KAFKA_PORT (19092) for
# clients, +1 for the controller.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/server.sh
version=${SLUICE_KAFKA_VERSION:-4.3.1}
home=${SLUICE_KAFKA_HOME:-$PWD/build/kafka}
port=${SLUICE_KAFKA_PORT:-19092}
cport=$((port + 1))
libs=$home/libs-$version
data=$home/data
pidfile=$home/kafka.pid
logfile=$home/kafka.log
bootstrap=127.0.0.1:$port

java_cp() { echo "$libs/*"; }

install() {
  if [ -f "$libs/.complete" ]; then return 0; fi
  command -v mvn >/dev/null || { echo "kafka: Maven (mvn) is needed to install Kafka" >&2; exit 1; }
  mkdir -p "$home/pom"
  cat >"$home/pom/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>sluice.test</groupId><artifactId>kafka-broker</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$version</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j2-impl</artifactId><version>2.24.3</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-core</artifactId><version>2.24.3</version></dependency>
  </dependencies>
</project>
EOF
  echo "kafka: resolving Apache Kafka $version from Maven Central..." >&2
  rm -rf "$libs"
  mvn -q -B -f "$home/pom/pom.xml" dependency:copy-dependencies -DoutputDirectory="$libs" -DincludeScope=runtime
  touch "$libs/.complete"
}

running() { server_running "$pidfile"; }

answers() {
  timeout 30 java -Xmx256m -cp "$(java_cp)" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" --list \
    >/dev/null 2>&1
}

write_config() {
  mkdir -p "$data"
  cat >"$home/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=$data
num.partitions=3
offsets.topic.replication.factor=1
offsets.topic.num.partitions=5
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
EOF
  cat >"$home/log4j2.yaml" <<EOF
Configuration:
  Appenders:
    Console: {name: out, target: SYSTEM_OUT, PatternLayout: {pattern: "[%d] %p %m (%c)%n"}}
  Loggers:
    Root: {level: WARN, AppenderRef: [{ref: out}]}
    Logger: [{name: kafka.server.KafkaRaftServer, level: INFO}, {name: kafka.server.BrokerServer, level: INFO}]
EOF
}

start() {
  install
  if running && answers; then
    echo "kafka: already running on $bootstrap"
    return 0
  fi
  if running; then stop; fi
  write_config
  if [ ! -f "$data/meta.properties" ]; then
    java -Xmx256m -cp "$(java_cp)" -Dlog4j2.configurationFile="$home/log4j2.yaml" kafka.tools.StorageTool format \
      -t "$(java -cp "$(java_cp)" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -1)" \
      -c "$home/server.properties" >/dev/null
  fi
  nohup java -Xms256m -Xmx512m -XX:+UseG1GC -Djava.awt.headless=true \
    -Dlog4j2.configurationFile="$home/log4j2.yaml" -cp "$(java_cp)" kafka.Kafka "$home/server.properties" \
    >"$logfile" 2>&1 &
  echo $! >"$pidfile"
  for _ in $(seq 1 90); do
    if ! running; then
      echo "kafka: the broker exited during start-up; last lines of $logfile:" >&2
      tail -n 30 "$logfile" >&2
      exit 1
    fi
    if answers; then
      echo "kafka: ready on $bootstrap (Apache Kafka $version, KRaft)"
      return 0
    fi
    sleep 1
  done
  echo "kafka: no answer on $bootstrap after 90 s; last lines of $logfile:" >&2
  tail -n 30 "$logfile" >&2
  stop
  exit 1
}

stop() { server_stop kafka "$pidfile" 30; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if running && answers; then echo "kafka: running on $bootstrap"; else echo "kafka: not running"; exit 1; fi ;;
  topics) shift; install; exec java -Xmx256m -cp "$(java_cp)" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" "$@" ;;
  *) echo "usage: $0 install|start|stop|status|topics ARGS" >&2; exit 2 ;;
esac
