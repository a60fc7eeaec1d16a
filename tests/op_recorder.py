"""A pytest plugin that records which op types each test builds into its graphs (every op goes
through Graph._create_op) and writes {test id: [op types]} as JSON to the file named by
$TENSORLIB_OP_RECORD when the session ends. test_registry.py runs the tests it names with it,
so that an op counts as tested only where a test really builds it."""
import contextlib
import json
import os

import pytest

from tensorlib.framework import ops

_built = {}


@contextlib.contextmanager
def recording(types):
    """Adds the type of every op built inside the block, in any graph (function bodies too),
    to the set `types`."""
    create = ops.Graph._create_op

    def create_and_record(self, op_type, *args, **kwargs):
        types.add(op_type)
        return create(self, op_type, *args, **kwargs)
    ops.Graph._create_op = create_and_record
    try:
        yield types
    finally:
        ops.Graph._create_op = create


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    with recording(_built.setdefault(item.nodeid, set())):
        yield


def pytest_sessionfinish(session):
    with open(os.environ["TENSORLIB_OP_RECORD"], "w") as f:
        json.dump({test: sorted(types) for test, types in _built.items()}, f)
