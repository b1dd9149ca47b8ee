#!/bin/sh
# testbed: dom0
# Harness self-test: a scenario that reports FAIL.
. /xenbell/testbed/scenario-lib.sh
fail "deliberate failure"
