package probe

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestParseEventID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		seq  int
		want bool
	}{
		{"ab12cd34-0", 0, true},
		{"ab12cd34-4711", 4711, true},
		{"ab12cd34-", 0, false},
		{"ab12cd34-1x", 0, false},
		{"ab12cd35-1", 0, false},
		{"ab12cd34_1", 0, false},
		{"ab12cd34--1", 0, false},
		{"ab12cd34-99999999999999999999", 0, false},
		{"", 0, false},
	}
	for _, tc := range tests {
		seq, ok := parseEventID("ab12cd34", []byte(tc.id))
		if ok != tc.want || (ok && seq != tc.seq) {
			t.Errorf("parseEventID(%q) = %d, %v, want %d, %v", tc.id, seq, ok, tc.seq, tc.want)
		}
	}
	if got := eventID("ab12cd34", 17); got != "ab12cd34-17" {
		t.Errorf("eventID = %q", got)
	}
}

func TestIDOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		msg, field string
		want       string
		ok         bool
	}{
		{`{"id":"r-1","sent_at":"x"}`, "id", "r-1", true},
		{` { "a" : 1 , "id" : "r-2" } `, "id", "r-2", true},
		{`{"nested":{"id":"no"},"id":"yes"}`, "id", "yes", true},
		{`{"nested":{"id":"no"}}`, "id", "", false},
		{`{"list":[{"id":"no"},"]}"],"id":"yes"}`, "id", "yes", true},
		{`{"s":"a \"id\": \"no\"","id":"yes"}`, "id", "yes", true},
		{`{"id":42}`, "id", "", false},
		{`{"id":null}`, "id", "", false},
		{`{"id":"a\u002db"}`, "id", "a-b", true},
		{`{"i\u0064":"esc"}`, "id", "esc", true},
		{`{"event_id":"e-1","id":"other"}`, "event_id", "e-1", true},
		{`{"t":true,"f":false,"n":null,"x":-1.5e3,"id":"v"}`, "id", "v", true},
		{`["id","x"]`, "id", "", false},
		{`not json`, "id", "", false},
		{`{"id":"unterminated`, "id", "", false},
		{`{"a":`, "id", "", false},
		{``, "id", "", false},
		{`{}`, "id", "", false},
	}
	for _, tc := range tests {
		got, ok := idOf([]byte(tc.msg), tc.field)
		if ok != tc.ok || string(got) != tc.want {
			t.Errorf("idOf(%q, %q) = %q, %v, want %q, %v", tc.msg, tc.field, got, ok, tc.want, tc.ok)
		}
	}
}

// FuzzIDOf checks that idOf never panics, and agrees with encoding/json
// on objects whose "id" is a string.
func FuzzIDOf(f *testing.F) {
	f.Add([]byte(`{"id":"r-1","x":{"id":"n"}}`))
	f.Add([]byte(`{"a":[1,2,{"b":"]"}],"id":"z"}`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		got, ok := idOf(msg, "id")
		var m struct {
			ID *string `json:"id"`
		}
		var keys map[string]json.RawMessage
		if json.Unmarshal(msg, &keys) != nil || json.Unmarshal(msg, &m) != nil || m.ID == nil {
			return
		}
		if !ok || string(got) != *m.ID {
			// encoding/json matches keys case-insensitively and keeps the
			// last of duplicates; idOf wants the exact key, first one.
			if _, exact := keys["id"]; exact && len(keys) == countKeys(msg) {
				t.Errorf("idOf(%q) = %q, %v, want %q", msg, got, ok, *m.ID)
			}
		}
	})
}

// countKeys counts the top-level keys of a JSON object, duplicates included.
func countKeys(msg []byte) int {
	dec := json.NewDecoder(bytes.NewReader(msg))
	if _, err := dec.Token(); err != nil {
		return -1
	}
	n := 0
	for dec.More() {
		if _, err := dec.Token(); err != nil {
			return -1
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return -1
		}
		n++
	}
	return n
}
