// Command gen writes reference/numbering/tables_gen.go from the metadata and the English
// geocoding data of github.com/nyaruka/phonenumbers, so that package numbering can answer
// from plain arrays at run time without importing phonenumbers.
//
// Usage (from reference/numbering, as go:generate runs it):
//
//	go run ./internal/gen [-o tables_gen.go] [-exchanges=false]
//
// It writes two tables:
//
//   - possibleLengths: for every country calling code, the union over the regions (and
//     non-geographic entities such as +800) that share it of the national number lengths
//     phonenumbers' general description lists as possible.
//   - areaRegions: for every geographic NANP area code, the regions it serves, as ISO 3166-2
//     codes for the United States and Canada (US-CA, CA-ON) and as the ISO 3166-1 code of the
//     country for the other NANP members (KY, JM, PR, GU).
//
// An area code is geographic when phonenumbers' metadata types some number under it as
// fixed line or mobile; toll-free, premium, personal (5XX), Canadian non-geographic (600,
// 622, 633) and unassigned codes are not. For US and Canadian codes the regions come from
// the geocoding description of the area code itself ("1650" → "California"; combined
// descriptions like "Nova Scotia/Prince Edward Island" give several regions). When there is
// no such description the union of the exchange-level descriptions ("1203324" → "Stamford,
// CT") is used. Exchange-level descriptions that disagree with the area code's own
// description are not used, they describe single exchanges, not the area code; with
// -exchanges (the default) they are printed as warnings.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/format"
	"io"
	"os"
	"regexp/syntax"
	"slices"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

func main() {
	if err := run(os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// run parses the flags, builds the tables, writes the output file and prints a summary
// (and any data warnings) to stderr.
func run(args []string, stderr io.Writer) error {
	flags := flag.NewFlagSet("gen", flag.ContinueOnError)
	flags.SetOutput(stderr)
	out := flags.String("o", "tables_gen.go", "output `file`")
	exchanges := flags.Bool("exchanges", true, "warn about exchanges whose description disagrees with their area code's (slower; never changes the output)")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() != 0 {
		return fmt.Errorf("unexpected arguments %q", flags.Args())
	}
	t, err := buildTables(*exchanges)
	if err != nil {
		return err
	}
	src, err := t.source()
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		return err
	}
	t.summary(stderr)
	return nil
}

// tables is everything the generated file holds, plus what the summary reports.
type tables struct {
	callingCodes []callingCode
	areaCodes    []areaCode // geographic area codes, ascending
	warnings     []string

	// checkExchanges makes buildAreaCodes compare every exchange's description with its
	// area code's (compareExchanges). It adds warnings only, never changes the tables.
	checkExchanges bool
}

// callingCode is one country calling code and its possible national number lengths.
type callingCode struct {
	code    int
	lengths []int    // ascending
	regions []string // phonenumbers region ids; "001" for non-geographic entities
}

// areaCode is one geographic NANP area code.
type areaCode struct {
	npa     int
	country string   // phonenumbers region id: US, CA, KY, …
	regions []string // ISO codes, ascending
	source  string   // the description it came from, for the generated comment
}

func buildTables(checkExchanges bool) (*tables, error) {
	t := &tables{checkExchanges: checkExchanges}
	if err := t.buildCallingCodes(); err != nil {
		return nil, err
	}
	if err := t.buildAreaCodes(); err != nil {
		return nil, err
	}
	return t, nil
}

// buildCallingCodes collects the possible national lengths per calling code and checks
// the two properties ValidE164 relies on: codes are 1 to 3 digits and no code is a prefix
// of another, so at most one prefix of a number can be a calling code.
func (t *tables) buildCallingCodes() error {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return err
	}
	byCode := map[int]*callingCode{}
	for _, md := range coll.GetMetadata() {
		code := int(md.GetCountryCode())
		if code < 1 || code > 999 {
			return fmt.Errorf("region %s: calling code %d is not 1 to 3 digits", md.GetId(), code)
		}
		cc := byCode[code]
		if cc == nil {
			cc = &callingCode{code: code}
			byCode[code] = cc
		}
		cc.regions = append(cc.regions, md.GetId())
		for _, n := range md.GetGeneralDesc().GetPossibleLength() {
			if n < 1 || n > 31 {
				return fmt.Errorf("region %s: possible length %d does not fit the table", md.GetId(), n)
			}
			cc.lengths = append(cc.lengths, int(n))
		}
	}
	for _, cc := range byCode {
		slices.Sort(cc.lengths)
		cc.lengths = slices.Compact(cc.lengths)
		slices.Sort(cc.regions)
		cc.regions = slices.Compact(cc.regions)
		if len(cc.lengths) == 0 {
			return fmt.Errorf("calling code %d: no possible lengths", cc.code)
		}
		t.callingCodes = append(t.callingCodes, *cc)
	}
	slices.SortFunc(t.callingCodes, func(a, b callingCode) int { return a.code - b.code })
	for _, a := range t.callingCodes {
		for _, b := range t.callingCodes {
			as, bs := strconv.Itoa(a.code), strconv.Itoa(b.code)
			if a.code != b.code && strings.HasPrefix(bs, as) {
				return fmt.Errorf("calling code %s is a prefix of %s", as, bs)
			}
		}
	}
	return nil
}

