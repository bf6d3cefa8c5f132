package report

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
)

// chromium returns the path of a headless-capable Chromium. Without one the
// test is skipped on a developer's machine and fails in CI (CI is set),
// where the Makefile installs Debian's chromium package.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed (the Makefile's deps target installs Debian's chromium package); CI must run the browser test")
	}
	t.Skip("chromium is not installed: skipping the browser test (apt-get install chromium, or make deps)")
	return ""
}

// browse opens page in headless Chromium: it returns the screenshot, the
// DOM after rendering, and the browser's log.
func browse(t *testing.T, bin, page string) (shot image.Image, dom, log string) {
	t.Helper()
	dir := t.TempDir()
	shotPath := filepath.Join(dir, "shot.png")
	args := func(extra ...string) []string {
		return append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
			"--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
			"--user-data-dir=" + filepath.Join(dir, "profile"), "--enable-logging=stderr", "--v=0",
			"--window-size=1200,2000"}, extra...)
	}
	run := func(extra ...string) (string, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args(extra...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("chromium %v: %v\n%s", extra, err, tail(errb.String(), 2000))
		}
		return out.String(), errb.String()
	}
	url := "file://" + page
	_, log1 := run("--screenshot="+shotPath, url)
	dom, log2 := run("--dump-dom", url)
	f, err := os.Open(shotPath)
	if err != nil {
		t.Fatalf("no screenshot: %v\n%s", err, tail(log1, 2000))
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	return img, dom, log1 + log2
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// consoleProblem finds what a page logs when something is wrong with it:
// console messages (CONSOLE, Uncaught), blocked loads (CSP "Refused to"),
// failed requests.
var consoleProblem = regexp.MustCompile(`(?m)^.*(CONSOLE|Uncaught|Refused to|net::ERR_|Failed to load resource).*$`)

// TestHTMLInChromium opens each kind of HTML report in a real browser: it
// loads with no console error and no blocked load, its charts are in the
// rendered DOM, and its screenshot is not blank.
func TestHTMLInChromium(t *testing.T) {
	bin := chromium(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name string
		doc  result.Document
		text []string // what the rendered page must say
	}{
		{"run", withTimelines(fixture(t), 1), []string{"decision:"}},
		{"compare", fiveTargets(t), []string{"titan, uvicorn 1 worker (tuned)", "1020 (−46%)", "recommended: titan-1w, which passes every gate"}},
		{"nightly", nightly(t), []string{"REGRESSION", "recommended: none"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			page := filepath.Join(dir, tc.name+".html")
			f, err := os.Create(page)
			if err != nil {
				t.Fatal(err)
			}
			if err := WriteHTML(f, tc.doc); err != nil {
				t.Fatal(err)
			}
			f.Close()
			img, dom, log := browse(t, bin, page)

			if m := consoleProblem.FindAllString(log, -1); len(m) > 0 {
				t.Errorf("the browser logged problems:\n%s", strings.Join(m, "\n"))
			}
			want, _ := os.ReadFile(page)
			if n, wantN := strings.Count(dom, "<svg"), bytes.Count(want, []byte("<svg")); n == 0 || n != wantN {
				t.Errorf("rendered DOM holds %d <svg> elements, want the page's %d", n, wantN)
			}
			if !strings.Contains(dom, "<table") || !strings.Contains(dom, "<path") {
				t.Errorf("rendered DOM lacks tables or chart paths")
			}
			for _, s := range tc.text {
				if !strings.Contains(dom, html.EscapeString(s)) {
					t.Errorf("rendered page does not say %q", s)
				}
			}

			// Non-blank: pixels vary, and a fair share is not background.
			b := img.Bounds()
			var sum, sumSq float64
			nonWhite, n := 0, 0
			for y := b.Min.Y; y < b.Max.Y; y += 2 {
				for x := b.Min.X; x < b.Max.X; x += 2 {
					r, g, bl, _ := img.At(x, y).RGBA()
					l := (0.299*float64(r) + 0.587*float64(g) + 0.114*float64(bl)) / 257
					sum += l
					sumSq += l * l
					n++
					if l < 240 {
						nonWhite++
					}
				}
			}
			mean := sum / float64(n)
			sd := math.Sqrt(sumSq/float64(n) - mean*mean)
			share := float64(nonWhite) / float64(n)
			t.Logf("screenshot %dx%d: luminance mean %.1f, sd %.1f, %.1f%% not background", b.Dx(), b.Dy(), mean, sd, 100*share)
			if sd < 10 || share < 0.02 {
				t.Errorf("screenshot looks blank: luminance sd %.1f, %.2f%% not background", sd, 100*share)
			}
			if t.Failed() {
				os.WriteFile(filepath.Join("testdata", tc.name+".got.png"), encodePNG(img), 0o644)
				fmt.Fprintf(os.Stderr, "screenshot kept in testdata/%s.got.png\n", tc.name)
			}
		})
	}
}

func encodePNG(img image.Image) []byte {
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}
