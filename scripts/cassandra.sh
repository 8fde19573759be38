#!/usr/bin/env bash
# A real Apache Cassandra node for the tests: installs Cassandra 5.0 from Maven Central
# with Maven and runs one single-node cluster on 127.0.0.1 (no bin/, no conf/ needed).
#
#   scripts/cassandra.sh install   resolve the jars once into $CASSANDRA_SH_HOME/libs-VERSION
#   scripts/cassandra.sh start     write the config, start, wait until CQL answers
#   scripts/cassandra.sh stop      stop it (SIGTERM, then SIGKILL after 60 s)
#   scripts/cassandra.sh status    exit 0 if it runs and answers
#
# Every subcommand is idempotent. Data, logs and the pid file live under
# $CASSANDRA_SH_HOME (default build/cassandra). Ports: $CASSANDRA_SH_PORT (9042)
# for CQL, $CASSANDRA_SH_STORAGE_PORT (17000) for gossip; JMX is off.
# CASSANDRA_SH_AUTH=1 turns on PasswordAuthenticator + CassandraAuthorizer (user
# cassandra/cassandra); a start with a different setting than the running node restarts it.
# CASSANDRA_SH_HEAP holds the heap flags (default "-Xms512m -Xmx1g"), CASSANDRA_SH_VERSION
# the release (5.0.9). These are not SLUICE_* names: sluice reads every SLUICE_* variable
# as a config override.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/server.sh
server_refuse_old_names
version=${CASSANDRA_SH_VERSION:-5.0.9}
home=${CASSANDRA_SH_HOME:-$PWD/build/cassandra}
port=${CASSANDRA_SH_PORT:-9042}
sport=${CASSANDRA_SH_STORAGE_PORT:-17000}
auth=${CASSANDRA_SH_AUTH:-0}
heap=${CASSANDRA_SH_HEAP:--Xms512m -Xmx1g}
libs=$home/libs-$version
data=$home/data
pidfile=$home/cassandra.pid
logfile=$home/cassandra.log   # logback (WARN, plus start-up INFO)
outfile=$home/cassandra.out   # the JVM's own stdout/stderr (crashes, bad options)
endpoint=127.0.0.1:$port
grace=60 # seconds from SIGTERM to SIGKILL on stop

# cassandra-all brings logback-classic (its logging backend) and jamm (its javaagent).
install() {
  server_maven_install cassandra "Apache Cassandra $version" "$home" "$libs" cassandra-node 'logback-classic-*.jar' \
    "org.apache.cassandra:cassandra-all:$version"
}

running() { server_running "$pidfile"; }

# Sends a protocol v4 STARTUP frame (CQL_VERSION=3.0.0) and prints the opcode of the
# reply as two hex digits: 02 READY (no auth) or 03 AUTHENTICATE (password auth).
probe() {
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    # header: version 4, flags 0, stream 0, opcode 1 STARTUP, body length 22;
    # body: [string map] of 1 entry, each [string] a 2-byte length then the bytes.
    printf "\x04\x00\x00\x00\x01\x00\x00\x00\x16\x00\x01\x00\x0bCQL_VERSION\x00\x053.0.0" >&3
    head -c 5 <&3 | od -An -tx1 | awk "{print \$5}"' probe "$port" 2>/dev/null
}

answers() {
  case "$(probe)" in 02 | 03) return 0 ;; *) return 1 ;; esac
}

# The jar carries no conf/: the yaml and logback.xml are written here, the yaml into
# $1 so that start can compare it with the one the running node was started with.
write_config() {
  local authn=AllowAllAuthenticator authz=AllowAllAuthorizer
  if [ "$auth" = 1 ]; then authn=PasswordAuthenticator authz=CassandraAuthorizer; fi
  mkdir -p "$data" "$home/triggers"
  cat >"$1" <<EOF
cluster_name: sluice-test
num_tokens: 16
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:$sport"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: $sport
native_transport_port: $port
start_native_transport: true
data_file_directories: [$data/data]
commitlog_directory: $data/commitlog
saved_caches_directory: $data/saved_caches
hints_directory: $data/hints
cdc_raw_directory: $data/cdc_raw
commitlog_sync: periodic
commitlog_sync_period: 10000ms
# A fresh node with no older peers: all 5.0 features on (as cassandra_latest.yaml).
storage_compatibility_mode: NONE
authenticator: {class_name: $authn}
authorizer: {class_name: $authz}
role_manager: {class_name: CassandraRoleManager}
# Tests drop and truncate freely; do not keep a snapshot of every victim.
auto_snapshot: false
EOF
  cat >"$home/logback.xml" <<EOF
<configuration>
  <appender name="file" class="ch.qos.logback.core.FileAppender">
    <file>$logfile</file><append>false</append>
    <encoder><pattern>%d %-5level [%thread] %logger{1} %msg%n</pattern></encoder>
  </appender>
  <logger name="org.apache.cassandra.service.StorageService" level="INFO"/>
  <logger name="org.apache.cassandra.transport.Server" level="INFO"/>
  <root level="WARN"><appender-ref ref="file"/></root>
</configuration>
EOF
}