// nanp holds what buildAreaCodes needs from the metadata of calling code 1.
type nanp struct {
	// geographic is the union of the fixed-line and mobile patterns of every NANP region.
	// It only preselects numbers: phonenumbers has the last word (GetNumberType,
	// GetRegionCodeForNumber), but calling it for every exchange of every area code is
	// slow, because it tries every NANP region in turn. Skipping what the union rejects
	// loses nothing: GetNumberType says fixed line or mobile only for numbers that match
	// one of these patterns.
	geographic *syntax.Prog
}

func newNANP() (*nanp, error) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return nil, err
	}
	var patterns []string
	for _, md := range coll.GetMetadata() {
		if md.GetCountryCode() != 1 {
			continue
		}
		for _, desc := range []*phonenumbers.PhoneNumberDesc{md.GetFixedLine(), md.GetMobile()} {
			if p := desc.GetNationalNumberPattern(); p != "" {
				patterns = append(patterns, "(?:"+p+")")
			}
		}
	}
	if len(patterns) == 0 {
		return nil, errors.New("no NANP fixed-line or mobile patterns in the metadata")
	}
	slices.Sort(patterns)
	patterns = slices.Compact(patterns)
	re, err := syntax.Parse("^(?:"+strings.Join(patterns, "|")+")$", syntax.Perl)
	if err != nil {
		return nil, err
	}
	prog, err := syntax.Compile(re.Simplify())
	if err != nil {
		return nil, err
	}
	return &nanp{geographic: prog}, nil
}

// country returns the phonenumbers region of the first number under npa that phonenumbers
// types as fixed line or mobile, or "" when there is none: the area code is not geographic.
// Exchanges (NXX) are 200 to 999; the line number is fixed, NANP patterns do not restrict it.
func (n *nanp) country(npa int) string {
	if !canStartWith(n.geographic, strconv.Itoa(npa)) {
		return ""
	}
	for nxx := 200; nxx <= 999; nxx++ {
		if !canStartWith(n.geographic, strconv.Itoa(npa*1000+nxx)) {
			continue
		}
		num := nanpNumber(uint64(npa)*10_000_000 + uint64(nxx)*10_000 + 1234)
		switch phonenumbers.GetNumberType(num) {
		case phonenumbers.FIXED_LINE, phonenumbers.MOBILE, phonenumbers.FIXED_LINE_OR_MOBILE:
			return phonenumbers.GetRegionCodeForNumber(num)
		}
	}
	return ""
}

// canStartWith reports whether prog, compiled from an anchored pattern, matches some
// string that starts with prefix. It runs the program's NFA over prefix and reports
// whether any thread is still alive; the regexp package only answers for whole strings.
func canStartWith(prog *syntax.Prog, prefix string) bool {
	threads := follow(prog, nil, make([]bool, len(prog.Inst)), uint32(prog.Start), true)
	for _, r := range prefix {
		var next []uint32
		seen := make([]bool, len(prog.Inst))
		for _, pc := range threads {
			inst := &prog.Inst[pc]
			var ok bool
			switch inst.Op {
			case syntax.InstRune, syntax.InstRune1:
				ok = inst.MatchRune(r)
			case syntax.InstRuneAny:
				ok = true
			case syntax.InstRuneAnyNotNL:
				ok = r != '\n'
			}
			if ok {
				next = follow(prog, next, seen, inst.Out, false)
			}
		}
		if len(next) == 0 {
			return false
		}
		threads = next
	}
	return true
}

