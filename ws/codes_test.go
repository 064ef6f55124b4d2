package ws

import (
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestCodeTableMatchesSpec parses protocol.md §10: every code there is in
// the table with its WS flag and HTTP status(es), and no other code exists.
func TestCodeTableMatchesSpec(t *testing.T) {
	section := specSection(t, "## 10. Error codes")
	type row struct {
		ws   bool
		http []int
	}
	spec := map[string]row{}
	for line := range strings.SplitSeq(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 6 || !strings.HasPrefix(strings.TrimSpace(cells[1]), "`") {
			continue
		}
		code := strings.Trim(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(cells[1]), "†")), "`")
		r := row{ws: strings.TrimSpace(cells[3]) == "yes"}
		if h := strings.TrimSpace(cells[4]); h != "—" {
			for s := range strings.SplitSeq(h, "/") {
				n, err := strconv.Atoi(strings.TrimSpace(s))
				if err != nil {
					t.Fatalf("%s: bad HTTP cell %q", code, h)
				}
				r.http = append(r.http, n)
			}
		}
		spec[code] = r
	}
	if len(spec) < 30 {
		t.Fatalf("parsed only %d codes from §10", len(spec))
	}
	for code, r := range spec {
		info, ok := codeIndex[code]
		if !ok {
			t.Errorf("%s: in the spec, not in the table", code)
			continue
		}
		var http []int
		for _, s := range []int{info.HTTP, info.HTTPAlt} {
			if s != 0 {
				http = append(http, s)
			}
		}
		if info.WS != r.ws || SentOverWS(code) != r.ws {
			t.Errorf("%s: WS = %v, spec %v", code, info.WS, r.ws)
		}
		if !slices.Equal(http, r.http) {
			t.Errorf("%s: HTTP = %v, spec %v", code, http, r.http)
		}
		if want := 0; len(r.http) > 0 {
			want = r.http[0]
			if HTTPStatus(code) != want {
				t.Errorf("HTTPStatus(%s) = %d, want %d", code, HTTPStatus(code), want)
			}
		}
	}
	for _, info := range codeTable {
		if _, ok := spec[string(info.Code)]; !ok {
			t.Errorf("%s: in the table, not in the spec", info.Code)
		}
	}
	if len(codeTable) != len(codeIndex) {
		t.Errorf("table has duplicate codes")
	}
}

func TestUnknownCode(t *testing.T) {
	if KnownCode("NOPE") || SentOverWS("NOPE") || HTTPStatus("NOPE") != 0 {
		t.Error("unknown code reported as known")
	}
	if !KnownCode("NOT_YOUR_TURN") || HTTPStatus("NOT_YOUR_TURN") != 0 || !SentOverWS("NOT_YOUR_TURN") {
		t.Error("game code NOT_YOUR_TURN misreported")
	}
}
