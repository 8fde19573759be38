#!/usr/bin/env bash
# A real Apache Kafka broker for the tests: installs Kafka from Maven Central with Maven
# and runs one combined broker+controller (KRaft, no ZooKeeper) on 127.0.0.1.
#
#   scripts/kafka.sh install   resolve the jars once into $KAFKA_SH_HOME/libs-VERSION
#   scripts/kafka.sh start     format the storage once, start, wait until it answers
#   scripts/kafka.sh stop      stop it (SIGTERM, then SIGKILL after 30 s)
#   scripts/kafka.sh status    exit 0 if it runs and answers
#   scripts/kafka.sh topics …  kafka-topics (--bootstrap-server is added)
#
# Every subcommand is idempotent. Data, logs and the pid file live under
# $KAFKA_SH_HOME (default build/kafka). Ports: $KAFKA_SH_PORT (19092) for clients, +1
# for the controller. $KAFKA_SH_VERSION picks the release (4.3.1). These are not
# SLUICE_* names: sluice reads every SLUICE_* variable as a config override.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/server.sh
server_refuse_old_names
version=${KAFKA_SH_VERSION:-4.3.1}
home=${KAFKA_SH_HOME:-$PWD/build/kafka}
port=${KAFKA_SH_PORT:-19092}
cport=$((port + 1))
libs=$home/libs-$version
data=$home/data
pidfile=$home/kafka.pid
logfile=$home/kafka.log
bootstrap=127.0.0.1:$port
grace=30 # seconds from SIGTERM to SIGKILL on stop

java_cp() { echo "$libs/*"; }

install() {
  server_maven_install kafka "Apache Kafka $version" "$home" "$libs" kafka-broker "kafka_2.13-$version.jar" \
    "org.apache.kafka:kafka_2.13:$version" "org.apache.kafka:kafka-tools:$version" \
    org.apache.logging.log4j:log4j-slf4j2-impl:2.24.3 org.apache.logging.log4j:log4j-core:2.24.3
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
  server_await kafka broker "$bootstrap" "$pidfile" 90 "$grace" answers "$logfile"
  echo "kafka: ready on $bootstrap (Apache Kafka $version, KRaft)"
}

stop() { server_stop kafka "$pidfile" "$grace"; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if running && answers; then echo "kafka: running on $bootstrap"; else echo "kafka: not running"; exit 1; fi ;;
  topics) shift; install; exec java -Xmx256m -cp "$(java_cp)" org.apache.kafka.tools.TopicCommand --bootstrap-server "$bootstrap" "$@" ;;
  *) echo "usage: $0 install|start|stop|status|topics ARGS" >&2; exit 2 ;;
esac
