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
#              c: exits: xentrace (HVM + scheduler classes) during one ROUNDS ping of
#              xenbell, then of the Linux guest; xenalyze --summary of each, and xenbell's
#              own `pingpong: session cost:` line of that session
#              d: idle: xentrace (scheduler class) for IDLE_S s with nobody bound, then again
#              with `xenbell-dom0 serve` bound to xenbell and Linux but sending nothing;
#              CPU time (`xl vcpu-list`) over both windows; xenbell's own idle line
#   3. memory  xenbell with memory = each of MEMS (MiB): boots? answers 100 rounds?
#   4. scale   16 xenbells (memory=2, log=warn); for n in SCALE: n pings of SCALE_ROUNDS
#              at once
#   5. density more xenbells (memory=2, log=warn) up to DENSITY, each create timed, in
#              four steps; after each, xenstored's and dom0's CPU over DENSITY_IDLE_S s with
#              all idle; then every one pinged (10 rounds);
#              then Linux guests (memory=LINUX_MEM) until one does not fit, or DENSITY_LINUX
#   6. vchan   one libxenvchan client (`xenbell-dom0 vchan --echo-test VCHAN_BYTES --latency
#              VCHAN_ROUNDS`: throughput, then small-message round trips, one connection)
#              against three echo servers with the same ring sizes (libxenvchan's server
#              default: 1 KiB in, 2 KiB out): xenbell mode=vchan; a Linux PVH guest running
#              Xen's vchan-socket-proxy --mode=server (bench-guest-vchan.cpio.gz); and that
#              proxy in dom0 (loopback, the floor). VCHAN_BATCHES x (each in turn).
#   7. ports   growth with ports per guest: for each event-channel ABI (evtchn=2l, then fifo)
#              and K in PORTS_2L / PORTS_FIFO, one xenbell with ports=K (log=warn,
#              memory=PORTS_MEM, max_event_channels = 32768), create timed to ready, then one
#              `xenbell-dom0 ping --ports all --rounds PORTS_ROUNDS --json` (every port,
#              1024 bound at a time); the per-port p50/p99 reduced here (16000 ports make a
#              1.3 MB JSON line), the tool's CPU time (its waited-for children's ticks),
#              dom0's /proc/stat and Xen's vCPU times of dom0 and the guest around it
#   8. smp     (bench.py runs it in a boot of its own, Xen on 2 physical CPUs): xenbells
#              with vcpus = each of SMP_VCPUS and ports=SMP_PORTS (xl-configs/xenbell-smp.cfg:
#              ports/i on vCPU i mod V), and one with 1 vCPU and 1 port (the single-port
#              baseline), all up at once; after an unmeasured warm-up, SMP_BATCHES x (each
#              in turn: `ping --ports all --rounds SMP_ROUNDS --json`; 1000 rounds x 8 ports: ~2 s,
#              as Xen's vCPU times come in 0.1 s steps), with the same CPU
#              times as in 7
#
# PHASES (bench.py --only) picks phases by name: boot rtt exits idle variants memory scale
# density vchan ports smp; they run in the order above whatever the order of the names.
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
IDLE_S=30 SCALE="1 2 4 8 16" SCALE_ROUNDS=300 DENSITY=100 DENSITY_LINUX=4 DENSITY_IDLE_S=10
VCHAN_BATCHES=3 VCHAN_BYTES=1048576 VCHAN_ROUNDS=1000
PORTS_2L="1 8 64 512 4092" PORTS_FIFO="1 8 64 512 4096 16000" PORTS_ROUNDS=20 PORTS_MEM=16
SMP_VCPUS="1 2 4" SMP_PORTS=8 SMP_BATCHES=3 SMP_ROUNDS=1000
PHASES="boot rtt exits idle variants memory scale density vchan ports smp"
LINUX=
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