# What bin/cassandra, cassandra.in.sh, cassandra-env.sh and conf/jvm17-server.options
# would pass, minus what a throw-away test node does not need (JMX, GC logs, -ea,
# -XX:+AlwaysPreTouch, sigar's java.library.path).
jvm_opts() {
  local jamm
  jamm=$(ls "$libs"/jamm-*.jar | head -n 1)
  # shellcheck disable=SC2206 # $heap is a list of flags
  opts=($heap -XX:+UseG1GC -XX:+ParallelRefProcEnabled -XX:MaxTenuringThreshold=1
    -XX:G1HeapRegionSize=16m -XX:MaxGCPauseMillis=300 -XX:+HeapDumpOnOutOfMemoryError
    -XX:HeapDumpPath="$home" -XX:+ExitOnOutOfMemoryError -XX:+UseThreadPriorities
    -XX:+PerfDisableSharedMem    -Djava.net.preferIPv4Stack=true -Djava.awt.headless=true
    # Java 17 module access: Cassandra, jamm, Netty and Chronicle reach into JDK internals.
    -Djdk.attach.allowAttachSelf=true
    --add-exports java.base/jdk.internal.misc=ALL-UNNAMED
    --add-exports java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.registry=ALL-UNNAMED
    --add-exports java.rmi/sun.rmi.server=ALL-UNNAMED
    --add-exports java.sql/java.sql=ALL-UNNAMED
    --add-exports java.base/java.lang.ref=ALL-UNNAMED
    --add-exports jdk.unsupported/sun.misc=ALL-UNNAMED
    --add-exports jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED
    --add-exports jdk.attach/sun.tools.attach=ALL-UNNAMED)
  local p
  for p in java.lang.module jdk.internal.loader jdk.internal.ref jdk.internal.reflect \
    jdk.internal.math jdk.internal.module jdk.internal.util.jar sun.nio.ch java.io \
    java.lang.reflect java.lang java.util java.nio; do
    opts+=(--add-opens "java.base/$p=ALL-UNNAMED")
  done
  opts+=(--add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
    --add-opens jdk.compiler/com.sun.tools.javac=ALL-UNNAMED
    -Dio.netty.tryReflectionSetAccessible=true
    -Dio.netty.allocator.useCacheForAllThreads=true -Dio.netty.allocator.maxOrder=11
    # jamm measures object sizes for memtable accounting; 5.0 loads it as an agent.
    -javaagent:"$jamm"
    # What bin/cassandra sets, plus test-node shortcuts for a single node: no wait for
    # gossip to settle, no 2 s shutdown announcement, the default superuser created at
    # once instead of 10 s after start-up.
    -Dcassandra.config="file://$home/cassandra.yaml" -Dlogback.configurationFile="$home/logback.xml"
    -Dcassandra.storagedir="$data" -Dcassandra.logdir="$home" -Dcassandra-foreground=yes
    -Dcassandra.triggers_dir="$home/triggers"
    -Dcassandra.skip_wait_for_gossip_to_settle=0 -Dcassandra.shutdown_announce_in_ms=0
    -Dcassandra.superuser_setup_delay_ms=0
    -cp "$libs/*" org.apache.cassandra.service.CassandraDaemon)
}

start() {
  install
  mkdir -p "$home"
  write_config "$home/cassandra.yaml.new"
  if running && answers && cmp -s "$home/cassandra.yaml.new" "$home/cassandra.yaml"; then
    rm -f "$home/cassandra.yaml.new"
    echo "cassandra: already running on $endpoint"
    return 0
  fi
  if running; then
    echo "cassandra: running with another configuration (CASSANDRA_SH_AUTH?); restarting"
    stop
  fi
  if answers; then
    echo "cassandra: something else already answers on $endpoint (another node?)" >&2
    exit 1
  fi
  mv "$home/cassandra.yaml.new" "$home/cassandra.yaml"
  jvm_opts
  : >"$logfile" # so that a JVM that dies before logback starts shows no stale lines
  nohup java "${opts[@]}" >"$outfile" 2>&1 </dev/null &
  echo $! >"$pidfile"
  server_await cassandra node "$endpoint" "$pidfile" 180 "$grace" answers "$logfile" "$outfile"
  echo "cassandra: ready on $endpoint (Apache Cassandra $version, auth $([ "$auth" = 1 ] && echo on || echo off))"
}

stop() { server_stop cassandra "$pidfile" "$grace"; }

case "${1:-}" in
  install) install ;;
  start) start ;;
  stop) stop ;;
  status) if running && answers; then echo "cassandra: running on $endpoint"; else echo "cassandra: not running"; exit 1; fi ;;
  *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
