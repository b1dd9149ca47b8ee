#!/bin/sh
# testbed: dom0
# Harness self-test: leaves a (paused, so kernel-independent) domain behind.
. /xenbell/testbed/scenario-lib.sh
sed 's/^name *=.*/name = "st-leftover"/' /xenbell/xl-configs/xenbell.cfg > /tmp/st-leftover.cfg
xl create -p /tmp/st-leftover.cfg
pass
