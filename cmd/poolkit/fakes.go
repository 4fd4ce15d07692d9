package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"poolkit/fakes/macrelay"
	"poolkit/fakes/twilio"
)

// fakeRelay runs a fleet of fake Mac relays (fakes/macrelay) until ctx ends.
func fakeRelay(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("poolkit fake-relay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "JSON configuration of the fleet (required; see fakes/macrelay LoadConfig)")
	engineURL := fs.String("engine-url", "", "the engine's base URL for events; overrides the config's engine_url")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *config == "" || fs.NArg() > 0 {
		return errors.New("fake-relay takes --config FILE and no arguments")
	}
	f, err := os.Open(*config)
	if err != nil {
		return err
	}
	cfg, err := macrelay.LoadConfig(f)
	f.Close()
	if err != nil {
		return err
	}
	if *engineURL != "" {
		cfg.EngineURL = *engineURL
	}
	return macrelay.Run(ctx, cfg, stdout)
}

// fakeTwilio runs a fake Twilio (fakes/twilio) until ctx ends.
func fakeTwilio(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("poolkit fake-twilio", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "JSON configuration of the accounts (required; see fakes/twilio LoadConfig)")
	addr := fs.String("addr", "", "listen address; overrides the config's listen")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if *config == "" || fs.NArg() > 0 {
		return errors.New("fake-twilio takes --config FILE and no arguments")
	}
	f, err := os.Open(*config)
	if err != nil {
		return err
	}
	cfg, err := twilio.LoadConfig(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("%w", err)
	}
	if *addr != "" {
		cfg.Listen = *addr
	}
	return twilio.Run(ctx, cfg, stdout)
}
