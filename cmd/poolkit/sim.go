package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"poolkit/sim"
	"poolkit/target"
)

// simulate runs a load simulation profile (sim/) in-process or against a deployment,
// prints its summary, writes the JSON and HTML reports asked for, and fails when a
// threshold fails.
func simulate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("poolkit sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: poolkit sim [PROFILE] [--driver inprocess|http] [--target URL --admin-token T] [--seed N]")
		fmt.Fprintln(stderr, "                   [--messages N | --rate R] [--duration D] [--json FILE] [--html FILE]")
		fmt.Fprintln(stderr, "PROFILE is a YAML file or the name of a shipped profile ("+strings.Join(sim.Profiles(), ", ")+");")
		fmt.Fprintln(stderr, "default "+sim.DefaultProfile+". Exits non-zero when a threshold fails.")
		fs.PrintDefaults()
	}
	profile := fs.String("profile", "", "profile file or shipped profile name (also the first argument)")
	driver := fs.String("driver", sim.DriverInProcess, "inprocess (the engine on a virtual clock) or http (a deployment, in real time)")
	synthetic := fs.Bool("allow-synthetic-contacts", false, "http driver with a fixture's existing keys: message the profile's synthetic contacts (only on a deployment that sinks deliveries)")
	var tc target.Config
	tc.RegisterFlags(fs, getenv) // --target, --fixture, --admin-token: the http driver's deployment
	concurrency := fs.Int("concurrency", 16, "http driver: sends in flight at most")
	seed := fs.String("seed", "", "seed of the generator (default: the profile's)")
	messages := fs.Int64("messages", 0, "sends over the profile's duration (the rate follows)")
	rate := fs.Float64("rate", 0, "sends per second (the number of sends follows)")
	duration := fs.Duration("duration", 0, "length of the run (virtual in-process, real over http); the faults timeline stays put")
	shards := fs.Int("shards", 0, "independent pools run side by side (default: the profile's)")
	jsonOut := fs.String("json", "", "write the JSON result to FILE")
	htmlOut := fs.String("html", "", "write the HTML report (SVG charts) to FILE")
	quiet := fs.Bool("quiet", false, "no progress bar")
	list := fs.Bool("list", false, "list the shipped profiles and the metrics thresholds can name")
	var rest []string
	for a := args; ; {
		if err := fs.Parse(a); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		rest = append(rest, fs.Arg(0))
		a = fs.Args()[1:]
	}
	if *list {
		fmt.Fprintln(stdout, "shipped profiles:")
		for _, p := range sim.Profiles() {
			fmt.Fprintln(stdout, "  "+p)
		}
		fmt.Fprintln(stdout, "metrics for thresholds (\"metric op value\", op one of < <= > >= == !=):")
		for _, m := range sim.MetricNames() {
			fmt.Fprintf(stdout, "  %-22s %s\n", m[0], m[1])
		}
		fmt.Fprintf(stdout, "  %-22s %s\n", "rejections.<code>", "rejected sends with that error code")
		return nil
	}
	switch {
	case len(rest) > 1 || len(rest) == 1 && *profile != "":
		return errors.New("name one profile")
	case len(rest) == 1:
		*profile = rest[0]
	case *profile == "":
		*profile = sim.DefaultProfile
	}
	p, err := sim.LoadProfile(*profile)
	if err != nil {
		return err
	}
	if *driver != sim.DriverHTTP && !tc.Embedded() {
		return errors.New("--target and --fixture are for --driver http")
	}
	ht, err := httpTarget(tc, getenv)
	if err != nil {
		return err
	}
	if len(ht.Keys) > 0 && !*synthetic {
		return errors.New("--fixture without an admin token drives the fixture's existing keys, and the profile's synthetic contacts (+1<area>2xxxxxx, contactN@example.com) would really be messaged: pass --allow-synthetic-contacts only for a deployment that sinks its deliveries")
	}
	ht.Concurrency = *concurrency
	o := sim.Options{Driver: *driver, Messages: *messages, Rate: *rate, Duration: *duration, Shards: *shards, Target: ht}
	if *seed != "" {
		var n uint64
		if _, err := fmt.Sscan(*seed, &n); err != nil {
			return fmt.Errorf("--seed %q is not an unsigned integer", *seed)
		}
		o.Seed = &n
	}
	if *driver == sim.DriverHTTP && ht.URL != "" && ht.AdminToken == "" && len(ht.Keys) == 0 {
		return errors.New("--target needs --admin-token (the http driver provisions its own pools) or a --fixture naming existing keys")
	}
	bar := progressBar(stderr, *quiet)
	o.Progress = bar.update
	res, err := sim.Run(ctx, p, o)
	bar.finish()
	if err != nil {
		return err
	}
	if err := sim.WriteSummary(stdout, res); err != nil {
		return err
	}
	if *jsonOut != "" {
		b, err := res.JSON()
		if err != nil {
			return err
		}
		if err := writeFile(*jsonOut, b); err != nil {
			return err
		}
	}
	if *htmlOut != "" {
		var b bytes.Buffer
		if err := sim.WriteHTML(&b, res); err != nil {
			return err
		}
		if err := writeFile(*htmlOut, b.Bytes()); err != nil {
			return err
		}
	}
	switch {
	case res.Interrupted:
		return errors.New("simulation interrupted")
	case !res.Passed():
		failed := 0
		for _, t := range res.Thresholds {
			if !t.Pass {
				failed++
			}
		}
		return fmt.Errorf("%d of %d thresholds failed (seed %d)", failed, len(res.Thresholds), res.Seed)
	}
	return nil
}

