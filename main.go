// Command liaptui hosts Liap Tui games. Subcommands:
//
//	liaptui sim      plays seeded games offline and prints figures (see README)
//	liaptui replay   folds one stored room read-only and prints its state
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "liaptui:", err)
		}
		os.Exit(2)
	}
}

// run dispatches a subcommand.
func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("usage: liaptui sim|replay [flags]")
	}
	switch args[0] {
	case "sim":
		return runSim(ctx, args[1:], out)
	case "replay":
		return runReplay(ctx, args[1:], out)
	}
	return fmt.Errorf("unknown subcommand %q (want sim or replay)", args[0])
}
