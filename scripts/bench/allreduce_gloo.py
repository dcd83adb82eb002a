"""All-reduce bus bandwidth of torch.distributed's gloo backend on loopback, one process per rank (the reference
for bench/collectives.sh). Prints one JSON line per size, like CollectiveBenchmark.

Usage: allreduce_gloo.py RANKS SIZE_MB...
"""
import json
import os
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

SETTLE_ITERATIONS = 200  # all-reduces of 16 MB before the first size


def run(rank, world, sizes, port):
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    settle = torch.rand(4 << 20, dtype=torch.float32)
    for _ in range(SETTLE_ITERATIONS):  # the same settling phase as CollectiveBenchmark (its JIT needs it, not gloo)
        dist.all_reduce(settle)
    for mb in sizes:
        nbytes = int(mb * (1 << 20))
        x = torch.rand(nbytes // 4, dtype=torch.float32)
        iters = max(3, min(50, (1 << 30) // nbytes))
        for _ in range(iters):  # warm-up as long as the measurement: steady state on both sides
            dist.all_reduce(x)
        dist.barrier()
        cpu0 = time.process_time()
        t0 = time.perf_counter()
        for _ in range(iters):
            dist.all_reduce(x)
        dist.barrier()
        seconds = (time.perf_counter() - t0) / iters
        cpu_seconds = (time.process_time() - cpu0) / iters
        if rank == 0:
            bus = 2.0 * (world - 1) / world * nbytes / seconds / 1e9
            print(json.dumps({"impl": "torch-gloo", "ranks": world, "bytes": nbytes, "seconds": round(seconds, 6),
                              "busGBps": round(bus, 3),
                              "cpuSecondsPerRank": round(cpu_seconds, 6)}), flush=True)
    dist.destroy_process_group()


if __name__ == "__main__":
    world = int(sys.argv[1])
    sizes = [float(s) for s in sys.argv[2:]]
    port = 29500 + os.getpid() % 1000
    mp.spawn(run, args=(world, sizes, port), nprocs=world, join=True)
