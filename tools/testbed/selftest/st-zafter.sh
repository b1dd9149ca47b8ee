#!/bin/sh
# testbed: dom0
# Harness self-test: must be reported as never run (after st-panic).
. /xenbell/testbed/scenario-lib.sh
pass
