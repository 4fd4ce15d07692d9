package main

import (
	"context"
	"fmt"
	"io"
)

const usage = `Usage: poolkit <command> [flags]

Commands:
  serve         serve the reference API (public v2 API, admin API, relay events,
                Twilio webhooks) and dispatch the outbox; --demo runs a ready demo
                with fake Mac relays and a fake Twilio in-process
  fake-relay    run a fleet of fake Mac relays: --config FILE [--engine-url URL]
  fake-twilio   run a fake Twilio: --config FILE [--addr HOST:PORT]
  check         judge a deployment against every rule: [--target URL] [--fixture FILE]
                [--json FILE] [--junit FILE]; default: the embedded reference
  replay        replay YAML scenarios: [FILE|DIR]... [--target URL] [--fixture FILE] [--junit FILE]
  sim           run a load simulation profile: [PROFILE] [--driver inprocess|http] [--json FILE] [--html FILE]
  help          show this help

Run "poolkit <command> -h" for a command's flags.
`

// run is the whole program: args are os.Args, getenv reads the environment, and ctx ends
// on SIGINT or SIGTERM.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) < 2 {
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("no command")
	}
	switch cmd := args[1]; cmd {
	case "serve":
		return serve(ctx, args[2:], getenv, stdout, stderr)
	case "fake-relay":
		return fakeRelay(ctx, args[2:], stdout, stderr)
	case "fake-twilio":
		return fakeTwilio(ctx, args[2:], stdout, stderr)
	case "check":
		return check(ctx, args[2:], getenv, stdout, stderr)
	case "replay":
		return replay(ctx, args[2:], getenv, stdout, stderr)
	case "sim":
		return simulate(ctx, args[2:], getenv, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