linux_cfg() {  # NAME [RAMDISK] -> prints the config's path
    cat > $W/$1.cfg <<EOF
# make bench's Linux PVH guest: Debian's kernel, busybox initramfs, xenbell-dom0 offer.
name = "$1"
type = "pvh"
kernel = "$X/vmlinuz"
ramdisk = "$X/${2:-bench-guest.cpio.gz}"
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

# Xen's trace: xentrace in the background around a measurement, xenalyze --summary beside it.
trace_start() {  # FILE MASK: xentrace in the background (TRACE_PID)
    xentrace -D -S 64 -e "$2" "$1" > "$1.log" 2>&1 &
    TRACE_PID=$!
    sleep 1
}

trace_stop() {  # FILE: stop xentrace, xenalyze --summary beside it
    kill -INT $TRACE_PID 2> /dev/null; wait $TRACE_PID 2> /dev/null
    # QEMU's TCG emulates AMD SVM (exit reasons 0x60..), xenalyze assumes VMX otherwise
    xenalyze --svm-mode --summary "$1" > "$1.summary.txt" 2>&1
}

domid() {
    xl domid "$1" 2> /dev/null || echo null
}

session_cost() {  # NAME: the last "pingpong: session cost" line of its console, as JSON
    _l=$(grep -a 'pingpong: session cost:' /var/log/xen/console/guest-$1.log 2> /dev/null | tail -n 1)
    echo "\"${_l##*session cost: }\""
}

cpu_s() {  # NAME: the domain's CPU time in s (xl vcpu-list, vCPU 0)
    xl vcpu-list "$1" 2> /dev/null | awk 'NR == 2 { print $6 }'
}

cpu_all() {  # NAME: the domain's CPU time in s, all its vCPUs (xl vcpu-list)
    xl vcpu-list "$1" 2> /dev/null | awk -v n="$1" '$1 == n { s += $6; k++ } END { if (k) print s; else print "null" }'
}

proc_stat() {  # dom0's "cpu" line of /proc/stat as a JSON array (USER_HZ ticks: user nice
    # system idle iowait irq softirq steal ...)
    awk '/^cpu / { printf "[%s", $2; for (i = 3; i <= NF; i++) printf ",%s", $i; print "]" }' /proc/stat
}

tool_timed() {  # OUT ARGS...: `xenbell-dom0 ARGS` with stdout to OUT, its exit status to
    # OUT.rc; prints its CPU time (user + system, USER_HZ ticks): the cutime + cstime of a
    # shell that ran nothing else before it waited for the tool
    _tt_out=$1; shift
    sh -c '"$@" > "$0" 2>> '"$OUT"'/ping-errors.txt; echo $? > "$0.rc"; awk "{ print \$16 + \$17 }" /proc/$$/stat' \
        "$_tt_out" $DOM0_TOOL "$@"
}

ports_ping() {  # KIND LABEL NAME BATCH ROUNDS PORTS [FIELDS]: one `ping --ports all`, timed
    # and with CPU times around it, as one results line (the per-port JSON reduced to the
    # distribution of the ports' p50s and p99s; kept whole below 64 ports). PORTS=1: a plain
    # `ping` (session, then rounds): a ports=1 guest publishes no ports/ directory.
    _j=$W/pp-$3-$4.json
    _g1=$(cpu_all "$3") _d1=$(cpu_s Domain-0) _s1=$(proc_stat) _t1=$(now)
    if [ "$6" = 1 ]; then
        _tk=$(tool_timed $_j ping --domain "$3" --rounds "$5" --json --timeout-ms 10000)
    else
        _tk=$(tool_timed $_j ping --ports all --domain "$3" --rounds "$5" --json --timeout-ms 10000)
    fi
    _t2=$(now) _s2=$(proc_stat) _d2=$(cpu_s Domain-0) _g2=$(cpu_all "$3")
    _rc=$(cat $_j.rc 2> /dev/null)
    _head=$(sed -n '1{s/,"per_port":.*/}/;p;}' $_j)
    case "$_head" in "{"*) ;; *) _head=null ;; esac
    _dist() {  # KEY: min, nearest-rank median, max and count of the ports' KEY values
        grep -o "\"$1\":[0-9.]*" $_j | cut -d: -f2 | sort -n |
            awk '{ v[NR] = $1 } END { if (NR) printf "{\"n\":%d,\"min\":%s,\"median\":%s,\"max\":%s}", NR, v[1], v[int((NR + 1) / 2)], v[NR]; else printf "null" }'
    }
    _pp=null
    [ "$(grep -o '"index":' $_j | wc -l)" -lt 64 ] && _pp=$(sed -n 's/.*"per_port":\(\[.*\]\)}$/\1/p' $_j)
    rec "{\"kind\":\"$1\",\"guest\":\"$2\",\"name\":\"$3\",\"batch\":$4,\"rounds\":$5,\"ports\":$6,${7:+$7,}\"rc\":${_rc:-null},\"uptime\":[$_t1,$_t2],\"tool_cpu_ticks\":${_tk:-null},\"dom0_cpu_s\":[${_d1:-null},${_d2:-null}],\"guest_cpu_s\":[$_g1,$_g2],\"dom0_stat\":[$_s1,$_s2],\"result\":$_head,\"p50_us\":$(_dist p50_us),\"p99_us\":$(_dist p99_us),\"per_port\":${_pp:-null}}"
}

