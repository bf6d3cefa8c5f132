package report

import (
	"path/filepath"
	"strings"
)

// maxCommandRunes bounds the process column of the Resources table.
const maxCommandRunes = 40

// runSpecific are options whose value changes from run to run (a free
// port, a temporary folder) and so says nothing about the configuration.
var runSpecific = map[string]bool{
	"--host": true, "--port": true, "--listen": true, "--bind": true, "-b": true,
	"--fd": true, "--uds": true, "--pid": true, "--pidfile": true, "-c": true,
	"--config": true, "--log-config": true, "--chdir": true,
}

// commandLabel shortens a process's command line to the part that tells
// the configuration apart: the server and its settings rather than the
// interpreter, paths, ports and addresses. For example
//
//	/usr/bin/python3 -m uvicorn app:app --host 127.0.0.1 --port 41234 --workers 2
//	    → uvicorn app:app --workers 2
//	gunicorn: worker [app:app]                     → gunicorn: worker
//	/tmp/go-build1/loadcheck sim worker 1          → sim worker 1
//
// A process title a server set itself ("nginx: worker process") is kept
// up to its first path or bracket.
func commandLabel(cmd string) string {
	f := strings.Fields(cmd)
	if len(f) == 0 {
		return cmd
	}
	if strings.HasSuffix(f[0], ":") || strings.HasPrefix(f[0], "[") {
		title := cmd
		if i := strings.IndexAny(title, "/["); i > 0 {
			title = title[:i]
		}
		return truncateWords(strings.TrimSpace(title))
	}
	f = program(f)
	out := f[:1]
	for i := 1; i < len(f); i++ {
		a := f[i]
		name, _, inline := strings.Cut(a, "=")
		switch {
		case runSpecific[name] && inline:
		case runSpecific[name]:
			i++ // and its value
		case isAddress(a), filepath.IsAbs(a):
		case isClassPath(a):
			out = append(out, a[strings.LastIndexByte(a, '.')+1:])
		default:
			out = append(out, a)
		}
	}
	return truncateWords(strings.Join(out, " "))
}

// program drops what runs the program rather than the program itself: an
// interpreter and its options (python3 -m uvicorn → uvicorn, python3
// launch.py → launch.py), the folder of an executable, and loadcheck's own
// name before a subcommand (loadcheck sim → sim).
func program(f []string) []string {
	f[0] = filepath.Base(f[0])
	if strings.HasPrefix(f[0], "python") {
		for i := 1; i < len(f); i++ {
			switch {
			case f[i] == "-m" && i+1 < len(f):
				return f[i+1:]
			case f[i] == "-c":
				if strings.Contains(strings.Join(f[i:], " "), "multiprocessing") {
					return []string{"multiprocessing worker"}
				}
				return f[:1]
			case !strings.HasPrefix(f[i], "-"):
				f[i] = filepath.Base(f[i])
				return f[i:]
			}
		}
		return f[:1]
	}
	if (f[0] == "loadcheck" || strings.HasSuffix(f[0], ".test")) && len(f) > 1 && !strings.HasPrefix(f[1], "-") {
		return f[1:]
	}
	return f
}

// isClassPath reports whether s names a Python class by its module path
// (uvicorn.workers.UvicornWorker), whose last part is what matters.
func isClassPath(s string) bool {
	i := strings.LastIndexByte(s, '.')
	return i > 0 && i < len(s)-1 && s[i+1] >= 'A' && s[i+1] <= 'Z' && !strings.ContainsAny(s, "/:=")
}

// isAddress reports whether s is a host:port or :port.
func isAddress(s string) bool {
	i := strings.LastIndexByte(s, ':')
	if i < 0 || i == len(s)-1 {
		return false
	}
	for _, r := range s[i+1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// truncateWords cuts s to maxCommandRunes at a word boundary, marking the
// cut with "…".
func truncateWords(s string) string {
	r := []rune(s)
	if len(r) <= maxCommandRunes {
		return s
	}
	cut := string(r[:maxCommandRunes-1])
	if i := strings.LastIndexByte(cut, ' '); i > maxCommandRunes/4 {
		cut = cut[:i]
	}
	return cut + "…"
}
