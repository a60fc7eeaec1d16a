"""The notebooks run top to bottom without errors (so they cannot rot), on their own (from a
directory of their own, as after `pip install tensorlib`), and are stored with their outputs;
errors in a notebook point at the user's cell."""
import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((pathlib.Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def execute(nb, directory, allow_errors=False):
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=allow_errors,
                   resources={"metadata": {"path": str(directory)}}).execute()


def outputs(nb, output_type):
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.output_type == output_type]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    execute(nb, tmp_path)
    assert not outputs(nb, "error")
    assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_is_stored_with_its_outputs(path):
    nb = nbformat.read(path, as_version=4)
    cells = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in cells), "run every cell before saving"
    assert [c.execution_count for c in cells] == list(range(1, len(cells) + 1))
    assert not outputs(nb, "error")
    for cell in cells:
        figures = [o for o in cell.outputs if "image/png" in o.get("data", {})]
        if figures:
            assert "title" in cell.source, cell.source  # every figure says what it shows
        if ".plot(" in cell.source:
            assert "xlabel" in cell.source and "ylabel" in cell.source, cell.source


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def test_errors_name_the_cell_and_show_no_compiled_frames(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import tensorlib as tf\nx = tf.placeholder(tf.float32, [None])",
        "sess = tf.Session()\ny = tf.reshape(x, [2])",
        "sess.run(y, {x: [1.0, 2.0, 3.0]})",
        "run = sess.make_callable(y, [x])\nrun([1.0])",
        "sess.run(y, {x: [[1.0]]})",
        "tf.matmul(tf.ones([2, 3]), tf.ones([4, 5]))",
        "v = tf.get_variable('v', [2])\nv = tf.get_variable('v', [2])",
    )]
    execute(nb, tmp_path, allow_errors=True)
    errors = [[o for o in c.outputs if o.output_type == "error"] for c in nb.cells]
    assert [len(e) for e in errors] == [0, 0, 1, 1, 1, 1, 1]
    text = ["\n".join(ANSI.sub("", line) for line in e[0].traceback) for e in errors[2:]]
    assert "Cell In[3], line 1" in text[0] and "Cell In[4], line 2" in text[1]
    assert "Cell In[5], line 1" in text[2] and "Cell In[6], line 1" in text[3]
    # The message names the node and the cell and line that made it.
    assert errors[2][0].ename == "InvalidArgumentError"
    assert "[[node Reshape (defined at Cell In[2], line 2) ]]" in errors[2][0].evalue
    assert "[[node Reshape (defined at Cell In[2], line 2) ]]" in errors[3][0].evalue
    assert errors[4][0].ename == "ValueError"
    assert "defined at Cell In[6], line 1" in errors[5][0].evalue
    assert "Originally defined at Cell In[7], line 1." in errors[6][0].evalue
    for traceback in text:
        assert "ipykernel_" not in traceback
        assert "Could not get source" not in traceback and ".pyx" not in traceback


def test_interrupting_the_kernel_stops_a_blocked_run(tmp_path):
    # The kernel sets Python's Ctrl-C handler again before every cell, in front of the one the
    # session put there in the first cell; the blocked run puts the session's back.
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in (
        "import tensorlib as tf\nq = tf.FIFOQueue(1, tf.float32, shapes=[[]])\n"
        "sess = tf.Session()",
        "sess.run(q.dequeue())  # nothing will ever come: the kernel is interrupted",
        "sess.run(q.enqueue(2.0))\nprint(sess.run(q.dequeue()))",
    )]
    blocked = nb.cells[1].source
    NotebookClient(nb, timeout_func=lambda cell: 3 if cell.source == blocked else 120,
                   interrupt_on_timeout=True, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [[o for o in c.outputs if o.output_type == "error"] for c in nb.cells]
    assert [len(e) for e in errors] == [0, 1, 0]
    assert errors[1][0].ename == "KeyboardInterrupt"
    assert nb.cells[2].outputs[0]["text"] == "2.0\n"  # the session still works