want() {  # PHASE: is PHASE in PHASES (bench.py --only)?
    case " $PHASES " in *" $1 "*) return 0 ;; esac
    return 1
}

ensure_xenbell() {  # the project's xenbell (xl-configs/xenbell.cfg) as `xenbell`, if not up
    xl domid xenbell > /dev/null 2>&1 ||
        boot_run xenbell-rtt 1 "$(xb_cfg xenbell 32 log=info)" xenbell 60000 ||
        echo "bench: xenbell did not come up"
}

rec "{\"kind\":\"info\",\"boots\":$BOOTS,\"batches\":$BATCHES,\"rounds\":$ROUNDS,\"linux_memory\":$LINUX_MEM,\"linux_extra\":\"$LINUX_EXTRA\",\"xen\":\"$(sed -n 's/^xen_version *: *//p' /tmp/tb-out/xl-info.txt)\",\"dom0_kernel\":\"$(uname -r)\",\"xenbell_cfg\":\"$(grep -v '^#' /xenbell/xl-configs/xenbell.cfg | tr '\n"' "; " )\"}"

# ---- 1. boot ------------------------------------------------------------------------
if want boot; then
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
fi

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
if want rtt; then
    echo "bench: phase rtt ($(now) s)"
    ensure_xenbell
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
fi

