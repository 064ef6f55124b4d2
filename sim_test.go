package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func TestSimPrintsFigures(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sim", "-games", "8", "-seed", "3"}, &out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"games           8 (seeds 3..10", "games/s", "rounds/game", "redeals/round",
		"events/game", "multiplier      x1:", "bot vs random   "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

func TestSimTableSeatsHaveNoBotLine(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sim", "-games", "2", "-seats", "table,table,table,table"}, &out); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "bot vs random") {
		t.Errorf("a table-only run has no bot-vs-random figure:\n%s", out.String())
	}
}

func TestSimRejectsBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"sim", "-games", "0"},
		{"sim", "-seats", "bot,bot"},
		{"sim", "-seats", "bot,wizard,bot,bot"},
		{"sim", "-seats", "table,bot,bot,bot"},
		{"sim", "-nope"},
		{"serve-me"},
	} {
		if err := run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: want an error", args)
		}
	}
}
