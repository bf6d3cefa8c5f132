// Package resource samples the CPU and memory of the service under test
// while the load runs, for the report's Resources table and for the
// cpu.sustained, cpu.total, rss.total and rss.max_process gates.
//
// In the pipeline it runs beside load and probe: run creates a Sampler
// with New from the target's resources source (or the pid of the target
// it started), calls Run in a goroutine of its own until the measured phase
// ends, reads Current for abort conditions and progress, and puts Summary
// in the result.
//
// # Sources
//
//   - The process tree of a target loadcheck started, and of a pid, of the
//     pid in a pid file (read again at each sample) or of every process
//     whose command line contains a text (except loadcheck itself): all
//     descendants are included, found again at each sample, so workers
//     started later (uvicorn's, gunicorn's) are picked up, and a worker is
//     still followed after its parent died. A gunicorn
//     or uvicorn master counts as a process. Roles are guessed: "master"
//     for a process with children in the target, "worker" for Python
//     servers and forked children, "nginx master", "nginx worker",
//     "redis", "postgres", "helper" (multiprocessing's resource tracker).
//   - A cgroup v2, named by path or as a systemd unit (resolved with
//     systemctl show -p ControlGroup, else system.slice/UNIT): the totals
//     come from the cgroup's cpu.stat usage_usec and memory.current (which
//     counts page cache too; without the memory controller, the sum of the
//     processes' RSS stands in), the rows from the processes in
//     cgroup.procs.
//   - A Prometheus text exposition: each label set of
//     process_cpu_seconds_total is a row, with the
//     process_resident_memory_bytes of the same labels.
//
// # Figures
//
// CPU is in percent of one core: CPU time used between two readings over
// the monotonic wall time between them. A process that started since the
// previous reading is credited with all its CPU time; one already running
// when first seen counts from its second reading. A process that exits is marked Exited at the first reading that misses it
// (or sees it a zombie); its CPU after its last reading is lost to the
// rows, not to a cgroup's totals.
//
// cpu.sustained is the highest rolling mean, over the sustained window, of
// the busiest process's CPU: the rolling mean is computed per process,
// counting the time before a process started or after it exited as idle,
// and the maximum is taken over processes and windows. When the run is
// shorter than the window, the window is the whole run. cpu.total is the
// mean of the summed CPU over the run; rss.total and rss.max_process are
// peaks of the summed and of any one process's RSS.
//
// Sampling failures (a process gone, permission denied, a failed scrape)
// are counted by kind with an example in Summary.Errors and do not stop
// Run.
//
// # Cost
//
// A process-tree source reads, per sample and per member, its stat and
// the children files of its threads (/proc/<pid>/task/<tid>/children);
// where the kernel lacks those, and for a command-line match, it reads the
// stat of every process on the machine instead. Measured on a 2-core VM
// with a tree of five processes: about 0.2 ms of CPU per sample with
// children files, 0.02 % of one core at 1 s intervals; without, about
// 14 µs per process on the machine (1.8 ms with 129). TestSamplingCost
// fails above 1 ms, and above 40 µs per process; BenchmarkSampleTree
// measures the time.
package resource
