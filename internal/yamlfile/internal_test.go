package yamlfile

import (
	"testing"
)

func TestSuggest(t *testing.T) {
	t.Parallel()
	valid := []string{"name", "method", "path", "headers", "body", "weight", "feed"}
	tests := []struct{ got, want string }{
		{"wieght", ` — did you mean "weight"?`}, // transposition
		{"weigth", ` — did you mean "weight"?`},
		{"Weight", ` — did you mean "weight"?`},
		{"header", ` — did you mean "headers"?`},
		{"methd", ` — did you mean "method"?`},
		{"url", " (want one of: name, method, path, headers, body, weight, feed)"},
		{"ba", " (want one of: name, method, path, headers, body, weight, feed)"},
	}
	for _, tc := range tests {
		if got := suggest(tc.got, valid); got != tc.want {
			t.Errorf("suggest(%q) = %q, want %q", tc.got, got, tc.want)
		}
	}
}

func TestEditDistance(t *testing.T) {
	t.Parallel()
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0}, {"a", "", 1}, {"weight", "weight", 0}, {"wieght", "weight", 1},
		{"kitten", "sitting", 3}, {"ca", "abc", 3},
	}
	for _, tc := range tests {
		if got := editDistance(tc.a, tc.b); got != tc.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestPaths(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, parent string }{
		{"http.endpoints[0].weight", "http.endpoints[0]"},
		{"http.endpoints[0]", "http.endpoints"},
		{"http", ""},
		{Child("http.endpoints[0].headers", "X-Api.Key"), "http.endpoints[0].headers"},
	}
	for _, tc := range tests {
		if got := Parent(tc.path); got != tc.parent {
			t.Errorf("Parent(%q) = %q, want %q", tc.path, got, tc.parent)
		}
	}
	if got := Child("headers", "a.b"); got != "headers.'a.b'" {
		t.Errorf("Child(headers, a.b) = %q, want a quoted key", got)
	}
}