func writeFile(name string, b []byte) error {
	if dir := dirOf(name); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	return os.WriteFile(name, b, 0o644)
}

func dirOf(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i > 0 {
		return name[:i]
	}
	return ""
}

// bar draws a progress bar on a terminal; elsewhere it stays quiet.
type bar struct {
	w     io.Writer
	on    bool
	drawn bool
}

// progressBar returns a bar that draws on stderr only when it is a terminal.
func progressBar(stderr io.Writer, quiet bool) *bar {
	b := &bar{w: stderr}
	if f, ok := stderr.(*os.File); ok && !quiet {
		if st, err := f.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			b.on = true
		}
	}
	return b
}

func (b *bar) update(p sim.Progress) {
	if !b.on || p.Total == 0 {
		return
	}
	const width = 30
	frac := min(float64(p.Sends)/float64(p.Total), 1)
	filled := int(frac * width)
	eta := "-"
	if p.Sends > 0 && frac < 1 {
		eta = time.Duration(float64(p.Elapsed) * (1 - frac) / frac).Round(time.Second).String()
	}
	perSec := 0.0
	if s := p.Elapsed.Seconds(); s > 0 {
		perSec = float64(p.Sends) / s
	}
	fmt.Fprintf(b.w, "\r[%s%s] %3.0f%%  %d/%d sends  %.0f sends/s  ETA %s   ",
		strings.Repeat("=", filled), strings.Repeat(" ", width-filled), 100*frac, p.Sends, p.Total, perSec, eta)
	b.drawn = true
}

func (b *bar) finish() {
	if b.drawn {
		fmt.Fprint(b.w, "\r\033[K")
	}
}

// httpTarget is the http driver's deployment: the embedded reference (no URL), a URL with
// an admin token, or the existing keys of a fixture (the profile then describes them).
func httpTarget(tc target.Config, getenv func(string) string) (sim.HTTPTarget, error) {
	ht := sim.HTTPTarget{URL: tc.URL, AdminToken: tc.AdminToken}
	if tc.FixtureFile == "" {
		return ht, nil
	}
	f, err := target.LoadFixture(tc.FixtureFile, getenv)
	if err != nil {
		return ht, err
	}
	ht.URL = cmpOr(ht.URL, f.URL)
	ht.AdminToken = cmpOr(ht.AdminToken, f.AdminToken)
	if ht.AdminToken != "" {
		return ht, nil // it can provision: the profile's own pools
	}
	for _, k := range f.Keys {
		if k.Protocol != "imessage" {
			continue // the simulation models rotating (Blooio) pools
		}
		ek := sim.ExistingKey{Secret: k.Secret}
		for _, n := range k.Numbers {
			ek.Numbers = append(ek.Numbers, sim.ExistingNumber{Phone: n.Phone, PlanKind: n.PlanKind, Weight: n.Weight})
		}
		ht.Keys = append(ht.Keys, ek)
	}
	return ht, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
