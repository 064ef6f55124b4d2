package monitor

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// credentials is a LogValuer whose value nests a token.
type credentials struct{ token string }

func (c credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("user", "ana"), slog.String("token", c.token))
}

type seat struct {
	Name string `json:"name"`
	Hand Hand   `json:"hand"`
	Tok  Token  `json:"tok"`
}

func TestLogRedactionReachesNoSink(t *testing.T) {
	file := filepath.Join(t.TempDir(), "liaptui.log")
	f := newLogFixture(t, LogConfig{File: file, Level: slog.LevelDebug, RingLevel: slog.LevelDebug})
	ctx := WithCorrelationID(context.Background(), "00000000000000bb")
	secrets := []string{"s3cret-a", "s3cret-b", "s3cret-c", "s3cret-d", "s3cret-e", "s3cret-f", "s3cret-g",
		"s3cret-h", "s3cret-i", "s3cret-j", "s3cret-k", "77123", "77456", "77789", "77999"}

	lg := f.logging.For(ComponentHub)
	lg.PlayerAction(ctx, "hello", "ack",
		slog.String("token", "s3cret-a"),
		slog.Group("request", slog.Group("headers",
			slog.String("Authorization", "Bearer s3cret-b"), slog.String("Cookie", "sid=s3cret-c"))),
		slog.Any("player_token", Token("s3cret-d")),
		slog.Any("pieces", Hand{77123, 77456}),
		slog.Any("header", http.Header{"Authorization": {"Bearer s3cret-e"}, "Accept": {"*/*"}}),
		slog.String("webhook_url", "https://hooks.example/s3cret-f"),
		slog.Any("hands", [][]int{{77789}}),
		slog.Any("who", credentials{token: "s3cret-g"}),
		slog.Any("tokens", []Token{"s3cret-h"}),
		slog.String("printed", fmt.Sprintf("%v %s %#v", Token("s3cret-i"), Token("s3cret-i"), Token("s3cret-i"))),
		slog.Any("seat", seat{Name: "Ana", Hand: Hand{77999}, Tok: "s3cret-j"}),
	)
	f.logging.Logger().With("admin_token", "s3cret-k").WithGroup("deep").InfoContext(ctx, "admin", "dealt", []int{1, 2})

	if err := f.logging.Close(); err != nil {
		t.Fatal(err)
	}
	fileText, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sinks := map[string]string{
		"stdout": f.stdout.String(), "file": string(fileText), "ring": strings.Join(ringLines(f.logging), "\n"),
	}
	for sink, text := range sinks {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("%s contains secret %q:\n%s", sink, s, text)
			}
		}
		if n := strings.Count(text, `"[REDACTED]"`); n != 14 {
			t.Errorf("%s has %d redactions, want 14:\n%s", sink, n, text)
		}
	}

	lines := f.stdout.lines()
	first := decodeLine(t, lines[0])
	headers := first["request"].(map[string]any)["headers"].(map[string]any)
	if headers["Authorization"] != Redacted || headers["Cookie"] != Redacted {
		t.Errorf("nested headers not redacted: %v", headers)
	}
	if h := first["header"].(map[string]any); h["Accept"] != "*/*" || h["Authorization"] != Redacted {
		t.Errorf("http.Header logged as %v", h)
	}
	if who := first["who"].(map[string]any); who["user"] != "ana" || who["token"] != Redacted {
		t.Errorf("LogValuer group logged as %v", who)
	}
	second := decodeLine(t, lines[1])
	if second["admin_token"] != Redacted || second["deep"].(map[string]any)["dealt"] != Redacted {
		t.Errorf("bound and grouped attributes not redacted: %v", second)
	}
}

type nilError struct{}

func (*nilError) Error() string { panic("nil receiver") }

type panickingMarshaler struct{}

func (panickingMarshaler) MarshalJSON() ([]byte, error) { panic("cannot marshal") }

type failingMarshaler struct{}

func (failingMarshaler) MarshalJSON() ([]byte, error) { return nil, errors.New("no JSON for you") }
func (failingMarshaler) String() string               { return "failing-marshaler" }

func TestLogUnencodableValuesBecomeStrings(t *testing.T) {
	f := newLogFixture(t, LogConfig{})
	var nilErr *nilError
	f.logging.For(ComponentMain).Info(context.Background(), CategorySystem, "odd values",
		slog.Any("channel", make(chan int)),
		slog.Float64("nan", math.NaN()),
		slog.Float64("inf", math.Inf(1)),
		slog.Any("panics", panickingMarshaler{}),
		slog.Any("fails", failingMarshaler{}),
		slog.Any("nil_error", error(nilErr)),
		slog.Any("func", func() {}),
		slog.Int("kept", 7),
	)
	lines := f.stdout.lines()
	if len(lines) != 1 {
		t.Fatalf("got %d lines", len(lines))
	}
	m := decodeLine(t, lines[0])
	for _, key := range []string{"channel", "nan", "inf", "panics", "fails", "nil_error", "func"} {
		if _, ok := m[key].(string); !ok {
			t.Errorf("%s = %#v, want a string", key, m[key])
		}
	}
	if m["nan"] != "NaN" || m["inf"] != "+Inf" || m["fails"] != "failing-marshaler" || m["kept"] != float64(7) {
		t.Errorf("line %s", lines[0])
	}
	if strings.Contains(lines[0], "!ERROR") {
		t.Errorf("the encoder reported an error instead of a string: %s", lines[0])
	}
}
