#!/bin/sh
# make bench, the part that runs in the test bed's dom0 (busybox sh, as root, in /xenbell).
# Started by tools/bench/bench.py through the test bed's `testbed` job; its files arrive in
# /xenbell/extra/: vmlinuz and bench-guest.cpio.gz (the Linux PVH guest), bench-probe,
# bench.env (the parameters). Results go to /tmp/tb-out/bench/, which the test bed copies
# to the host (target/testbed/logs/bench/); bench.py turns them into target/bench/report.*.
#
# results.jsonl: one JSON object per line, "kind" = boot | rtt | samples | mem | info.
#
# Phases (one boot of the test bed):
#   1. boot    xl create -> data/xenbell/state=ready (bench-probe boot): xenbell, the Linux
#              guest, xenbell with log=warn, and xenbell, xenbell with memory=256 and Linux
#              split into `xl create -p` + `xl unpause`, alternating, BOOTS runs each
#              (after one unmeasured warm-up); the last Linux guest stays up for phase 2
#   2. rtt     a: xenbell and the Linux guest only; BATCHES x (ping xenbell, ping Linux),
#              ROUNDS rounds each (`xenbell-dom0 ping --json`), and in the first
#              SAMPLE_BATCHES batches every round of both kept (bench-probe samples)
#              b: three xenbell variants and a dom0-only loopback join; VBATCHES x (ping
#              each of the six in turn)
#   3. memory  xenbell with memory = each of MEMS (MiB): boots? answers 100 rounds?
. /xenbell/testbed/lib.sh

X=/xenbell/extra
DOM0_TOOL=/xenbell/xenbell-dom0
PROBE=$X/bench-probe
OUT=/tmp/tb-out/bench
W=/tmp/bench
R=$OUT/results.jsonl
mkdir -p "$OUT" "$W"
: > "$R"
BOOTS=3 BATCHES=5 ROUNDS=1000 SAMPLE_BATCHES=5 VBATCHES=3 MEMS="32 16 8 6 4 2 1 0"
LINUX_MEM=256 LINUX_EXTRA="console=hvc0 quiet"
[ -f $X/bench.env ] && . $X/bench.env
chmod +x $PROBE

rec() {  # JSON: one result line (also shown, as progress)
    echo "$1" >> "$R"
    echo "bench: $1"
}

now() {  # dom0 uptime, for the progress lines
    cut -d' ' -f1 /proc/uptime
}

# xenbell configs are the project's own xl-configs/xenbell.cfg with name, memory,
# cmdline (and extra lines) replaced.
xb_cfg() {  # NAME MEM CMDLINE [EXTRA_LINE...] -> prints the config's path
    _n=$1 _m=$2 _c=$3; shift 3
    sed -e "s/^name *=.*/name = \"$_n\"/" -e "s/^memory *=.*/memory = $_m/" \
        -e "s/^cmdline *=.*/cmdline = \"$_c\"/" /xenbell/xl-configs/xenbell.cfg > $W/$_n.cfg
    for _l in "$@"; do echo "$_l" >> $W/$_n.cfg; done
    echo $W/$_n.cfg
}

linux_cfg() {  # NAME -> prints the config's path
    cat > $W/$1.cfg <<EOF
# make bench's Linux PVH guest: Debian's kernel, busybox initramfs, xenbell-dom0 offer.
name = "$1"
type = "pvh"
kernel = "$X/vmlinuz"
ramdisk = "$X/bench-guest.cpio.gz"
extra = "$LINUX_EXTRA"
memory = $LINUX_MEM
vcpus = 1
# Required under QEMU TCG: with Xen's default TSC mode the guest's RDTSCP kills it.
tsc_mode = "native"
on_crash = "preserve"
EOF
    echo $W/$1.cfg
}

destroy() {  # NAME...
    for _d in "$@"; do xl destroy "$_d" > /dev/null 2>&1; done
}

