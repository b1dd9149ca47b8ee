#!/bin/bash
# testbed: own-boot
# Harness self-test: a host-side scenario that reports FAIL.
. "$TB_HOST_LIB"
fail "deliberate host failure"
