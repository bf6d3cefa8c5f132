package derive

import (
	"bytes"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// A route is a method and a path template: the path with its ids (numeric
// segments, UUIDs, long hex strings) replaced by placeholders, and its
// query with each value a placeholder. The placeholders' names are the
// columns of the route's feed, in order: path placeholders first, then
// the query's keys, sorted.
//
//	GET /api/customers/{{.id}}/history?page={{.page}}

// split turns a request target into its route key (method and template)
// and the placeholder values, decoded, appended to vals. cols receives the
// column names when it is not nil.
func split(method string, target []byte, key *bytes.Buffer, vals []string, cols *[]string) []string {
	key.Reset()
	key.WriteString(method)
	key.WriteByte(' ')
	path, query, _ := bytes.Cut(target, []byte("?"))
	if i := bytes.IndexByte(query, '#'); i >= 0 {
		query = query[:i]
	}
	var names []string
	name := func(base string) string {
		n := base
		for i := 2; slices.Contains(names, n); i++ {
			n = base + strconv.Itoa(i)
		}
		names = append(names, n)
		return n
	}
	for i, seg := range bytes.Split(path, []byte("/")) {
		if i > 0 {
			key.WriteByte('/')
		}
		kind := idKind(seg)
		if kind == "" {
			key.Write(seg)
			continue
		}
		n := name(kind)
		key.WriteString("{{." + n + "}}")
		v, err := url.PathUnescape(string(seg))
		if err != nil {
			v = string(seg)
		}
		vals = append(vals, v)
	}
	if len(query) > 0 {
		type pair struct{ k, v string }
		var pairs []pair
		for _, kv := range bytes.Split(query, []byte("&")) {
			if len(kv) == 0 {
				continue
			}
			k, v, _ := bytes.Cut(kv, []byte("="))
			ks, err := url.QueryUnescape(string(k))
			if err != nil {
				ks = string(k)
			}
			vs, err := url.QueryUnescape(string(v))
			if err != nil {
				vs = string(v)
			}
			pairs = append(pairs, pair{ks, vs})
		}
		slices.SortStableFunc(pairs, func(a, b pair) int { return strings.Compare(a.k, b.k) })
		for i, p := range pairs {
			sep := byte('&')
			if i == 0 {
				sep = '?'
			}
			key.WriteByte(sep)
			key.WriteString(url.QueryEscape(p.k))
			key.WriteString("={{." + name(columnFor(p.k)) + "}}")
			vals = append(vals, p.v)
		}
	}
	if cols != nil {
		*cols = names
	}
	return vals
}

// idKind names the placeholder a path segment becomes — id for a number,
// uuid for a UUID, hex for a hex string of 16 characters or more with a
// digit — or "" for a segment that stays as it is.
func idKind(seg []byte) string {
	if len(seg) == 0 {
		return ""
	}
	digits, hex := 0, 0
	for _, c := range seg {
		switch {
		case c >= '0' && c <= '9':
			digits++
			hex++
		case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
			hex++
		}
	}
	switch {
	case digits == len(seg):
		return "id"
	case len(seg) == 36 && seg[8] == '-' && seg[13] == '-' && seg[18] == '-' && seg[23] == '-' && hex == 32:
		return "uuid"
	case len(seg) >= 16 && hex == len(seg) && digits > 0:
		return "hex"
	}
	return ""
}

// columnFor makes a query key a feed column name: letters, digits and _,
// not starting with a digit, and never weight, which a feed reserves.
func columnFor(k string) string {
	b := []byte(k)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	s := string(b)
	if s == "" || s[0] >= '0' && s[0] <= '9' || s == "weight" {
		s = "q_" + s
	}
	return s
}

// endpointName names a route's endpoint after its path's fixed segments,
// without "api": GET /api/zeus/search is zeus-search, POST
// /api/dispatch/broadcast post-dispatch-broadcast, GET / home.
func endpointName(route string) string {
	method, tmpl, _ := strings.Cut(route, " ")
	path, _, _ := strings.Cut(tmpl, "?")
	var parts []string
	if method != "GET" {
		parts = append(parts, strings.ToLower(method))
	}
	for _, seg := range strings.Split(path, "/") {
		if seg == "" || seg == "api" || strings.HasPrefix(seg, "{{") {
			continue
		}
		var b strings.Builder
		for _, c := range strings.ToLower(seg) {
			if c >= 'a' && c <= 'z' || c >= '0' && c <= '9' {
				b.WriteRune(c)
			} else {
				b.WriteByte('-')
			}
		}
		if s := strings.Trim(b.String(), "-"); s != "" {
			parts = append(parts, s)
		}
	}
	if len(parts) == 0 || len(parts) == 1 && method != "GET" {
		parts = append(parts, "home")
	}
	return strings.Join(parts, "-")
}