// follow appends to threads the instructions that consume a rune or match, reachable from
// pc without consuming input and not yet seen. atStart tells whether the input position
// is 0, for ^.
func follow(prog *syntax.Prog, threads []uint32, seen []bool, pc uint32, atStart bool) []uint32 {
	if seen[pc] {
		return threads
	}
	seen[pc] = true
	inst := &prog.Inst[pc]
	switch inst.Op {
	case syntax.InstAlt, syntax.InstAltMatch:
		threads = follow(prog, threads, seen, inst.Out, atStart)
		return follow(prog, threads, seen, inst.Arg, atStart)
	case syntax.InstCapture, syntax.InstNop:
		return follow(prog, threads, seen, inst.Out, atStart)
	case syntax.InstEmptyWidth:
		// Only ^ and $ occur in these patterns: ^ holds at the start only, and $ may
		// hold where the prefix ends, so it is followed anywhere.
		if syntax.EmptyOp(inst.Arg)&syntax.EmptyBeginText != 0 && !atStart {
			return threads
		}
		return follow(prog, threads, seen, inst.Out, atStart)
	case syntax.InstFail:
		return threads
	default: // InstRune, InstRune1, InstRuneAny, InstRuneAnyNotNL, InstMatch
		return append(threads, pc)
	}
}

func nanpNumber(national uint64) *phonenumbers.PhoneNumber {
	return &phonenumbers.PhoneNumber{CountryCode: new(int32(1)), NationalNumber: new(national)}
}

// description returns phonenumbers' English geocoding description for the longest prefix
// of +1 NPA NXX 0000 it knows, or "" when it knows none. Exchange 000 never exists (an NXX
// starts with 2-9), so nxx 0 yields the description of the area code itself.
//
// GetGeocodingForNumber falls back to the name of the number's country when it has no
// description (or fails, for a number that is not valid); callers ignore country names.
// It looks at no more than 9 digits (1 NPA NXX 00), so a description of a longer prefix
// than 1 NPA NXX would be missed; the data has none.
func description(npa, nxx int) string {
	d, err := phonenumbers.GetGeocodingForNumber(nanpNumber(uint64(npa)*10_000_000+uint64(nxx)*10_000), "en")
	if err != nil {
		return ""
	}
	return d
}

// countryNames are the descriptions phonenumbers falls back to for US and Canadian numbers
// without geocoding data; they say nothing about the region.
var countryNames = map[string]string{"US": "United States", "CA": "Canada"}

func (t *tables) buildAreaCodes() error {
	n, err := newNANP()
	if err != nil {
		return err
	}
	for npa := 200; npa <= 999; npa++ {
		country := n.country(npa)
		own := description(npa, 0)
		if country == "" {
			if own != "" {
				t.warnf("%d: described as %q but no number under it is fixed line or mobile; treated as non-geographic", npa, own)
			}
			continue
		}
		if !phonenumbers.IsNANPACountry(country) {
			return fmt.Errorf("%d: phonenumbers places it in %q, not a NANP country", npa, country)
		}
		ac := areaCode{npa: npa, country: country}
		if country == "US" || country == "CA" {
			if err := t.subdivisions(&ac, own); err != nil {
				return err
			}
		} else {
			ac.regions = []string{country}
			ac.source = own
		}
		t.areaCodes = append(t.areaCodes, ac)
	}
	if len(t.areaCodes) < 300 {
		return fmt.Errorf("only %d geographic area codes found; the data or its reading is broken", len(t.areaCodes))
	}
	return nil
}

// subdivisions fills ac.regions for a US or Canadian area code from the description of the
// area code (own) or, when there is none, from the exchange-level descriptions.
func (t *tables) subdivisions(ac *areaCode, own string) error {
	country := ac.country
	if own != "" && own != countryNames[country] {
		regions, err := subdivisionsOf(country, own)
		if err != nil {
			return fmt.Errorf("%d: %w", ac.npa, err)
		}
		ac.regions, ac.source = regions, own
		if t.checkExchanges {
			t.compareExchanges(*ac)
		}
		return nil
	}
	var regions []string
	for nxx := 200; nxx <= 999; nxx++ {
		d := description(ac.npa, nxx)
		if d == "" || d == countryNames[country] {
			continue
		}
		rs, err := subdivisionsOf(country, d)
		if err != nil {
			return fmt.Errorf("%d-%d: %w", ac.npa, nxx, err)
		}
		regions = append(regions, rs...)
	}
	if len(regions) == 0 {
		return fmt.Errorf("%d: geographic %s area code without any geocoding description", ac.npa, country)
	}
	slices.Sort(regions)
	ac.regions = slices.Compact(regions)
	ac.source = "exchange-level descriptions"
	return nil
}

