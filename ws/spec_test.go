package ws

import (
	"os"
	"strings"
	"testing"
)

const specPath = "/work/shared/spec/protocol.md"

// specSection returns the text of protocol.md from the heading starting
// with start up to the next heading of the same or a higher level; the
// test is skipped when the spec is not checked out next to the code.
func specSection(t *testing.T, start string) string {
	t.Helper()
	b, err := os.ReadFile(specPath)
	if os.IsNotExist(err) {
		t.Skipf("%s not present", specPath)
	}
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	i := strings.Index(text, "\n"+start)
	if i < 0 {
		t.Fatalf("spec has no heading %q", start)
	}
	level := strings.Index(start, " ") // number of '#'
	rest := text[i+1+len(start):]
	end := len(rest)
	for _, h := range []string{"\n## ", "\n### "}[:level-1] {
		if j := strings.Index(rest, h); j >= 0 && j < end {
			end = j
		}
	}
	return rest[:end]
}

// jsonBlocks returns the lines of the ```json blocks of a section; a line
// that does not start with '{' continues the previous one.
func jsonBlocks(section string) []string {
	var out []string
	in := false
	for line := range strings.SplitSeq(section, "\n") {
		switch {
		case strings.HasPrefix(line, "```json"):
			in = true
		case strings.HasPrefix(line, "```"):
			in = false
		case in && strings.HasPrefix(line, "{"):
			out = append(out, line)
		case in && len(out) > 0:
			out[len(out)-1] += "\n" + line
		}
	}
	return out
}
