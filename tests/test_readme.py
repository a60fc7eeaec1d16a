"""The README's quick start and its TF1 snippet run as written (in a fresh directory)."""
import os
import pathlib
import re
import shlex
import subprocess
import sys

import tensorlib

ROOT = pathlib.Path(__file__).parent.parent
BLOCKS = re.findall(r"^```(\w+)\n(.*?)^```", (ROOT / "README.md").read_text(),
                    re.MULTILINE | re.DOTALL)


def run_python(args, cwd):
    # The tensorlib under test, wherever it is (installed, or this checkout).
    path = [str(pathlib.Path(tensorlib.__file__).parent.parent), os.environ.get("PYTHONPATH")]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, path)))
    out = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_quick_start_scripts_run(tmp_path):
    """The first shell block's `python script` commands (installing is the packaging test's)."""
    language, commands = BLOCKS[0]
    assert language == "bash"
    scripts = [words[1:] for line in commands.splitlines()
               for command in line.split("#")[0].split("&&")
               if (words := shlex.split(command)) and words[0] == "python"]
    assert scripts, commands
    for script, *args in scripts:
        run_python([str(ROOT / script), *args], tmp_path)


def test_tf1_snippet_runs(tmp_path):
    """The first Python block: a TF1 program with `import tensorlib as tf` as its one change."""
    language, code = next(block for block in BLOCKS if block[0] == "python")
    assert "import tensorlib as tf" in code
    printed = run_python(["-c", code], tmp_path)
    # It prints relu(ones(4, 3) @ w + 1): four equal rows of two non-negative numbers.
    rows = [[float(v) for v in re.findall(r"-?\d+\.\d*(?:e[-+]\d+)?", line)]
            for line in printed.splitlines()]
    assert len(rows) == 4 and all(row == rows[0] and len(row) == 2 for row in rows)
    assert min(rows[0]) >= 0