boot_run() {  # LABEL RUN CFG NAME TIMEOUT_MS [paused]: xl create, timed to state=ready
    _line=$($PROBE boot "$3" "$4" "$5" $6 2>> $OUT/xl-$4.txt)
    _rc=$?
    rec "{\"kind\":\"boot\",\"guest\":\"$1\",\"run\":$2,\"name\":\"$4\",\"rc\":$_rc,\"probe\":${_line:-null}}"
    return $_rc
}

ping_batch() {  # LABEL DOMAIN BATCH [ROUNDS]: one `xenbell-dom0 ping --json`
    _r=${4:-$ROUNDS}
    _out=$($DOM0_TOOL ping --domain "$2" --rounds "$_r" --json 2>> $OUT/ping-errors.txt)
    _rc=$?
    case "$_out" in "{"*) ;; *) _out=null ;; esac
    rec "{\"kind\":\"rtt\",\"phase\":\"$PHASE\",\"guest\":\"$1\",\"domain\":\"$2\",\"batch\":$3,\"rounds\":$_r,\"rc\":$_rc,\"result\":$_out}"
}

sample_batch() {  # LABEL DOMAIN BATCH: raw round trips to samples-LABEL-BATCH.txt
    _f=$OUT/samples-$1-$3.txt
    $PROBE samples "$2" "$ROUNDS" "$_f" > $W/probe-msg.txt 2>&1
    _rc=$?
    _msg=$(tr -d '"\\' < $W/probe-msg.txt | tr '\n' ' ')
    rec "{\"kind\":\"samples\",\"guest\":\"$1\",\"batch\":$3,\"rc\":$_rc,\"file\":\"samples-$1-$3.txt\",\"message\":\"$_msg\"}"
}

rec "{\"kind\":\"info\",\"boots\":$BOOTS,\"batches\":$BATCHES,\"rounds\":$ROUNDS,\"linux_memory\":$LINUX_MEM,\"linux_extra\":\"$LINUX_EXTRA\",\"xen\":\"$(sed -n 's/^xen_version *: *//p' /tmp/tb-out/xl-info.txt)\",\"dom0_kernel\":\"$(uname -r)\",\"xenbell_cfg\":\"$(grep -v '^#' /xenbell/xl-configs/xenbell.cfg | tr '\n"' "; " )\"}"

# ---- 1. boot ------------------------------------------------------------------------
echo "bench: phase boot ($(now) s)"
# One unmeasured xenbell first: the first `xl create` of a session is slower (QEMU has
# not translated xl's and Xen's code paths yet).
boot_run warmup 0 "$(xb_cfg xb-warmup 32 log=info)" xb-warmup 60000
destroy xb-warmup
i=1
while [ $i -le $BOOTS ]; do
    boot_run xenbell $i "$(xb_cfg xb-boot-$i 32 log=info)" xb-boot-$i 60000
    destroy xb-boot-$i
    boot_run xenbell-log-warn $i "$(xb_cfg xb-quiet-$i 32 log=warn)" xb-quiet-$i 60000
    destroy xb-quiet-$i
    boot_run xenbell-paused $i "$(xb_cfg xb-paused-$i 32 log=info)" xb-paused-$i 60000 paused
    destroy xb-paused-$i
    # memory=256 as the Linux guest has: how much of `xl create -p` is memory size
    boot_run xenbell-256-paused $i "$(xb_cfg xb-256-$i 256 log=info)" xb-256-$i 60000 paused
    destroy xb-256-$i
    boot_run linux-paused $i "$(linux_cfg lx-paused-$i)" lx-paused-$i 120000 paused
    destroy lx-paused-$i
    boot_run linux $i "$(linux_cfg lx-boot-$i)" lx-boot-$i 120000
    [ $i -lt $BOOTS ] && destroy lx-boot-$i
    i=$((i + 1))
done
LINUX=lx-boot-$BOOTS

