// Package target starts, watches and stops the service under test, and
// knows its process tree.
//
// It sits right after scenario in the pipeline: the CLI loads a
// scenario.Target, and either calls Start (a target with a start command)
// or CheckReachable (a service someone else runs). While load, probe and
// resource run, the *Running value gives the base URL, the root pid for the
// resource sampler (which finds the workers itself, with package proc),
// the start-to-ready time for the target.ready_time metric, and the last
// lines of the target's output for error messages. Stop ends the run.
//
// # Processes
//
// Start puts the target in a process group of its own, so that a signal
// reaches the target's workers and Ctrl-C in the terminal reaches only
// loadcheck, which then stops the target in order. Stop signals the whole
// group with the target file's stop signal, waits up to the grace period
// for the group to exit, then sends SIGKILL to the group (a worker that
// ignores SIGTERM ends here), and checks that no process of the group is
// left and that the port no longer accepts connections.
//
// A target must not outlive loadcheck, even when loadcheck itself is killed
// with SIGKILL. Two mechanisms make sure of it:
//
//   - The root process of the target is started with the parent-death
//     signal SIGKILL (prctl PR_SET_PDEATHSIG). Linux ties that signal to
//     the thread that started the child; the Go runtime ends a thread only
//     when a goroutine locked to it with runtime.LockOSThread returns, so
//     Start must not be called from such a goroutine.
//   - The parent-death signal does not reach grandchildren (uvicorn and
//     gunicorn workers). For them, the process group is led by a small
//     watchdog, "/bin/sh -c", that ignores SIGTERM, SIGINT, SIGQUIT and
//     SIGHUP and blocks reading a pipe whose only writer is loadcheck. When
//     loadcheck dies for any reason the kernel closes the pipe, the read
//     ends, and the watchdog sends SIGKILL to its own process group, which
//     is the target's. Because the watchdog leads the group and is reaped
//     only by Stop, the group id cannot be reused by another process while
//     loadcheck may still signal it. Without /bin/sh the target leads its
//     own group and only the parent-death signal protects it.
//
// Known gaps: a process that leaves the group (setsid, a daemon that forks
// into the background) is neither signalled nor killed; Stop reports such a
// process if it is still a descendant of the root when Stop begins. The free
// port is chosen by binding port 0 and closing it, so another process can
// take it before the target binds it; Start retries with a new port when the
// target exits saying "address already in use", but cannot tell when a
// different server that already listens on the port answers the readiness
// check.
//
// Everything here is Linux-only: it relies on /proc and process groups.
package target
