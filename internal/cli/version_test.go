package cli

import (
	"runtime/debug"
	"testing"
)

// TestBuildVersion: a plain go build says what it was built from (the VCS
// revision or module version Go records), not "dev"; a version stamped by
// the Makefile wins.
func TestBuildVersion(t *testing.T) {
	info := func(main string, settings ...debug.BuildSetting) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Version: main}, Settings: settings}, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	for _, tc := range []struct {
		name, set string
		read      func() (*debug.BuildInfo, bool)
		want      string
	}{
		{"stamped", "v1.4.0-3-gabc", info("(devel)"), "v1.4.0-3-gabc"},
		{"go install of a tag", "dev", info("v1.2.0"), "v1.2.0"},
		{"go build in a clone", "dev", info("(devel)", debug.BuildSetting{Key: "vcs.revision", Value: "f671ba3c0de1aa8f"}), "f671ba3c0de1"},
		{"with local changes", "dev", info("(devel)", debug.BuildSetting{Key: "vcs.revision", Value: "f671ba3c0de1aa8f"}, debug.BuildSetting{Key: "vcs.modified", Value: "true"}), "f671ba3c0de1 (modified)"},
		{"nothing recorded", "dev", info("(devel)"), "dev"},
		{"no build info", "dev", none, "dev"},
	} {
		if got := buildVersion(tc.set, tc.read); got != tc.want {
			t.Errorf("%s: buildVersion = %q, want %q", tc.name, got, tc.want)
		}
	}
}
