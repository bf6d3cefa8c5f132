package target

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"syscall"
	"time"
)

const (
	// stopPollEvery is the pause between two scans of the process group.
	stopPollEvery = 20 * time.Millisecond
	// killTimeout bounds the wait for the group to vanish after SIGKILL.
	killTimeout = 5 * time.Second
	// outputDrainTimeout bounds the wait for the output pipe to close once
	// the group is gone; only a process outside the group can hold it.
	outputDrainTimeout = time.Second
	// portCloseTimeout bounds the wait for the port to stop accepting.
	portCloseTimeout = 2 * time.Second
)

// Stop stops the target: it sends the target file's stop signal (TERM by
// default) to the whole process group, waits up to the grace period
// (default 10s) for the root and every other process of the group to exit,
// then sends SIGKILL to the group, so a worker that ignored the signal ends
// too. It then checks that no process of the group is left, and, for a
// target that was ready, that its port no longer accepts connections.
//
// ctx bounds only the graceful part: once ctx is done, Stop goes on to
// SIGKILL at once. Pass a context that outlives an interrupt (for example
// context.WithoutCancel) to keep the grace period after Ctrl-C.
//
// Stop may be called more than once and concurrently; every call returns
// the first call's result. It returns an error when a process of the group
// survives SIGKILL, the port still accepts connections, or a descendant
// that left the group still runs (Stop does not signal it).
func (r *Running) Stop(ctx context.Context) error {
	r.stopOnce.Do(func() { r.stopErr = r.stop(ctx) })
	return r.stopErr
}

func (r *Running) stop(ctx context.Context) error {
	var problems []string
	escapees, err := r.escapees()
	if err != nil {
		problems = append(problems, err.Error())
	}
	if left, _ := r.remaining(); len(left) > 0 || !r.rootExited() {
		if err := r.signalGroup(r.sig); err != nil {
			problems = append(problems, err.Error())
		}
		_, _ = r.waitGone(ctx, r.grace)
	}
	if err := r.signalGroup(syscall.SIGKILL); err != nil {
		problems = append(problems, err.Error())
	}
	r.disarm()
	left, err := r.waitGone(context.Background(), killTimeout)
	switch {
	case err != nil:
		problems = append(problems, err.Error())
	case len(left) > 0:
		problems = append(problems, fmt.Sprintf("still running %v after SIGKILL: %s", killTimeout, describe(procRoot, left)))
	}
	if !r.rootExited() {
		problems = append(problems, fmt.Sprintf("root process %d has not exited %v after SIGKILL", r.pid, killTimeout))
	}

	drain := time.NewTimer(outputDrainTimeout)
	defer drain.Stop()
	select {
	case <-r.outDone:
	case <-drain.C:
	}
	r.outR.Close() // ends copyOutput if someone outside the group holds the pipe
	<-r.outDone

	if r.ready {
		if err := waitPortClosed(r.baseURL); err != nil {
			problems = append(problems, err.Error())
		}
	}
	var still []procStat
	for _, p := range escapees {
		if alive(procRoot, p) {
			still = append(still, p)
		}
	}
	if len(still) > 0 {
		problems = append(problems, "left the process group and still running (not stopped by loadcheck): "+describe(procRoot, still))
	}
	if len(problems) > 0 {
		return fmt.Errorf("stop target %q: %s", r.name, strings.Join(problems, "; "))
	}
	return nil
}

func (r *Running) rootExited() bool {
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

// remaining returns the live processes of the group other than the
// watchdog.
func (r *Running) remaining() ([]procStat, error) {
	return groupMembers(procRoot, r.pgid, r.watchdogPID())
}

func (r *Running) watchdogPID() int {
	if r.pgid != r.pid {
		return r.pgid // the watchdog leads the group
	}
	return 0
}

// waitGone waits until the root has exited and no process of the group is
// left, for at most d or until ctx is done. It returns what is left.
func (r *Running) waitGone(ctx context.Context, d time.Duration) ([]procStat, error) {
	timeout := time.NewTimer(d)
	defer timeout.Stop()
	tick := time.NewTicker(stopPollEvery)
	defer tick.Stop()
	for {
		left, err := r.remaining()
		if err != nil {
			return nil, err
		}
		if len(left) == 0 && r.rootExited() {
			return nil, nil
		}
		select {
		case <-ctx.Done():
			return left, nil
		case <-timeout.C:
			return left, nil
		case <-tick.C:
		case <-r.exited:
		}
	}
}

// signalGroup sends sig to the target's process group. With the watchdog
// leading the group and not yet reaped, the group id is still ours; without
// it the group id is the root's pid, which is signalled only while a
// process of the group is seen.
func (r *Running) signalGroup(sig syscall.Signal) error {
	if r.watchdog == nil {
		if left, err := r.remaining(); err != nil || len(left) == 0 {
			return err
		}
	}
	if err := syscall.Kill(-r.pgid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("send %v to process group %d: %v", sig, r.pgid, err)
	}
	return nil
}

// escapees returns the descendants of the root that are not in its process
// group.
func (r *Running) escapees() ([]procStat, error) {
	if r.rootExited() {
		return nil, nil // its children were reparented: no longer findable
	}
	procs, err := treeStats(procRoot, r.pid)
	if err != nil {
		if errors.Is(err, syscall.ESRCH) {
			return nil, nil
		}
		return nil, err
	}
	var out []procStat
	for _, p := range procs {
		if p.pgid != r.pgid {
			out = append(out, p)
		}
	}
	return out, nil
}

// waitPortClosed waits until nothing accepts connections at the host and
// port of baseURL.
func waitPortClosed(baseURL string) error {
	u, err := url.Parse(baseURL)
	if err != nil {
		return fmt.Errorf("base URL %q: %v", baseURL, err)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"https": "443"}[u.Scheme]
		if port == "" {
			port = "80"
		}
	}
	addr := net.JoinHostPort(u.Hostname(), port)
	deadline := time.Now().Add(portCloseTimeout)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err != nil {
			return nil
		}
		c.Close()
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still accepts connections after the target's processes exited", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
