package scenario

import (
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/yamlfile"
)

// LoadTarget reads, validates and builds the target file at path, with
// defaults applied. Like Load, every error wraps yamlfile.ErrInvalid and
// names file:line:col and the field. The base URL's host must be
// loopback: loadcheck sends load only to the machine it runs on.
func LoadTarget(path string) (*Target, error) {
	var f targetFile
	src, secrets, err := yamlfile.Decode(path, &f, misfitTarget)
	if err != nil {
		return nil, err
	}
	p := &yamlfile.Problems{File: src}
	t := buildTarget(p, f.withDefaults())
	if err := p.Err(); err != nil {
		return nil, err
	}
	t.Secrets = secrets
	return t, nil
}

func buildTarget(p *yamlfile.Problems, f targetFile) *Target {
	file := p.File.Path
	dir := filepath.Dir(file)
	rel := func(s string) string {
		if s == "" || filepath.IsAbs(s) {
			return s
		}
		return filepath.Join(dir, s)
	}
	t := &Target{
		Name:    f.Name,
		File:    file,
		BaseURL: strings.TrimRight(f.BaseURL, "/"),
		Ready:   Ready{Path: f.Ready.Path, Timeout: time.Duration(*f.Ready.Timeout)},
		Stop:    Stop{Signal: strings.TrimPrefix(strings.ToUpper(f.Stop.Signal), "SIG"), Grace: time.Duration(*f.Stop.Grace)},
		parsed:  p.File,
	}
	if t.Name == "" {
		t.Name = strings.TrimSuffix(filepath.Base(file), filepath.Ext(file))
	}
	checkBaseURL(p, f.BaseURL, f.Start != nil, f.AllowRemote)
	t.Downstreams = buildDownstreams(p, f.Downstreams)
	if f.Start != nil {
		t.Start = &Start{Command: f.Start.Command, Dir: rel(f.Start.Dir), Env: f.Start.Env}
		if len(t.Start.Command) == 0 || t.Start.Command[0] == "" {
			p.At("start.command", "command: missing: the program and its arguments, e.g. command: [python3, -m, uvicorn, app:app, --port, \"{port}\"]")
		} else {
			checkStart(p, t.Start)
			checkPortAgreement(p, f.BaseURL, t.Start)
		}
	}
	checkPlaceholders(p, t.Start, t.Downstreams)
	if !strings.HasPrefix(t.Ready.Path, "/") {
		p.At("ready.path", "%s", pathFix(t.Ready.Path))
	}
	if t.Ready.Timeout <= 0 {
		p.At("ready.timeout", "want a timeout longer than 0s, e.g. 30s")
	}
	switch t.Stop.Signal {
	case "TERM", "INT", "QUIT", "KILL":
	default:
		p.At("stop.signal", "unknown signal %q: want TERM, INT, QUIT or KILL", f.Stop.Signal)
	}
	t.AllowRemote = f.AllowRemote
	t.TLS = buildTLS(p, f.TLS, f.BaseURL, rel)
	if f.Resources != nil {
		t.Resources = buildSource(p, *f.Resources, rel, t.Remote(), t.TLSConfig)
	}
	// A target on another machine gets load only with allow_remote (see
	// checkBaseURL), its CPU and memory only from its exporter (see
	// buildSource), and loadcheck cannot start it.
	if t.Remote() && f.Start != nil && f.AllowRemote {
		p.At("allow_remote", "a target loadcheck starts runs on this machine: remove the start section to load a running remote service, or allow_remote for a local one")
	}
	return t
}

// buildTLS checks the tls section and reads its CA file, so that a missing
// or empty file is a validation error rather than a failed run.
func buildTLS(p *yamlfile.Problems, f *tlsFile, baseURL string, rel func(string) string) TLS {
	if f == nil {
		return TLS{}
	}
	t := TLS{CAFile: rel(f.CAFile), InsecureSkipVerify: f.InsecureSkipVerify}
	if !strings.HasPrefix(baseURL, "https://") {
		p.At("tls", "base_url is not https://, so these settings would check nothing — use an https:// base_url or remove tls")
	}
	if t.CAFile != "" && t.InsecureSkipVerify {
		p.At("tls.insecure_skip_verify", "name one: ca_file verifies the certificate against your CA, insecure_skip_verify verifies nothing")
	}
	if t.CAFile == "" {
		return t
	}
	pem, err := os.ReadFile(t.CAFile)
	if err != nil {
		p.At("tls.ca_file", "cannot read the CA file: %v — name the PEM file of the CA that signed the target's certificate", yamlfile.WithoutPath(err))
		return t
	}
	t.roots = x509.NewCertPool()
	if !t.roots.AppendCertsFromPEM(pem) {
		p.At("tls.ca_file", "%s holds no PEM certificate (-----BEGIN CERTIFICATE-----): name the CA's certificate, not its key", f.CAFile)
	}
	return t
}