# ---- 2c. exits per round: Xen's own trace ------------------------------------------------
# HVM class (every VM exit and entry, with its reason) + scheduler class (which domain is
# on the CPU, wake-ups). One pCPU, so one trace buffer. xenalyze (xen-utils-common) is in
# dom0; the binary file comes along for tools/bench/xentrace.py on the host.
if want exits; then
    echo "bench: phase exits ($(now) s)"
    ensure_xenbell
    # xenbell on the 2-level ABI beside the default (evtchn=auto: FIFO on Xen 4.17), traced
    # the same way, so the two ABIs' exits come from the same run and round count.
    boot_run xenbell-2l-exits 1 "$(xb_cfg xb-2l-exits 32 'log=info evtchn=2l')" xb-2l-exits 60000
    ALT=
    if [ -n "$ALT_KERNEL" ]; then  # bench.py --alt-kernel: A/B of two kernels in one boot
        alt_cfg=$(xb_cfg xb-alt 32 log=info)
        sed -i "s|^kernel *=.*|kernel = \"$X/$ALT_KERNEL\"|" "$alt_cfg"
        boot_run xenbell-alt 1 "$alt_cfg" xb-alt 60000 && ALT=xenbell-alt:xb-alt
    fi
    for g in xenbell:xenbell xenbell-2l:xb-2l-exits $ALT ${LINUX:+linux:$LINUX}; do
        l=${g%%:*} n=${g#*:}
        trace_start $OUT/trace-exits-$l.bin 0x000af000
        PHASE=exits
        ping_batch "$l" "$n" 1
        trace_stop $OUT/trace-exits-$l.bin
        sleep 1
        rec "{\"kind\":\"exits\",\"guest\":\"$l\",\"domid\":$(domid $n),\"rounds\":$ROUNDS,\"trace\":\"trace-exits-$l.bin\",\"session_cost\":$(session_cost $n)}"
    done
    if [ -n "$ALT" ]; then
        PHASE=alt
        b=1
        while [ $b -le $BATCHES ]; do
            ping_batch xenbell-cur xenbell $b
            ping_batch xenbell-alt xb-alt $b
            b=$((b + 1))
        done
    fi
    destroy xb-2l-exits xb-alt
fi

# ---- 2d. idle: no peer, then a bound but quiet peer ----------------------------------------
if want idle; then
    echo "bench: phase idle ($(now) s)"
    boot_run xenbell-idle 1 "$(xb_cfg xb-idle 32 log=info)" xb-idle 60000
    sleep 5
    idle_window() {  # CASE: IDLE_S s of scheduler trace and CPU time of xb-idle and Linux
        a1=$(cpu_s xb-idle) b1=$(cpu_s $LINUX) t1=$(now)
        trace_start $OUT/trace-idle-$1.bin 0x0002f000
        sleep "$IDLE_S"
        trace_stop $OUT/trace-idle-$1.bin
        a2=$(cpu_s xb-idle) b2=$(cpu_s $LINUX) t2=$(now)
        rec "{\"kind\":\"idle\",\"case\":\"$1\",\"seconds\":$IDLE_S,\"trace\":\"trace-idle-$1.bin\",\"uptime\":[$t1,$t2],\"domids\":{\"xenbell\":$(domid xb-idle),\"linux\":$(domid $LINUX)},\"cpu_s\":{\"xenbell\":[${a1:-null},${a2:-null}],\"linux\":[${b1:-null},${b2:-null}]}}"
    }
    idle_window no_peer
    $DOM0_TOOL serve --domain xb-idle --timeout-ms $(( (IDLE_S + 15) * 1000 )) > $OUT/serve-idle-xenbell.txt 2>&1 &
    s1=$!
    $DOM0_TOOL serve --domain $LINUX --timeout-ms $(( (IDLE_S + 15) * 1000 )) > $OUT/serve-idle-linux.txt 2>&1 &
    s2=$!
    sleep 3
    idle_window quiet_peer
    kill $s1 $s2 2> /dev/null; wait $s1 $s2 2> /dev/null
    sleep 1
    grep -a 'pingpong: idle for' /var/log/xen/console/guest-xb-idle.log > $OUT/idle-lines.txt 2> /dev/null
    destroy xb-idle
fi

if want variants; then
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
fi

# ---- 3. memory: the smallest memory= that boots and answers ----------------------------
if want memory; then
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
fi

# ---- 4. scale: n guests pinged at once ---------------------------------------------------
if want scale; then
    echo "bench: phase scale ($(now) s)"
    XB_MANY_CFG() {  # I: xenbell number I, memory=2, log=warn (its lines cost boot time)
        xb_cfg xb-n$1 2 log=warn 'on_crash = "destroy"'
    }
    create_many() {  # FROM TO: start xb-nFROM..xb-nTO one by one, each create timed
        _i=$1
        while [ $_i -le $2 ]; do
            boot_run density $_i "$(XB_MANY_CFG $_i)" xb-n$_i 60000 || return 1
            _i=$((_i + 1))
        done
    }
    max_scale=0
    for n in $SCALE; do max_scale=$n; done
    UP=0
    create_many 1 $max_scale && UP=$max_scale
    for n in $SCALE; do
        [ $n -le $UP ] || break
        t1=$(now)
        i=1
        while [ $i -le $n ]; do
            $DOM0_TOOL ping --domain xb-n$i --rounds $SCALE_ROUNDS --json > $W/scale-$n-$i.json 2>> $OUT/ping-errors.txt &
            i=$((i + 1))
        done
        wait
        t2=$(now)
        res=""
        i=1
        while [ $i -le $n ]; do
            r=$(cat $W/scale-$n-$i.json)
            case "$r" in "{"*) ;; *) r=null ;; esac
            res="$res${res:+,}$r"
            i=$((i + 1))
        done
        rec "{\"kind\":\"scale\",\"guests\":$n,\"rounds\":$SCALE_ROUNDS,\"uptime\":[$t1,$t2],\"results\":[$res]}"
    done
fi

