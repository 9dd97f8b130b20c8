#!/bin/sh
# podnet collector, format 1: prints this node's network state as one JSON document.
#
# READ-ONLY. This script writes no file, changes no setting, adds and removes nothing:
# it only runs commands that show state (ip ... show, bridge fdb show, iptables-save,
# nft list tables) and reads /proc/sys. Read it before you run it.
#
# Run as root on a Kubernetes node:
#   sh collector.sh > node.json                 the node and every pod namespace `ip netns list` shows
#   sh collector.sh cni-1234 cni-5678 > n.json  the node and only the namespaces named
#   sh collector.sh -- > n.json                 the node's own namespace only
# Then, on any machine: deno task import node.json... > cluster.json
#
# Needs: sh, ip (iproute2 with -j), awk; uses bridge, iptables-save, iptables-legacy-save,
# iptables-nft-save, nft and nsenter where present. PODNET_NODE names the node (default:
# the hostname).
set -u
LC_ALL=C
export LC_ALL
NETNS_DIR=${PODNET_NETNS_DIR:-/var/run/netns}

# A JSON string of stdin: quotes, backslashes and control characters escaped.
json_string() {
  awk '
    BEGIN {
      for (i = 1; i < 32; i++) { c = sprintf("%c", i); esc[c] = sprintf("\\u%04x", i); cls = cls c }
      esc["\t"] = "\\t"; esc["\""] = "\\\""; esc["\\"] = "\\\\"
      special = "[\"\\\\" cls "]"
      printf "\""
    }
    {
      if (NR > 1) printf "\\n"
      line = $0
      if (line ~ special) {
        out = ""
        n = length(line)
        for (i = 1; i <= n; i++) { c = substr(line, i, 1); out = out ((c in esc) ? esc[c] : c) }
        line = out
      }
      printf "%s", line
    }
    END { printf "\"" }'
}

# Runs a command in namespace $1 ("" for the node's own), for commands without -n.
in_ns() {
  ns=$1
  shift
  if [ -z "$ns" ]; then
    "$@"
  elif command -v nsenter >/dev/null 2>&1; then
    nsenter --net="$NETNS_DIR/$ns" -- "$@"
  else
    ip netns exec "$ns" "$@"
  fi
}

# One command's result: {"cmd": ..., "status": N, "out": ...}. $1 names it in the document.
run() {
  name=$1
  shift
  if command -v "$1" >/dev/null 2>&1 || [ "$1" = in_ns ]; then
    out=$("$@" 2>/dev/null)
    status=$?
  else
    out=""
    status=127
  fi
  printf '"%s": {"cmd": ' "$name"
  printf '%s' "$*" | json_string
  printf ', "status": %d, "out": ' "$status"
  printf '%s\n' "$out" | json_string
  printf '}'
}

# The sysctls the model reads, as lines: KEY<TAB>VALUE (KEY is a path under net/ipv4 or net/bridge).
read_sysctls() {
  # shellcheck disable=SC2016 # expanded by the inner shell, inside the namespace
  in_ns "$1" sh -c '
    d=${PODNET_SYSCTL_DIR:-/proc/sys}
    for k in ip_forward ip_default_ttl; do
      [ -r "$d/net/ipv4/$k" ] && printf "net.ipv4.%s\t%s\n" "$k" "$(cat "$d/net/ipv4/$k")"
    done
    [ -r "$d/net/bridge/bridge-nf-call-iptables" ] &&
      printf "net.bridge.bridge-nf-call-iptables\t%s\n" "$(cat "$d/net/bridge/bridge-nf-call-iptables")"
    for dev in "$d"/net/ipv4/conf/*; do
      [ -d "$dev" ] || continue
      for k in forwarding proxy_arp rp_filter arp_ignore arp_announce accept_local; do
        [ -r "$dev/$k" ] && printf "conf\t%s\t%s\t%s\n" "${dev##*/}" "$k" "$(cat "$dev/$k")"
      done
    done' 2>/dev/null
}

# The sysctls as JSON: {"net.ipv4.ip_forward": "1", ..., "conf": {"eth0": {"proxy_arp": "0"}}}.
sysctls_json() {
  read_sysctls "$1" | awk -F '\t' '
    function q(s,   out, i, n, c) {
      out = ""; n = length(s)
      for (i = 1; i <= n; i++) {
        c = substr(s, i, 1)
        if (c == "\"" || c == "\\") out = out "\\" c
        else if (c < " ") out = out sprintf("\\u%04x", index(ctl, c))
        else out = out c
      }
      return "\"" out "\""
    }
    BEGIN { for (i = 1; i < 32; i++) ctl = ctl sprintf("%c", i); printf "{"; n = 0 }
    $1 == "conf" { conf[$2] = conf[$2] (conf[$2] == "" ? "" : ", ") q($3) ": " q($4); if (!($2 in seen)) { seen[$2] = 1; order[++m] = $2 }; next }
    { printf "%s%s: %s", (n++ ? ", " : ""), q($1), q($2) }
    END {
      printf "%s\"conf\": {", (n ? ", " : "")
      for (i = 1; i <= m; i++) printf "%s%s: {%s}", (i > 1 ? ", " : ""), q(order[i]), conf[order[i]]
      printf "}}"
    }'
}

# One namespace: $1 is its name under `ip netns`, or "" for the node's own namespace.
namespace_json() {
  ns=$1
  set --
  [ -n "$ns" ] && set -- -n "$ns"
  printf '{"netns": '
  if [ -z "$ns" ]; then printf 'null'; else printf '%s' "$ns" | json_string; fi
  printf ',\n  "commands": {\n   '
  run link ip "$@" -j -d link show
  printf ',\n   '
  run addr ip "$@" -j addr show
  printf ',\n   '
  run route ip "$@" -j route show table all
  printf ',\n   '
  run neigh ip "$@" -j neigh show
  printf ',\n   '
  run rule ip "$@" -j rule show
  printf ',\n   '
  run netns ip "$@" -j netns list
  printf ',\n   '
  run fdb bridge "$@" -j fdb show
  for save in iptables-save iptables-legacy-save iptables-nft-save; do
    printf ',\n   '
    if command -v "$save" >/dev/null 2>&1; then
      run "$save" in_ns "$ns" "$save"
    else
      run "$save" "$save"
    fi
  done
  printf ',\n   '
  if command -v nft >/dev/null 2>&1; then run nft in_ns "$ns" nft list tables; else run nft nft; fi
  printf '},\n  "sysctl": '
  sysctls_json "$ns"
  printf '}'
}

if ! command -v ip >/dev/null 2>&1 || ! command -v awk >/dev/null 2>&1; then
  echo "podnet collector: needs ip (iproute2) and awk" >&2
  exit 1
fi

node=${PODNET_NODE:-$(uname -n)}
printf '{"podnetCollector": 1,\n "node": '
printf '%s' "$node" | json_string
printf ',\n "hostname": '
uname -n | json_string
printf ',\n "kernel": '
uname -r | json_string
printf ',\n "time": '
date -u +%Y-%m-%dT%H:%M:%SZ | json_string
printf ',\n "namespaces": [\n '
namespace_json ""
if [ "${1:-}" = -- ]; then
  shift
  [ $# -eq 0 ] || printf '%s\n' "$@"
elif [ $# -eq 0 ]; then
  ip netns list 2>/dev/null | awk '{ print $1 }'
else
  printf '%s\n' "$@"
fi | while IFS= read -r netns_name; do
  [ -n "$netns_name" ] || continue
  printf ',\n '
  namespace_json "$netns_name"
done
printf '\n]}\n'