// checkBaseURL enforces the safety rule: load goes only to loopback hosts.
func checkBaseURL(p *yamlfile.Problems, raw string, started, allowRemote bool) {
	const at = "base_url"
	if raw == "" {
		p.At("", "base_url: missing: where the target serves, e.g. base_url: http://127.0.0.1:8000")
		return
	}
	hasPort := strings.Contains(raw, "{port}")
	u, err := url.Parse(strings.ReplaceAll(raw, "{port}", "1"))
	if err != nil || u.Host == "" {
		p.At(at, "want an http URL such as http://127.0.0.1:8000, got %q", raw)
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		p.At(at, "scheme %q: want http or https, e.g. http://127.0.0.1:8000", u.Scheme)
		return
	}
	if port := u.Port(); port != "" && !hasPort {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			p.At(at, "port %s: want a port from 1 to 65535", port)
		}
	}
	if u.RawQuery != "" || u.Fragment != "" {
		p.At(at, "want a URL without a query or fragment, got %q: endpoint paths are appended to it", raw)
	}
	if !isLoopback(u.Hostname()) && !allowRemote {
		p.At(at, "host %q is not loopback: loadcheck sends load only to 127.0.0.0/8, ::1 or localhost unless the target file says allow_remote: true — "+
			"add that line only for a machine you may load, such as your own staging server: it lets this scenario's full load go there", u.Hostname())
	}
	if hasPort && !started {
		p.At(at, "{port} is chosen for targets loadcheck starts, and this one has no start section: write the port the target listens on")
	}
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}

// checkStart checks what starting the target needs before any process
// runs: that the folder exists and the command is found and executable,
// the way Start looks for it. Values holding {port} are checked once the
// port is known, at start.
func checkStart(p *yamlfile.Problems, s *Start) {
	dirOK := true
	if s.Dir != "" && !strings.Contains(s.Dir, "{port}") {
		if st, err := os.Stat(s.Dir); err != nil || !st.IsDir() {
			dirOK = false
			p.At("start.dir", "folder %s does not exist — create it or fix the path (relative to the target file's folder)", s.Dir)
		}
	}
	name := s.Command[0]
	if !dirOK || strings.Contains(name, "{port}") || strings.Contains(s.Dir, "{port}") || hasPlaceholder(name) {
		return
	}
	if _, err := ResolveCommand(name, s.Dir); err != nil {
		hint := "install it, or give its path"
		if strings.Contains(name, "/") {
			hint = "fix the path (relative to start.dir) or make the file executable"
		}
		p.At("start.command[0]", "%q: %v — %s", name, unwrapExecError(err), hint)
	}
}

// SelfCommand as the first word of a start command means this very
// executable, loadcheck itself.
const SelfCommand = "loadcheck"

// ResolveCommand finds the executable for the first word of a start
// command, as Start runs it: "loadcheck" is this executable; a relative
// path with a slash is taken from dir; any other name is looked up in
// PATH.
func ResolveCommand(name, dir string) (string, error) {
	if name == SelfCommand {
		self, err := os.Executable()
		if err != nil {
			return "", fmt.Errorf("find loadcheck's own executable: %v", err)
		}
		return self, nil
	}
	if strings.Contains(name, "/") && !filepath.IsAbs(name) && dir != "" {
		name = filepath.Join(dir, name)
	}
	return exec.LookPath(name)
}

// unwrapExecError drops the `exec: "name":` prefix of a LookPath error,
// which the caller names itself.
func unwrapExecError(err error) error {
	var ee *exec.Error
	if errors.As(err, &ee) {
		if ee.Err == exec.ErrNotFound {
			return errors.New("not found in PATH")
		}
		return ee.Err
	}
	return err
}

// LoadTarget loads the scenario's own target, the file its target: field
// names. A file that cannot be read is reported at that field, whose path
// is relative to the scenario's folder.
func (s *Scenario) LoadTarget() (*Target, error) {
	src := s.parsed
	if src == nil {
		src = &yamlfile.File{Path: s.File}
	}
	p := &yamlfile.Problems{File: src}
	if s.TargetFile == "" {
		p.At("", "the scenario names no target — add `target: path.yaml` or pass --target")
		return nil, p.Err()
	}
	t, err := LoadTarget(s.TargetFile)
	if err != nil && errors.Is(err, fs.ErrNotExist) {
		p.AtCause("target", fs.ErrNotExist, "%s does not exist — fix the path (relative to the scenario's folder) or pass --target", s.TargetFile)
		return nil, p.Err()
	}
	if st, serr := os.Stat(s.TargetFile); serr == nil && st.IsDir() {
		p.At("target", "%s is a folder — name a target file in it, e.g. target: %s", s.TargetFile, filepath.Join(s.TargetFile, "sim-1w.yaml"))
		return nil, p.Err()
	}
	return t, err
}