# ---- 5. density: as many xenbells as fit, then Linux guests -------------------------------
if want density; then
    echo "bench: phase density ($(now) s)"
    xsd=$(cat /var/run/xenstored.pid 2> /dev/null)
    xs_ticks() {  # xenstored's utime + stime (clock ticks)
        awk '{ print $14 + $15 }' /proc/$xsd/stat 2> /dev/null || echo 0
    }
    dom0_idle() {  # dom0's idle ticks and total ticks (/proc/stat, all CPUs)
        awk '/^cpu / { t = 0; for (i = 2; i <= NF; i++) t += $i; print $5, t }' /proc/stat
    }
    density_idle() {  # N: DENSITY_IDLE_S s with N xenbells up and idle: xenstored, dom0 CPU
        x1=$(xs_ticks) d1=$(dom0_idle) c1=$(cpu_s Domain-0) t1=$(now)
        sleep $DENSITY_IDLE_S
        x2=$(xs_ticks) d2=$(dom0_idle) c2=$(cpu_s Domain-0) t2=$(now)
        rec "{\"kind\":\"density_idle\",\"guests\":$1,\"uptime\":[$t1,$t2],\"xenstored_ticks\":[${x1:-0},${x2:-0}],\"dom0_idle_total_ticks\":[[${d1% *},${d1#* }],[${d2% *},${d2#* }]],\"dom0_cpu_s\":[${c1:-null},${c2:-null}]}"
    }
    [ $UP -gt 0 ] && density_idle $UP
    STEP=$(( (DENSITY + 3) / 4 ))
    while [ $UP -lt $DENSITY ]; do
        to=$((UP + STEP)); [ $to -gt $DENSITY ] && to=$DENSITY
        if create_many $((UP + 1)) $to; then
            UP=$to
            density_idle $UP
        else
            UP=$(xl list | grep -c '^xb-n')
            break
        fi
    done
    ok=0 i=1
    while [ $i -le $UP ]; do
        r=$($DOM0_TOOL ping --domain xb-n$i --rounds 10 --json 2>> $OUT/ping-errors.txt)
        case "$r" in *'"rounds_ok":10'*) ok=$((ok + 1)) ;; esac
        i=$((i + 1))
    done
    rec "{\"kind\":\"density\",\"guest\":\"xenbell\",\"started\":$UP,\"answered\":$ok,\"limit\":$DENSITY,\"memory_mib\":2,\"free_memory_mib\":$(xl info | awk '/^free_memory/ { print $3 }')}"
    i=1
    while [ $i -le $UP ]; do destroy xb-n$i; i=$((i + 1)); done
    lstarted=0 lok=0 i=1
    while [ $i -le $DENSITY_LINUX ]; do
        boot_run density-linux $i "$(linux_cfg lx-n$i)" lx-n$i 120000 || break
        lstarted=$i
        i=$((i + 1))
    done
    lfree=$(xl info | awk '/^free_memory/ { print $3 }')
    i=1
    while [ $i -le $lstarted ]; do
        r=$($DOM0_TOOL ping --domain lx-n$i --rounds 10 --json 2>> $OUT/ping-errors.txt)
        case "$r" in *'"rounds_ok":10'*) lok=$((lok + 1)) ;; esac
        i=$((i + 1))
    done
    rec "{\"kind\":\"density\",\"guest\":\"linux\",\"started\":$lstarted,\"answered\":$lok,\"limit\":$DENSITY_LINUX,\"memory_mib\":$LINUX_MEM,\"free_memory_mib_after\":${lfree:-null}}"
    i=1
    while [ $i -le $DENSITY_LINUX ]; do destroy lx-n$i; i=$((i + 1)); done
fi

