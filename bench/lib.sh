# Shared by bench/kafka_bench.sh, bench/pipeline_bench.sh and bench/cassandra_bench.sh
# (sourced, not run): reading numbers out of the clients' one-line JSON summaries.

# median: the median of the numbers on stdin, one per line (the mean of the middle two
# for an even count).
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# field KEY: the number after the first "KEY": in the compact JSON on stdin (no space
# after the colon, as sluice's --json and the Python clients' separators=(",", ":")
# write it), sign and exponent included; empty if KEY is missing.
field() { grep -o "\"$1\":[0-9.e+-]*" | head -1 | cut -d: -f2; }
