#!/bin/bash
# The chaos test's warning comparison on fixed messages (tests/chaos/test_chaos_check.py).
exec /usr/bin/python3 "$(dirname "$0")/test_chaos_check.py"
