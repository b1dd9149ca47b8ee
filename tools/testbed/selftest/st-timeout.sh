#!/bin/sh
# testbed: dom0
# timeout: 5
# Harness self-test: runs past its timeout.
. /xenbell/testbed/scenario-lib.sh
echo sleeping
sleep 100
pass