# ---- 2. rtt: xenbell vs Linux, alternating batches --------------------------------------
# 2a: only xenbell (the project's xl-configs/xenbell.cfg; upcall=auto picks the callback
# vector here: the APIC is not hardware-virtualised under TCG) and the Linux guest run; BATCHES batches, each pings one, then the other,
# then keeps every round of both (bench-probe samples) for the pictures.
# 2b: the variants join: xenbell with upcall=percpu, with tsc_mode="native" (as the
# Linux guest must have), with both, with evtchn=2l (the 2-level ABI; xenbell itself is
# on FIFO), and dom0 talking to itself (`offer` and `ping` both
# in dom0: no guest at all, the floor of dom0's side). VBATCHES batches ping all of them,
# xenbell and Linux included, in turn. (Kept apart from 2a because every idle xenbell
# polls xenstore every 100 ms, which shows in everyone's p99.)
echo "bench: phase rtt ($(now) s)"
boot_run xenbell-rtt 1 "$(xb_cfg xenbell 32 log=info)" xenbell 60000 ||
    echo "bench: xenbell did not come up"
PHASE=ab
b=1
while [ $b -le $BATCHES ]; do
    ping_batch xenbell xenbell $b
    ping_batch linux $LINUX $b
    if [ $b -le $SAMPLE_BATCHES ]; then
        sample_batch xenbell xenbell $b
        sample_batch linux $LINUX $b
    fi
    b=$((b + 1))
done

echo "bench: phase variants ($(now) s)"
PHASE=variants
PEERS="xenbell:xenbell linux:$LINUX"
up() {  # LABEL CFG NAME: start a peer, add it to PEERS
    boot_run "$1" 1 "$2" "$3" 60000 && PEERS="$PEERS $1:$3"
}
up xenbell-percpu "$(xb_cfg xb-percpu 32 'log=info upcall=percpu')" xb-percpu
up xenbell-tsc-native "$(xb_cfg xb-tsc 32 log=info 'tsc_mode = "native"')" xb-tsc
up xenbell-percpu-tsc-native "$(xb_cfg xb-pctsc 32 'log=info upcall=percpu' 'tsc_mode = "native"')" xb-pctsc
# xenbell itself runs evtchn=auto (FIFO on Xen 4.17); this one the 2-level ABI.
up xenbell-2l "$(xb_cfg xb-2l 32 'log=info evtchn=2l')" xb-2l
$DOM0_TOOL offer --remote 0 > $OUT/dom0-offer.txt 2>&1 &
offer=$!
if tb_wait 10 sh -c '[ "$(xenstore-read /local/domain/0/data/xenbell/state)" = ready ]'; then
    PEERS="$PEERS dom0-loopback:0"
else
    echo "bench: dom0 offer did not publish a port"
fi
echo "bench: peers $PEERS"
b=1
while [ $b -le $VBATCHES ]; do
    for p in $PEERS; do
        ping_batch "${p%%:*}" "${p#*:}" $b
    done
    b=$((b + 1))
done
kill $offer 2> /dev/null; wait $offer 2> /dev/null
destroy $LINUX xenbell xb-percpu xb-tsc xb-pctsc xb-2l

# ---- 3. memory: the smallest memory= that boots and answers ----------------------------
echo "bench: phase memory ($(now) s)"
for m in $MEMS; do
    n=xb-mem-$m
    cfg=$(xb_cfg $n $m log=info 'on_crash = "destroy"')
    boot_run mem $m "$cfg" $n 20000
    ok=$?
    pr=null
    if [ $ok = 0 ]; then
        pr=$($DOM0_TOOL ping --domain $n --rounds 100 --json 2>> $OUT/xl-$n.txt)
        case "$pr" in "{"*) ;; *) pr=null ;; esac
    fi
    st=$(xl list $n 2> /dev/null | awk 'NR == 2 { print $5 }')
    mm=$(xl list $n 2> /dev/null | awk 'NR == 2 { print $3 }')
    xl dmesg 2> /dev/null | grep -v '^(d0)' | tail -n 30 > $OUT/dmesg-$n.txt
    rec "{\"kind\":\"mem\",\"memory_mib\":$m,\"ready\":$([ $ok = 0 ] && echo true || echo false),\"xl_state\":\"$st\",\"xl_list_mem_mib\":${mm:-null},\"ping\":$pr}"
    destroy $n
done

xl list > $OUT/xl-list.txt 2>&1
echo "bench: done ($(now) s)"
