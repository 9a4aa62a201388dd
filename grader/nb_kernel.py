"""Launcher of the sandboxed Jupyter kernel that runs a submitted notebook.

Run as ``python -I nb_kernel.py -f CONNECTION_FILE`` by the kernel spec that
:mod:`grader.notebooks` writes. It confines itself *before* any thread or socket exists, so
every thread of the kernel inherits the confinement, then starts an ordinary ipykernel:

- rlimits (memory, CPU seconds, file size, open files, no core dumps);
- Landlock: read only the staged submission, the Python installation and the data folders;
  write only the scratch folder; no TCP (the kernel talks to the grader over Unix sockets).

The settings come in the environment variable ``GRADER_NB_CONFINE`` (JSON), which is
removed before student code runs. Imports only the standard library until ipykernel.
"""

import importlib.util
import json
import os
import resource
import sys


def _confine(cfg):
    spec = importlib.util.spec_from_file_location("_grader_confine", cfg["confine_py"])
    confine = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(confine)
    nproc = resource.getrlimit(resource.RLIMIT_NPROC)[1]
    confine.set_limits(cfg["memory_bytes"], cfg["cpu_seconds"], nproc=nproc,
                       fsize_bytes=cfg["fsize_bytes"], nofile=cfg["nofile"])
    abi = 0
    if cfg.get("landlock", True):
        abi = confine.apply_landlock(cfg["read_paths"], cfg["write_paths"])
    with open(cfg["report_file"], "w") as f:
        json.dump({"landlock_abi": abi}, f)


def main():
    cfg = json.loads(os.environ.pop("GRADER_NB_CONFINE"))
    os.chdir(cfg["cwd"])
    sys.path[:0] = cfg["sys_path"]
    _confine(cfg)
    from ipykernel.kernelapp import launch_new_instance

    launch_new_instance(argv=sys.argv[1:])


if __name__ == "__main__":
    main()
