"""Launches a training script on several processes: a thin wrapper over the MPI's own mpiexec
(horovodrun's options, translated for MPICH's Hydra or Open MPI).

    python -m tensorlib.distribute.run -np 2 train.py --epochs 3
    python -m tensorlib.distribute.run -np 8 -H node1:4,node2:4 python train.py
    python -m tensorlib.distribute.run -np 8 --hostfile hosts.txt train.py

A command that starts with a .py file runs with this Python. The launcher is MPIEXEC, else the
mpiexec beside this Python (the `mpich` wheel's), else the one on PATH. `--dry-run` prints the
mpiexec command instead of running it. Under Slurm, run the script with `srun` directly.
"""
import argparse
import os
import shutil
import subprocess
import sys


def find_mpiexec():
    """MPIEXEC, the mpiexec beside this Python, or mpiexec on PATH; None when there is none."""
    for candidate in [os.environ.get("MPIEXEC"),
                      os.path.join(os.path.dirname(sys.executable), "mpiexec"), "mpiexec"]:
        found = candidate and shutil.which(candidate)
        if found:
            return found
    return None


def is_open_mpi(mpiexec):
    """Whether `mpiexec` is Open MPI's (else it is taken for MPICH's Hydra, or compatible)."""
    out = subprocess.run([mpiexec, "--version"], capture_output=True, text=True)
    return "Open MPI" in out.stdout + out.stderr or "OpenRTE" in out.stdout + out.stderr


def mpiexec_command(mpiexec, num_proc, hosts, hostfile, command, open_mpi):
    """The mpiexec command line that runs `command` on `num_proc` processes."""
    args = [mpiexec, "-n", str(num_proc)]
    if hosts:
        args += ["--host" if open_mpi else "-hosts", hosts]
    if hostfile:
        args += ["--hostfile" if open_mpi else "-f", hostfile]
    if command[0].endswith(".py"):
        command = [sys.executable] + command
    return args + command


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m tensorlib.distribute.run",
        description="Runs a command on several processes with the MPI's mpiexec.")
    parser.add_argument("-np", "--num-proc", type=int, required=True,
                        help="the number of processes")
    parser.add_argument("-H", "--hosts", help="host:slots,host:slots,... to run on")
    parser.add_argument("--hostfile", help="a file naming the hosts to run on")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the mpiexec command instead of running it")
    parser.add_argument("command", nargs=argparse.REMAINDER,
                        help="the script (or command) to run, and its arguments")
    args = parser.parse_args(argv)
    if not args.command:
        parser.error("name the script to run")
    if args.num_proc < 1:
        parser.error("-np must be at least 1")
    mpiexec = find_mpiexec()
    if mpiexec is None:
        parser.error("no mpiexec found: pip install \"tensorlib[mpi]\", or put your MPI's "
                     "mpiexec on PATH (or in MPIEXEC)")
    command = mpiexec_command(mpiexec, args.num_proc, args.hosts, args.hostfile, args.command,
                              is_open_mpi(mpiexec))
    if args.dry_run:
        print(" ".join(command))
        return 0
    # mpiexec takes this process's place: signals (Ctrl-C) and the exit status are its own.
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
