// Command liaptui hosts Liap Tui games. Subcommands:
//
//	liaptui serve    serves the game (the default)
//	liaptui sim      plays seeded games offline and prints figures (see README)
//	liaptui replay   folds one stored room read-only and prints its state
//	liaptui load     drives many WebSocket clients against a server
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "liaptui:", err)
		}
		if errors.Is(err, errUncleanShutdown) {
			os.Exit(1) // observability §9.2: a step did not finish in its bound
		}
		os.Exit(2)
	}
}

// run dispatches a subcommand.
func run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return runServe(ctx, args, out)
	}
	switch args[0] {
	case "serve":
		return runServe(ctx, args[1:], out)
	case "sim":
		return runSim(ctx, args[1:], out)
	case "replay":
		return runReplay(ctx, args[1:], out)
	case "load":
		return runLoad(ctx, args[1:], out)
	}
	return fmt.Errorf("unknown subcommand %q (want serve, sim, replay or load)", args[0])
}