# ---- 6. vchan: xenbell vs Xen's vchan-socket-proxy in a Linux guest vs dom0 loopback -----
if want vchan; then
    echo "bench: phase vchan ($(now) s)"
    # Each client run is one connection: the echo-test, then the round trips. A run starts
    # only once the server is a fresh one: xenbell offers the channel again after each
    # client (its console counts "vchan ready" lines); each proxy serves one client and
    # exits (libxenvchan removes its keys on close), and its loop (Linux: guest/init, dom0:
    # vchan_loopback) logs the exit and starts another, so run k waits for k logged exits
    # and then for the keys: keys seen after the exit can only be the new proxy's.
    VCHAN_LOG=$OUT/vchan-runs.txt
    vchan_keys() {  # PATH: true when ring-ref and event-channel are both there
        xenstore-read "$1/ring-ref" "$1/event-channel" > /dev/null 2>&1
    }
    vchan_loopback() {  # PATH: Xen's server in dom0, echoing through a FIFO, until $W/vchan-stop
        while [ ! -f $W/vchan-stop ]; do
            rm -f $W/echo.fifo
            mkfifo $W/echo.fifo
            vchan-socket-proxy --mode=server 0 "$1" 3 3<> $W/echo.fifo 2>> $OUT/vchan-loopback.txt &
            echo $! > $W/vchan-proxy.pid
            wait $!
            _st=$?
            echo "vchan-socket-proxy exited with status $_st" >> $OUT/vchan-loopback.txt
            [ $_st = 0 ] || [ -f $W/vchan-stop ] || sleep 1
        done
    }
    vchan_count() {  # FILE PATTERN N: true when FILE has at least N lines matching PATTERN
        [ "$(grep -ac "$2" "$1" 2> /dev/null)" -ge "$3" ]
    }
    vchan_fresh() {  # LABEL PATH RUNS_DONE: wait until that server is ready for a new client
        case $1 in
            xenbell) tb_wait 30 vchan_count /var/log/xen/console/guest-xb-vchan.log 'xenbell: vchan ready' $(($3 + 1)) ;;
            linux) tb_wait 30 vchan_count /var/log/xen/console/guest-lx-vchan.log 'vchan-socket-proxy exited' $3 &&
                tb_wait 30 vchan_keys "$2" ;;
            *) tb_wait 30 vchan_count $OUT/vchan-loopback.txt 'vchan-socket-proxy exited' $3 &&
                tb_wait 30 vchan_keys "$2" ;;
        esac
    }
    vchan_run() {  # LABEL DOMAIN PATH BATCH (batch b: b - 1 runs of this server before)
        _l=$1 _d=$2 _p=$3 _b=$4
        vchan_fresh "$_l" "$_p" $((_b - 1)) || echo "bench: vchan: $_l not ready for run $_b"
        _t1=$(now)
        _o=$($DOM0_TOOL vchan --domain "$_d" --path "$_p" --echo-test "$VCHAN_BYTES" --latency "$VCHAN_ROUNDS" \
            --timeout-ms 10000 2>&1)
        _rc=$?
        _t2=$(now)
        echo "$_l $_b rc=$_rc: $_o" >> $VCHAN_LOG
        _msg=$(echo "$_o" | tr -d '"\\' | tr '\n' ' ')
        rec "{\"kind\":\"vchan\",\"peer\":\"$_l\",\"batch\":$_b,\"bytes\":$VCHAN_BYTES,\"rounds\":$VCHAN_ROUNDS,\"rc\":$_rc,\"uptime\":[$_t1,$_t2],\"out\":\"$_msg\"}"
    }
    rm -f $W/vchan-stop
    sed -e 's/^name = .*/name = "xb-vchan"/' -e 's/^cmdline = .*/cmdline = "log=info mode=vchan remote=0"/' \
        /xenbell/xl-configs/xenbell.cfg > $W/xb-vchan.cfg
    xl create $W/xb-vchan.cfg > $OUT/xl-xb-vchan.txt 2>&1 || echo "bench: vchan: xl create xb-vchan failed"
    xl create "$(linux_cfg lx-vchan bench-guest-vchan.cpio.gz)" > $OUT/xl-lx-vchan.txt 2>&1 ||
        echo "bench: vchan: xl create lx-vchan failed"
    xbp=/local/domain/$(xl domid xb-vchan)/data/vchan/0/1
    lxp=/local/domain/$(xl domid lx-vchan)/data/vchan/0/1
    lbp=/local/domain/0/data/vchan/0/9
    vchan_loopback $lbp &
    loop=$!
    tb_wait 120 vchan_keys "$lxp" || echo "bench: vchan: the Linux guest published no keys at $lxp"
    : >> $OUT/vchan-loopback.txt
    rec "{\"kind\":\"vchan_setup\",\"paths\":{\"xenbell\":\"$xbp\",\"linux\":\"$lxp\",\"dom0-loopback\":\"$lbp\"},\"uptime\":$(now)}"
    b=1
    while [ $b -le $VCHAN_BATCHES ]; do
        vchan_run xenbell xb-vchan $xbp $b
        vchan_run linux lx-vchan $lxp $b
        vchan_run dom0-loopback 0 $lbp $b
        b=$((b + 1))
    done
    # stop the loopback loop: once the proxy it started last has published (so its pid
    # is in the file), end that proxy; the loop sees the stop file and ends too
    touch $W/vchan-stop
    vchan_fresh dom0-loopback $lbp $VCHAN_BATCHES
    kill "$(cat $W/vchan-proxy.pid 2> /dev/null)" 2> /dev/null
    wait $loop 2> /dev/null
    xenstore-rm $lbp 2> /dev/null
    cp /var/log/xen/console/guest-lx-vchan.log $OUT/console-lx-vchan.txt 2> /dev/null
    grep -a 'vchan' /var/log/xen/console/guest-xb-vchan.log > $OUT/console-xb-vchan.txt 2> /dev/null
    destroy xb-vchan lx-vchan
