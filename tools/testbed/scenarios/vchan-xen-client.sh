#!/bin/sh
# testbed: dom0
# timeout: 120
#
# vchan-xen-client: Xen's own libxenvchan client (vchan-socket-proxy --mode=client, from
# xen-utils-4.17) against xenbell's vchan server (mode=vchan): 1 MiB of random bytes echoed
# intact, the client killed (at the end of the stream, then mid-stream) and further clients
# served on the re-offered channel.
#
# How: xenbell with `mode=vchan remote=0` prints "xenbell: vchan ready path=P"; P must be
# /local/domain/<domid>/data/vchan/0/1 and hold a non-zero ring-ref and event-channel (the
# client refuses 0). vchan-socket-proxy --mode=client <domid> P - reads a FIFO that we keep
# open (EOF would end it at once) into which 1 MiB from /dev/urandom is written; its stdout
# must grow to 1 MiB with the same sha256. Then SIGKILL: gntdev's unmap-notify clears
# cli_live and sends an event, so xenbell must print "vchan client gone bytes=1048576" and
# a second "vchan ready" line. A second proxy streams /dev/urandom and is killed once 64 KiB
# came back: a second "client gone" line (bytes >= 64 KiB) and a third "ready". A third
# proxy must echo a short line back.
#
# Could falsely pass: none known for the data (sha256 of 1 MiB both ways, and the guest's
# own byte count). The client-gone line relies on gntdev's notify at the proxy's death; a
# guest that polled cli_live on a timer would pass too (it would still be correct).
. /xenbell/testbed/scenario-lib.sh

name=xenbell-vchan
sed -e "s/^name = .*/name = \"$name\"/" -e 's/^cmdline = .*/cmdline = "log=info mode=vchan remote=0"/' \
    /xenbell/xl-configs/xenbell.cfg > /tmp/$name.cfg
guest_create /tmp/$name.cfg
log=/var/log/xen/console/guest-$name.log
wait_guest_line $name "xenbell: vchan ready path=" 30 || fail "no 'vchan ready' line"
domid=$(guest_domid $name)
path=$(guest_output $name | sed -n 's/.*xenbell: vchan ready path=\([^ ]*\).*/\1/p' | head -n 1)
[ "$path" = "/local/domain/$domid/data/vchan/0/1" ] || fail "vchan path '$path', expected /local/domain/$domid/data/vchan/0/1"
ref=$(xenstore-read "$path/ring-ref") || fail "no $path/ring-ref"
port=$(xenstore-read "$path/event-channel") || fail "no $path/event-channel"
echo "published: ring-ref=$ref event-channel=$port"
[ "$ref" -gt 0 ] && [ "$port" -gt 0 ] || fail "ring-ref=$ref event-channel=$port: the client refuses 0"

dd if=/dev/urandom of=/tmp/vchan.in bs=65536 count=16 2>/dev/null
rm -f /tmp/vchan.fifo /tmp/vchan.out; mkfifo /tmp/vchan.fifo
t0=$(tb_cs)
vchan-socket-proxy --mode=client "$domid" "$path" - < /tmp/vchan.fifo > /tmp/vchan.out 2>/tmp/vchan.err &
pid=$!
exec 3> /tmp/vchan.fifo
cat /tmp/vchan.in >&3 &
size() { stat -c %s /tmp/vchan.out 2>/dev/null || echo 0; }
tb_wait 60 sh -c "[ \$(stat -c %s /tmp/vchan.out) -ge 1048576 ]" ||
    fail "echo stalled at $(size) of 1048576 bytes: $(cat /tmp/vchan.err)"
ms=$((($(tb_cs) - t0) * 10))
a=$(sha256sum < /tmp/vchan.in); b=$(sha256sum < /tmp/vchan.out)
[ "$a" = "$b" ] || fail "echoed 1 MiB differs: sent ${a%% *} got ${b%% *} ($(size) bytes)"
echo "1 MiB echoed intact through Xen's vchan client in ${ms} ms (sha256 ${a%% *})"
guest_has_line $name "vchan client gone" && fail "client gone before the kill"
kill -KILL $pid; wait $pid 2>/dev/null; exec 3>&-
wait_guest_line $name "xenbell: vchan client gone bytes=1048576" 10 ||
    fail "no 'vchan client gone bytes=1048576' after the SIGKILL: $(guest_output $name | grep vchan | tail -n 3)"
tb_wait 10 sh -c "[ \$(grep -c 'xenbell: vchan ready' $log) -ge 2 ]" ||
    fail "the channel was not offered again"

# Killed mid-stream: an endless stream, SIGKILL once 64 KiB came back.
rm -f /tmp/vchan.out
cat /dev/urandom | vchan-socket-proxy --mode=client "$domid" "$path" - > /tmp/vchan.out 2>/tmp/vchan.err &
pid=$!
tb_wait 20 sh -c "[ \$(stat -c %s /tmp/vchan.out) -ge 65536 ]" || fail "mid-stream client: $(size) bytes back: $(cat /tmp/vchan.err)"
kill -KILL $pid; wait $pid 2>/dev/null
tb_wait 10 sh -c "[ \$(grep -c 'xenbell: vchan client gone' $log) -ge 2 ]" || fail "no 'client gone' after the mid-stream kill"
mid=$(grep 'xenbell: vchan client gone' $log | sed -n '2s/.*bytes=\([0-9]*\).*/\1/p')
echo "killed mid-stream after $(size) bytes back; the guest had echoed $mid"
[ "$mid" -ge 65536 ] || fail "mid-stream: the guest counted $mid bytes, fewer than came back"
tb_wait 10 sh -c "[ \$(grep -c 'xenbell: vchan ready' $log) -ge 3 ]" || fail "not offered again after the mid-stream kill"

rm -f /tmp/vchan.out
(echo hello-vchan-again; sleep 8) | vchan-socket-proxy --mode=client "$domid" "$path" - > /tmp/vchan.out 2>/tmp/vchan.err &
pid=$!
tb_wait 20 grep -q hello-vchan-again /tmp/vchan.out || fail "third client got no echo: $(cat /tmp/vchan.err)"
kill -KILL $pid; wait $pid 2>/dev/null
wait_guest_line $name "xenbell: vchan client gone bytes=18" 10 || fail "third client: no 'client gone bytes=18'"
guest_has_line $name "shutdown reason=crash|vchan client dropped" && fail "the guest crashed or dropped an honest client"
echo "guest: $(grep -E 'vchan (ready|client)' /var/log/xen/console/guest-$name.log | sed 's/.*xenbell: /xenbell: /' | tr '\n' ';')"
guest_destroy $name
pass
