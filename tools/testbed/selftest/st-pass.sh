#!/bin/sh
# testbed: dom0
# Harness self-test: must PASS.
. /xenbell/testbed/scenario-lib.sh
pass
