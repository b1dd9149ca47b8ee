# dom0 side of `make testbed DOM0_SCRIPT=file`: run the user's script (as root, in
# /xenbell, bounded by TB_TIMEOUT seconds), relay its output, report its exit status.
# A script with a "#!" line is executed as is (busybox offers /bin/sh, not bash);
# otherwise it is run by sh.
. /xenbell/testbed/lib.sh

: "${TB_TIMEOUT:=600}"
script=/xenbell/job/$TB_SCRIPT
mkdir -p /tmp/tb-out/script && : > /tmp/tb-out/script/output.txt
tb_mark BEGIN script "$TB_TIMEOUT"
if [ "$(head -c 2 "$script")" = "#!" ]; then
    tb_bounded "$TB_TIMEOUT" /tmp/tb-out/script/output.txt "$script"
else
    tb_bounded "$TB_TIMEOUT" /tmp/tb-out/script/output.txt sh "$script"
fi
tb_mark SCRIPT-EXIT "$TB_RC" "$TB_TIMED_OUT"
exit "$TB_RC"
