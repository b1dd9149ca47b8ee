#!/bin/bash
# testbed: own-boot
# timeout: 3
# Harness self-test: a host-side scenario that runs past its timeout.
. "$TB_HOST_LIB"
sleep 100
pass