fi

# ---- 7. ports: growth with the ports one guest offers ----------------------------------------
# One guest at a time (nothing else up), the same config but ports=K and the ABI. Under
# 2-level a domain has ports 1..4095, three taken (console, xenstore, timer): 4092 is the
# most it can offer. 16000 ports (xenbell's own limit) need FIFO, max_event_channels above
# them and xenstored's quotas raised (the test bed's init: -E 32768 nodes per domain, -S
# 131072 bytes per node, the ports/ directory's list of children counting against -S).
if want ports; then
    echo "bench: phase ports ($(now) s)"
    p0=$(now)
    for abi in 2l fifo; do
        ks=$PORTS_FIFO
        [ $abi = 2l ] && ks=$PORTS_2L
        for k in $ks; do
            n=xb-ports-$abi-$k
            cfg=$(xb_cfg $n $PORTS_MEM "log=warn ports=$k evtchn=$abi" 'max_event_channels = 32768' 'on_crash = "destroy"')
            if boot_run ports-$abi $k "$cfg" $n 300000; then
                ports_ping ports ports-$abi $n 1 $PORTS_ROUNDS $k "\"abi\":\"$abi\""
            else
                rec "{\"kind\":\"ports\",\"guest\":\"ports-$abi\",\"name\":\"$n\",\"abi\":\"$abi\",\"ports\":$k,\"rc\":null,\"result\":null,\"message\":\"not ready\"}"
                grep -a -m 3 'ERROR' /var/log/xen/console/guest-$n.log 2> /dev/null
            fi
            destroy $n
        done
    done
    rec "{\"kind\":\"phase\",\"phase\":\"ports\",\"uptime\":[$p0,$(now)]}"
fi

# ---- 8. smp: one guest's ports on 1, 2, 4 vCPUs ------------------------------------------------
# All guests up at once, batches alternating between them (any slow-down of the emulated
# machine hits all alike). Only meaningful with Xen on 2+ physical CPUs: the record says how
# many Xen had (xl info nr_cpus).
if want smp; then
    echo "bench: phase smp ($(now) s)"
    p0=$(now)
    PCPUS=$(xl info 2> /dev/null | awk '/^nr_cpus/ { print $3 }')
    [ "${PCPUS:-1}" -ge 2 ] || echo "bench: smp: Xen has ${PCPUS:-?} physical CPU(s): vCPUs only take turns"
    SMP=
    smp_up() {  # LABEL VCPUS PORTS
        _n=xb-smp-$1
        sed -e "s/^name *=.*/name = \"$_n\"/" -e "s/^vcpus *=.*/vcpus = $2/" \
            -e "s/^cmdline *=.*/cmdline = \"log=info ports=$3\"/" /xenbell/xl-configs/xenbell-smp.cfg > $W/$_n.cfg
        boot_run smp-$1 $2 $W/$_n.cfg $_n 60000 && SMP="$SMP $1:$2:$3"
    }
    for v in $SMP_VCPUS; do smp_up vcpus_$v $v $SMP_PORTS; done
    smp_up vcpus_1_ports_1 1 1
    for g in $SMP; do  # warm-up (unmeasured); each guest's own "vcpus online" line
        l=${g%%:*}
        all="--ports all"
        [ "${g##*:}" = 1 ] && all=
        $DOM0_TOOL ping $all --domain xb-smp-$l --rounds 20 --json --timeout-ms 10000 > /dev/null 2>> $OUT/ping-errors.txt
        grep -a -m 1 'xenbell: vcpus online=' /var/log/xen/console/guest-xb-smp-$l.log >> $OUT/smp-vcpus.txt 2> /dev/null
    done
    b=1
    while [ $b -le $SMP_BATCHES ]; do
        for g in $SMP; do
            l=${g%%:*} rest=${g#*:}
            ports_ping smp $l xb-smp-$l $b $SMP_ROUNDS ${rest#*:} "\"vcpus\":${rest%%:*},\"pcpus\":${PCPUS:-null}"
        done
        b=$((b + 1))
    done
    for g in $SMP; do destroy xb-smp-${g%%:*}; done
    rec "{\"kind\":\"phase\",\"phase\":\"smp\",\"uptime\":[$p0,$(now)]}"
fi

xl list > $OUT/xl-list.txt 2>&1
echo "bench: done ($(now) s)"
