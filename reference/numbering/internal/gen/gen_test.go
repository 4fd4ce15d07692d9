package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp/syntax"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTablesUpToDate regenerates the tables into a temporary file and requires the
// committed tables_gen.go to be byte-for-byte the same. The exchange comparison only adds
// warnings and is slow under the race detector, so it is left out here and tested below.
func TestTablesUpToDate(t *testing.T) {
	out := filepath.Join(t.TempDir(), "tables_gen.go")
	var stderr bytes.Buffer
	require.NoError(t, run([]string{"-o", out, "-exchanges=false"}, &stderr), stderr.String())

	got, err := os.ReadFile(out)
	require.NoError(t, err)
	want, err := os.ReadFile(filepath.Join("..", "..", "tables_gen.go"))
	require.NoError(t, err)
	if !bytes.Equal(got, want) {
		require.Equal(t, string(want), string(got),
			"reference/numbering/tables_gen.go is stale: run go generate ./reference/numbering")
	}
	require.Contains(t, stderr.String(), "geographic NANP area codes")
}

// TestCompareExchanges pins the two disagreements in the phonenumbers v1.8.1 data: one
// New Jersey exchange geocoded to New York, and a Yukon place without its territory.
func TestCompareExchanges(t *testing.T) {
	tb := &tables{}
	tb.compareExchanges(areaCode{npa: 201, country: "US", regions: []string{"US-NJ"}, source: "New Jersey"})
	tb.compareExchanges(areaCode{npa: 415, country: "US", regions: []string{"US-CA"}, source: "California"})
	tb.compareExchanges(areaCode{npa: 867, country: "CA", regions: []string{"CA-NT", "CA-NU", "CA-YT"}, source: "Northwest Territories/Nunavut/Yukon"})
	require.Len(t, tb.warnings, 2, tb.warnings)
	require.Contains(t, tb.warnings[0], `201-631: "New York, NY" (US-NY)`)
	require.Contains(t, tb.warnings[1], `867-536: "Watson Lake"`)
}

func TestCanStartWith(t *testing.T) {
	re, err := syntax.Parse(`^(?:2(?:0[1-3]|1[02])[2-9]\d{6}|345(?:222|9\d\d)\d{4})$`, syntax.Perl)
	require.NoError(t, err)
	prog, err := syntax.Compile(re.Simplify())
	require.NoError(t, err)
	for prefix, want := range map[string]bool{
		"":            true,
		"2":           true,
		"201":         true,
		"204":         false,
		"2012":        true,
		"2011":        false,
		"345222":      true,
		"345223":      false,
		"3459":        true,
		"2012345678":  true,
		"20123456789": false,
	} {
		require.Equal(t, want, canStartWith(prog, prefix), "prefix %q", prefix)
	}
}

func TestRun_RejectsArguments(t *testing.T) {
	var stderr bytes.Buffer
	require.Error(t, run([]string{"-o", filepath.Join(t.TempDir(), "x.go"), "extra"}, &stderr))
	require.Error(t, run([]string{"-nope"}, &stderr))
}

func TestSubdivisionsOf(t *testing.T) {
	tests := []struct {
		country, desc string
		want          []string
	}{
		{"US", "California", []string{"US-CA"}},
		{"US", "Washington State", []string{"US-WA"}},
		{"US", "Washington D.C.", []string{"US-DC"}},
		{"US", "San Antonio, TX", []string{"US-TX"}},
		{"US", "Washington, DC", []string{"US-DC"}},
		{"CA", "British Colombia", []string{"CA-BC"}},
		{"CA", "Montreal, QC", []string{"CA-QC"}},
		{"CA", "Nova Scotia/Prince Edward Island", []string{"CA-NS", "CA-PE"}},
		{"CA", "Northwest Territories/Nunavut/Yukon", []string{"CA-NT", "CA-NU", "CA-YT"}},
		{"CA", "Newfoundland and Labrador", []string{"CA-NL"}},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			got, err := subdivisionsOf(tt.country, tt.desc)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestSubdivisionsOf_Errors(t *testing.T) {
	tests := []struct{ country, desc string }{
		{"CA", "Watson Lake"},     // a place without its province
		{"US", "Toronto, ON"},     // a Canadian place under a US area code
		{"CA", "Ontario/Texas"},   // a US state under a Canadian area code
		{"US", "St. Thomas, VI"},  // a territory with its own country code
		{"US", "United States"},   // the country, not a state
		{"US", "Springfield, XX"}, // not an abbreviation
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			_, err := subdivisionsOf(tt.country, tt.desc)
			require.Error(t, err)
		})
	}
}