// compareExchanges warns about exchanges of ac whose description names a region outside
// ac.regions, or no region at all. It changes nothing: the area code's own description wins.
func (t *tables) compareExchanges(ac areaCode) {
	for nxx := 200; nxx <= 999; nxx++ {
		d := description(ac.npa, nxx)
		if d == ac.source || d == "" || d == countryNames[ac.country] {
			continue
		}
		rs, err := subdivisionsOf(ac.country, d)
		if err != nil {
			t.warnf("%d-%d: %v; ignored, the area code is described as %q", ac.npa, nxx, err, ac.source)
			continue
		}
		for _, r := range rs {
			if !slices.Contains(ac.regions, r) {
				t.warnf("%d-%d: %q (%s) is outside the area code's %q; ignored", ac.npa, nxx, d, r, ac.source)
			}
		}
	}
}

// subdivisionsOf maps a geocoding description of a US or Canadian number to ISO 3166-2
// codes. Descriptions are a state or province name ("California"), several names joined by
// "/" ("Nova Scotia/Prince Edward Island"), or a place with its postal abbreviation
// ("San Antonio, TX"); US and Canadian postal abbreviations are the ISO 3166-2 suffixes.
func subdivisionsOf(country, desc string) ([]string, error) {
	if i := strings.LastIndex(desc, ", "); i >= 0 {
		code := desc[i+2:]
		full := country + "-" + code
		if !slices.Contains(subdivisionNames, full) {
			return nil, fmt.Errorf("%q: %q is not a %s postal abbreviation", desc, code, country)
		}
		return []string{full}, nil
	}
	var codes []string
	for name := range strings.SplitSeq(desc, "/") {
		code, ok := subdivisionCode(strings.TrimSpace(name))
		if !ok {
			return nil, fmt.Errorf("%q: unknown state or province %q", desc, name)
		}
		if !strings.HasPrefix(code, country+"-") {
			return nil, fmt.Errorf("%q: %s is not in %s", desc, code, country)
		}
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return slices.Compact(codes), nil
}

func subdivisionCode(name string) (string, bool) {
	if code, ok := subdivisionAliases[name]; ok {
		return code, true
	}
	for i := 1; i < len(subdivisionNames); i += 2 {
		if subdivisionNames[i] == name {
			return subdivisionNames[i-1], true
		}
	}
	return "", false
}

// subdivisionNames pairs each ISO 3166-2 code the table may hold with its English name:
// the 50 states and the District of Columbia, the 10 provinces and the 3 territories.
var subdivisionNames = []string{
	"US-AL", "Alabama", "US-AK", "Alaska", "US-AZ", "Arizona", "US-AR", "Arkansas",
	"US-CA", "California", "US-CO", "Colorado", "US-CT", "Connecticut", "US-DE", "Delaware",
	"US-DC", "District of Columbia", "US-FL", "Florida", "US-GA", "Georgia", "US-HI", "Hawaii",
	"US-ID", "Idaho", "US-IL", "Illinois", "US-IN", "Indiana", "US-IA", "Iowa",
	"US-KS", "Kansas", "US-KY", "Kentucky", "US-LA", "Louisiana", "US-ME", "Maine",
	"US-MD", "Maryland", "US-MA", "Massachusetts", "US-MI", "Michigan", "US-MN", "Minnesota",
	"US-MS", "Mississippi", "US-MO", "Missouri", "US-MT", "Montana", "US-NE", "Nebraska",
	"US-NV", "Nevada", "US-NH", "New Hampshire", "US-NJ", "New Jersey", "US-NM", "New Mexico",
	"US-NY", "New York", "US-NC", "North Carolina", "US-ND", "North Dakota", "US-OH", "Ohio",
	"US-OK", "Oklahoma", "US-OR", "Oregon", "US-PA", "Pennsylvania", "US-RI", "Rhode Island",
	"US-SC", "South Carolina", "US-SD", "South Dakota", "US-TN", "Tennessee", "US-TX", "Texas",
	"US-UT", "Utah", "US-VT", "Vermont", "US-VA", "Virginia", "US-WA", "Washington",
	"US-WV", "West Virginia", "US-WI", "Wisconsin", "US-WY", "Wyoming",
	"CA-AB", "Alberta", "CA-BC", "British Columbia", "CA-MB", "Manitoba", "CA-NB", "New Brunswick",
	"CA-NL", "Newfoundland and Labrador", "CA-NS", "Nova Scotia", "CA-ON", "Ontario",
	"CA-PE", "Prince Edward Island", "CA-QC", "Quebec", "CA-SK", "Saskatchewan",
	"CA-NT", "Northwest Territories", "CA-NU", "Nunavut", "CA-YT", "Yukon",
}

// subdivisionAliases are the other spellings the geocoding data uses, misspellings included.
var subdivisionAliases = map[string]string{
	"Washington State": "US-WA",
	"Washington D.C.":  "US-DC",
	"Washington DC":    "US-DC",
	"British Colombia": "CA-BC",
	"Québec":           "CA-QC",
	"Newfoundland":     "CA-NL",
	"Yukon Territory":  "CA-YT",
}

func (t *tables) warnf(format string, args ...any) {
	t.warnings = append(t.warnings, fmt.Sprintf(format, args...))
}

// source renders tables_gen.go.
func (t *tables) source() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(`// Code generated by reference/numbering/internal/gen; DO NOT EDIT.

package numbering

// possibleLengths has bit n of entry c set when n is a possible length of a national number
// under country calling code c: the union over the regions and non-geographic entities that
// share c of the lengths in phonenumbers' metadata. Zero means c is not a calling code.
var possibleLengths = [1000]uint32{
`)
	for _, cc := range t.callingCodes {
		var mask uint32
		lengths := make([]string, len(cc.lengths))
		for i, n := range cc.lengths {
			mask |= 1 << n
			lengths[i] = strconv.Itoa(n)
		}
		regions := strings.Join(cc.regions, " ")
		if regions == "001" {
			regions = "non-geographic entity"
		}
		fmt.Fprintf(&b, "\t%d: %#08x, // %s: %s\n", cc.code, mask, strings.Join(lengths, ", "), regions)
	}
	b.WriteString(`}

// areaRegions holds, for each geographic NANP area code, the ISO codes of the regions it
// serves, ascending; nil for every other index. The comment gives the geocoding description
// the entry comes from.
var areaRegions = [1000][]string{
`)
	for _, ac := range t.areaCodes {
		quoted := make([]string, len(ac.regions))
		for i, r := range ac.regions {
			quoted[i] = strconv.Quote(r)
		}
		comment := ac.source
		if comment == "" {
			comment = "no description"
		}
		fmt.Fprintf(&b, "\t%d: {%s}, // %s\n", ac.npa, strings.Join(quoted, ", "), comment)
	}
	b.WriteString("}\n")
	return format.Source(b.Bytes())
}

func (t *tables) summary(w io.Writer) {
	nonGeoEntities := 0
	for _, cc := range t.callingCodes {
		if slices.Contains(cc.regions, "001") {
			nonGeoEntities++
		}
	}
	perCountry := map[string]int{}
	var multi []string
	for _, ac := range t.areaCodes {
		perCountry[ac.country]++
		if len(ac.regions) > 1 {
			multi = append(multi, fmt.Sprintf("%d %s", ac.npa, strings.Join(ac.regions, ",")))
		}
	}
	other := len(t.areaCodes) - perCountry["US"] - perCountry["CA"]
	fmt.Fprintf(w, "numbering: %d country calling codes (%d with non-geographic entities)\n", len(t.callingCodes), nonGeoEntities)
	fmt.Fprintf(w, "numbering: %d geographic NANP area codes (US %d, CA %d, other NANP countries %d)\n",
		len(t.areaCodes), perCountry["US"], perCountry["CA"], other)
	fmt.Fprintf(w, "numbering: %d multi-region area codes: %s\n", len(multi), strings.Join(multi, "; "))
	for _, warning := range t.warnings {
		fmt.Fprintf(w, "numbering: warning: %s\n", warning)
	}
}
