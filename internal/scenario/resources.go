package scenario

import (
	"crypto/tls"
	"net/url"
	"strconv"
	"strings"

	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// SourceKind is where a target's CPU and memory are read: the key that
// names it under the target file's resources section.
type SourceKind string

// The kinds of source. A new kind is a constant here, its key in
// sourceFile and its row in sourceKinds; then its reader in package
// resource.
const (
	// SourceTree, the zero kind, is the process tree of a target loadcheck
	// starts; a target it does not start then has no figures.
	SourceTree        SourceKind = ""
	SourcePID         SourceKind = "pid"          // the process tree of a pid
	SourcePIDFile     SourceKind = "pidfile"      // the tree of the pid in a file, read again at each sample
	SourceProcess     SourceKind = "process"      // every process whose command line contains a text, and their trees
	SourceSystemdUnit SourceKind = "systemd_unit" // the cgroup v2 of a systemd unit
	SourceCgroup      SourceKind = "cgroup"       // a cgroup v2, by path
	SourcePrometheus  SourceKind = "prometheus"   // a Prometheus text exposition's process metrics
)

// ResourceSource names where the target's CPU and memory are read: one
// kind and its argument. LoadTarget validates it, so its readers need not.
type ResourceSource struct {
	Kind SourceKind
	// Arg is the kind's argument: a pid in decimal, a pid file (resolved
	// relative to the target file), a command-line text, a unit name, an
	// absolute cgroup v2 path, or a metrics URL.
	Arg string
	// PrometheusTLS checks the certificate of an https metrics URL with
	// the target file's tls settings, as for the target itself: an exporter
	// beside a staging service usually has a certificate from the same CA.
	// Nil for http.
	PrometheusTLS *tls.Config
}

// IsZero reports whether no source is named.
func (s ResourceSource) IsZero() bool { return s.Kind == SourceTree }

// PID is the process id of a SourcePID source.
func (s ResourceSource) PID() int {
	pid, _ := strconv.Atoi(s.Arg)
	return pid
}

// Field is where the target file names the source, for messages.
func (s ResourceSource) Field() string { return "resources." + string(s.Kind) }

// sourceFile is the resources section as written: one key per kind, of
// which one may be set.
type sourceFile struct {
	PID         int    `yaml:"pid"`
	PIDFile     string `yaml:"pidfile"`
	Process     string `yaml:"process"`
	SystemdUnit string `yaml:"systemd_unit"`
	Cgroup      string `yaml:"cgroup"`
	Prometheus  string `yaml:"prometheus"`
}

// named returns the sources the section sets, in the order of
// sourceKinds.
func (f sourceFile) named() []ResourceSource {
	var out []ResourceSource
	for _, k := range sourceKinds {
		if arg := k.arg(f); arg != "" {
			out = append(out, ResourceSource{Kind: k.kind, Arg: arg})
		}
	}
	return out
}

// sourceKind is what validation knows of a kind of source.
type sourceKind struct {
	kind SourceKind
	// arg reads the kind's argument from the section; "" when unset.
	arg func(sourceFile) string
	// local: read on this machine, so a remote target cannot use it.
	local bool
	// path: the argument is a file, relative to the target file's folder.
	path bool
	// check returns what is wrong with the argument, and the fix; "" when
	// nothing is.
	check func(arg string) string
}

// sourceKinds holds every kind but SourceTree, in the order messages list
// them.
var sourceKinds = []sourceKind{
	{kind: SourcePID, arg: func(f sourceFile) string { return itoaSet(f.PID) }, local: true, check: checkPID},
	{kind: SourcePIDFile, arg: func(f sourceFile) string { return f.PIDFile }, local: true, path: true},
	{kind: SourceProcess, arg: func(f sourceFile) string { return f.Process }, local: true},
	{kind: SourceSystemdUnit, arg: func(f sourceFile) string { return f.SystemdUnit }, local: true},
	{kind: SourceCgroup, arg: func(f sourceFile) string { return f.Cgroup }, local: true, check: checkCgroup},
	{kind: SourcePrometheus, arg: func(f sourceFile) string { return f.Prometheus }, check: checkMetricsURL},
}

// SourceKinds returns every kind of source a target file can name.
func SourceKinds() []SourceKind {
	out := make([]SourceKind, len(sourceKinds))
	for i, k := range sourceKinds {
		out[i] = k.kind
	}
	return out
}

// kindOf returns what validation knows of kind k.
func kindOf(k SourceKind) sourceKind {
	for _, sk := range sourceKinds {
		if sk.kind == k {
			return sk
		}
	}
	return sourceKind{kind: k}
}

// itoaSet is n in decimal, or "" for 0, which YAML gives an absent key.
func itoaSet(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

func checkPID(arg string) string {
	if pid, err := strconv.Atoi(arg); err != nil || pid <= 0 {
		return "want a process id above 0, got " + arg
	}
	return ""
}

func checkCgroup(arg string) string {
	if !strings.HasPrefix(arg, "/") {
		return "want an absolute cgroup v2 path, e.g. /sys/fs/cgroup/system.slice/" + arg
	}
	return ""
}

func checkMetricsURL(arg string) string {
	if u, err := url.Parse(arg); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "want the http URL of a metrics page, e.g. http://127.0.0.1:9100/metrics, got " + strconv.Quote(arg)
	}
	return ""
}

// buildSource checks the resources section and returns its source: one
// kind, with a valid argument, that a remote target can read. tlsConf is
// the target's, for an https exporter.
func buildSource(p *yamlfile.Problems, f sourceFile, rel func(string) string, remote bool, tlsConf func() *tls.Config) ResourceSource {
	named := f.named()
	if len(named) > 1 {
		kinds := make([]string, len(named))
		for i, s := range named {
			kinds[i] = string(s.Kind)
		}
		p.At("resources", "name one source of CPU and memory figures, not %s", strings.Join(kinds, " and "))
	}
	for _, s := range named {
		k := kindOf(s.Kind)
		if k.check != nil {
			if msg := k.check(s.Arg); msg != "" {
				p.At(s.Field(), "%s", msg)
			}
		}
	}
	for _, s := range named {
		if remote && kindOf(s.Kind).local {
			p.At(s.Field(), "%s is read on this machine, and this target runs on another: read its CPU and memory from its exporter instead, e.g. resources: {prometheus: http://HOST:9100/metrics}", s.Kind)
		}
	}
	if len(named) == 0 {
		return ResourceSource{}
	}
	src := named[0]
	if kindOf(src.Kind).path {
		src.Arg = rel(src.Arg)
	}
	if src.Kind == SourcePrometheus && strings.HasPrefix(src.Arg, "https://") {
		src.PrometheusTLS = tlsConf()
	}
	return src
}
