package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/loadcheck/loadcheck/internal/result"
	"github.com/loadcheck/loadcheck/internal/unit"
)

// JUnit XML, as Jenkins, GitLab and GitHub test reporters read it: one
// <testsuite> per target, one <testcase> per gate. A failing gate carries
// the observed value and the threshold.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	Error     *junitFailure `xml:"error,omitempty"`
	// SystemOut carries a passing gate's observed value: a CI page shows
	// how close it came, not only that it passed.
	SystemOut string `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",cdata"`
}

func seconds(f float64) string { return strconv.FormatFloat(f, 'f', 3, 64) }

// resultSuite is one run as a suite: a case per gate, plus a case for the
// run itself when it did not complete.
func resultSuite(r *result.Result, name string) junitSuite {
	s := junitSuite{
		Name: name, Time: seconds(r.Elapsed.Seconds()),
		Properties: []junitProperty{
			{"scenario", r.Scenario.Name}, {"target", r.Target.Name}, {"run_id", r.RunID}, {"status", string(r.Status)},
		},
	}
	if !r.Start.IsZero() {
		s.Timestamp = r.Start.UTC().Format("2006-01-02T15:04:05")
	}
	class := "loadcheck." + classPart(r.Scenario.Name) + "." + classPart(name)
	if r.Status != result.Complete {
		c := junitCase{Name: "run completes", Classname: class, Time: seconds(r.Elapsed.Seconds())}
		msg := fmt.Sprintf("run %s after %s", r.Status, r.Elapsed.Round(time.Second))
		if r.Reason != "" {
			msg += ": " + r.Reason
		}
		f := &junitFailure{Message: msg, Type: string(r.Status), Text: msg}
		if r.Status == result.Aborted {
			c.Failure = f
		} else {
			c.Error = f
		}
		s.Cases = append(s.Cases, c)
	}
	for _, o := range r.Gates {
		c := junitCase{Name: o.Gate, Classname: class, Time: "0"}
		if o.Pass && o.Observed != nil {
			c.SystemOut = fmt.Sprintf("observed: %s (threshold %s %s)", o.Observed, o.Op, limitAsWritten(o))
		}
		if !o.Pass {
			obs := "not measured"
			if o.Observed != nil {
				obs = o.Observed.String()
			} else if o.Reason != "" {
				obs = o.Reason
			}
			c.Failure = &junitFailure{
				Message: result.Describe(o), Type: "gate",
				Text: fmt.Sprintf("gate:      %s\nobserved:  %s\nthreshold: %s %s\n", o.Gate, obs, o.Op, o.Limit),
			}
		}
		s.Cases = append(s.Cases, c)
	}
	return s
}

// classPart makes a name usable as a dotted class name component.
func classPart(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '.', ' ', '/':
			return '_'
		case ',', '"', '\'':
			return -1
		}
		return r
	}, s)
	return strings.Trim(s, "_,")
}

func saturationSuite(s *result.Saturation) junitSuite {
	st := junitSuite{Name: "saturate " + s.Target.Name,
		Properties: []junitProperty{{"scenario", s.Scenario.Name}, {"target", s.Target.Name}, {"capacity_per_s", strconv.FormatFloat(s.Capacity, 'f', 2, 64)}}}
	if !s.Start.IsZero() {
		st.Timestamp = s.Start.UTC().Format("2006-01-02T15:04:05")
	}
	class := "loadcheck." + classPart(s.Scenario.Name) + ".saturate." + classPart(s.Target.Name)
	c := junitCase{Name: "capacity found", Classname: class, Time: "0"}
	if s.Capacity <= 0 {
		c.Failure = &junitFailure{Message: SaturationSummary(s), Type: "capacity", Text: SaturationSummary(s)}
	}
	st.Cases = append(st.Cases, c)
	if s.Production > 0 {
		c := junitCase{Name: "capacity ≥ production rate " + s.ProductionText, Classname: class, Time: "0"}
		if s.Capacity < s.Production {
			c.Failure = &junitFailure{Message: SaturationSummary(s), Type: "headroom",
				Text: fmt.Sprintf("observed:  %s req/s\nthreshold: >= %s\n", unit.RoundRateNumber(s.Capacity), s.ProductionText)}
		}
		st.Cases = append(st.Cases, c)
	}
	if s.Status == result.Failed || s.Status == result.Interrupted {
		st.Cases = append(st.Cases, junitCase{Name: "search completes", Classname: class, Time: "0",
			Error: &junitFailure{Message: SaturationSummary(s), Type: string(s.Status), Text: s.Reason}})
	}
	return st
}

func nightlySuite(n *result.Nightly) junitSuite {
	st := junitSuite{Name: "nightly " + n.Date + " regressions"}
	targets := []string{}
	if n.Comparison != nil {
		targets = comparisonLabels(n.Comparison)
	}
	by := map[string][]result.Regression{}
	for _, r := range n.Regressions {
		by[r.Target] = append(by[r.Target], r)
	}
	for _, tg := range targets {
		c := junitCase{Name: "no regression", Classname: "loadcheck.nightly." + classPart(tg), Time: "0"}
		if rs := by[tg]; len(rs) > 0 {
			var texts []string
			for _, r := range rs {
				texts = append(texts, r.Text)
			}
			c.Failure = &junitFailure{Message: texts[0], Type: "regression", Text: strings.Join(texts, "\n")}
		}
		st.Cases = append(st.Cases, c)
	}
	return st
}

// WriteJUnit writes doc as JUnit XML: a suite per target with a test case
// per gate; a capacity search adds "capacity found" and the headroom
// against production; a nightly report adds a regression case per target.
func WriteJUnit(w io.Writer, doc result.Document) error {
	c := viewsOf(doc).contents()
	var suites []junitSuite
	for _, r := range c.runs {
		suites = append(suites, resultSuite(r.Result, r.label))
	}
	for _, s := range c.searches {
		suites = append(suites, saturationSuite(s))
	}
	if c.night != nil {
		suites = append(suites, nightlySuite(c.night))
	}
	all := junitSuites{Name: "loadcheck"}
	var total float64
	for i := range suites {
		s := &suites[i]
		s.Tests = len(s.Cases)
		for _, c := range s.Cases {
			if c.Failure != nil {
				s.Failures++
			}
			if c.Error != nil {
				s.Errors++
			}
		}
		if s.Time == "" {
			s.Time = "0.000"
		}
		f, _ := strconv.ParseFloat(s.Time, 64)
		total += f
		all.Tests += s.Tests
		all.Failures += s.Failures
		all.Errors += s.Errors
	}
	all.Time = seconds(total)
	all.Suites = suites
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(all); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
