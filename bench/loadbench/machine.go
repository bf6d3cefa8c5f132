// The machine the bench ran on.

package main

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"syscall"
)

func environment(c config) []string {
	var env []string
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				env = append(env, fmt.Sprintf("CPU: %s, %d cores", strings.TrimSpace(v), runtime.NumCPU()))
				break
			}
		}
	}
	var un syscall.Utsname
	if syscall.Uname(&un) == nil {
		env = append(env, "kernel: "+utsString(un.Release[:]))
	}
	version := func(name string, args ...string) string {
		out, _ := exec.Command(name, args...).CombinedOutput()
		return strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
	}
	env = append(env, "loadcheck: "+version(c.loadcheck, "--version"))
	if out, err := exec.Command("go", "version", "-m", c.vegeta).Output(); err == nil {
		for _, l := range strings.Split(string(out), "\n") {
			if f := strings.Fields(l); len(f) >= 3 && f[0] == "mod" {
				env = append(env, "vegeta CLI: "+f[1]+" "+f[2]+", "+strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0][len(c.vegeta)+1:]))
			}
		}
	}
	env = append(env, "wrk: "+version("dpkg-query", "-W", "-f=${Version}", "wrk"), "hey: "+version("dpkg-query", "-W", "-f=${Version}", "hey"))
	return env
}

func utsString(b []int8) string {
	var s []byte
	for _, c := range b {
		if c == 0 {
			break
		}
		s = append(s, byte(c))
	}
	return string(s)
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
