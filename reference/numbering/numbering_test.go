package numbering_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"poolkit/reference/numbering"
)

func TestValidE164(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"+15551234567", true}, // fictional NANP: the check is on length, not assignment
		{"+15551110001", true},
		{"+14155550100", true},
		{"+16502530000", true},
		{"+13455550100", true},  // Cayman Islands, +1 345
		{"+442071838750", true}, // United Kingdom
		{"+8613800138000", true},
		{"+33612345678", true},
		{"+4930123456", true},        // Germany, 8-digit national number
		{"+80012345678", true},       // +800 international freephone, 8 digits
		{"+882123456789", true},      // +882 international networks
		{"+8835100500000", true},     // +883 international networks
		{"+1555123456", false},       // 9 digits under +1
		{"+155512345678", false},     // 11 digits under +1
		{"+4420718387501", false},    // 11 digits under +44
		{"+861380013800012", false},  // 13 digits under +86
		{"+1234567890123456", false}, // 16 digits
		{"15551234567", false},
		{"+05551234567", false},
		{"+1 555 123 4567", false},
		{"+1-555-123-4567", false},
		{"+1555123456a", false},
		{"+1５551234567", false}, // a non-ASCII digit
		{"++15551234567", false},
		{"+15551234567 ", false},
		{"+", false},
		{"+1", false},
		{"", false},
		{"+999123456", false}, // 999 is not a calling code
		{"+2", false},
		{"+80", false},  // a prefix of calling code 800, and too short for anything
		{"+999", false}, // as long as the longest calling code
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, numbering.ValidE164(tt.in))
		})
	}
}

// TestValidE164_Lengths checks a few calling codes against lengths known from
// the numbering plans, including the shortest and the longest total of 15 digits.
func TestValidE164_Lengths(t *testing.T) {
	for _, tt := range []struct {
		code          string
		valid, reject []int // national number lengths
	}{
		{"1", []int{10}, []int{8, 9, 11}},
		{"44", []int{9, 10}, []int{8, 11}},
		{"86", []int{11}, []int{13}},
		{"49", []int{4, 13}, []int{2, 14}}, // 15 national digits are possible but exceed E.164's 15 in total
	} {
		for _, n := range tt.valid {
			s := "+" + tt.code + strings.Repeat("5", n)
			require.True(t, numbering.ValidE164(s), s)
		}
		for _, n := range tt.reject {
			s := "+" + tt.code + strings.Repeat("5", n)
			require.False(t, numbering.ValidE164(s), s)
		}
	}
}

func TestNANPAreaCode(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		wantOK bool
	}{
		{"+14155550100", "415", true},
		{"+15551234567", "555", true},
		{"+18005550100", "800", true},
		{"+13455550100", "345", true},
		{"+442071838750", "", false},
		{"+1415555010", "", false},   // too short
		{"+141555501000", "", false}, // too long
		{"+10155550100", "", false},  // an area code never starts with 0
		{"+11155550100", "", false},  // nor with 1
		{"14155550100", "", false},
		{"+1415555010a", "", false},
		{"+1 415555010", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := numbering.NANPAreaCode(tt.in)
			require.Equal(t, tt.wantOK, ok)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestRegions(t *testing.T) {
	tests := []struct {
		areaCode string
		want     []string
	}{
		{"415", []string{"US-CA"}},
		{"650", []string{"US-CA"}},
		{"212", []string{"US-NY"}},
		{"718", []string{"US-NY"}}, // described only per exchange in the data
		{"202", []string{"US-DC"}},
		{"206", []string{"US-WA"}},
		{"201", []string{"US-NJ"}}, // one exchange is geocoded to New York; the area code wins
		{"907", []string{"US-AK"}},
		{"808", []string{"US-HI"}},
		{"416", []string{"CA-ON"}},
		{"905", []string{"CA-ON"}},
		{"604", []string{"CA-BC"}},
		{"257", []string{"CA-BC"}}, // "British Colombia" in the data
		{"514", []string{"CA-QC"}},
		{"709", []string{"CA-NL"}},
		{"867", []string{"CA-NT", "CA-NU", "CA-YT"}},
		{"902", []string{"CA-NS", "CA-PE"}},
		{"782", []string{"CA-NS", "CA-PE"}},
		{"345", []string{"KY"}},
		{"876", []string{"JM"}},
		{"658", []string{"JM"}},
		{"242", []string{"BS"}},
		{"787", []string{"PR"}},
		{"939", []string{"PR"}},
		{"671", []string{"GU"}},
		{"340", []string{"VI"}},
		{"684", []string{"AS"}},
		{"670", []string{"MP"}},
		{"809", []string{"DO"}},
	}
	for _, tt := range tests {
		t.Run(tt.areaCode, func(t *testing.T) {
			require.Equal(t, tt.want, numbering.Regions(tt.areaCode))
		})
	}
}

func TestRegions_NonGeographic(t *testing.T) {
	for _, code := range []string{
		"800", "833", "844", "855", "866", "877", "888", // toll-free
		"500", "521", "522", "533", "544", "566", "577", "588", // personal communications
		"900",               // premium
		"555",               // directory assistance, fictional numbers
		"600", "622", "633", // Canadian non-geographic
		"700",
		"211", "311", "411", "511", "611", "711", "811", "911", // N11 service codes
		"000", "100", "199", "999",
		"", "41", "4150", "41a", "+415", "４15",
	} {
		require.Nil(t, numbering.Regions(code), code)
	}
}

// TestRegions_Table checks properties of the whole generated table rather than examples.
func TestRegions_Table(t *testing.T) {
	iso := regexp.MustCompile(`^(?:US-[A-Z]{2}|CA-[A-Z]{2}|[A-Z]{2})$`)
	geographic := 0
	for i := range 1000 {
		code := fmt.Sprintf("%03d", i)
		regions := numbering.Regions(code)
		if regions == nil {
			continue
		}
		geographic++
		require.GreaterOrEqual(t, i, 200, code)
		require.NotEmpty(t, regions, code)
		require.IsIncreasing(t, regions, code)
		for _, r := range regions {
			require.Regexp(t, iso, r, code)
			require.NotContains(t, []string{"US", "CA"}, r, "%s: US and Canadian codes carry a subdivision", code)
		}
		require.True(t, numbering.SameRegion(code, code), code)
	}
	require.Greater(t, geographic, 400)
}

func TestSameRegion(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"415", "650", true},
		{"650", "415", true},
		{"415", "415", true},
		{"415", "212", false},
		{"212", "718", true},
		{"416", "905", true},
		{"416", "604", false},
		{"867", "867", true},
		{"782", "902", true},
		{"787", "939", true},
		{"876", "658", true},
		{"345", "876", false},
		{"415", "800", false},
		{"800", "800", false}, // non-geographic codes share no region, even with themselves
		{"555", "555", false},
		{"", "", false},
		{"415", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.a+"_"+tt.b, func(t *testing.T) {
			require.Equal(t, tt.want, numbering.SameRegion(tt.a, tt.b))
		})
	}
}

func TestZeroAllocations(t *testing.T) {
	var sink bool
	require.Zero(t, testing.AllocsPerRun(100, func() {
		sink = numbering.ValidE164("+15551234567") && numbering.ValidE164("+442071838750") && !numbering.ValidE164("+1 555")
	}), "ValidE164")
	require.Zero(t, testing.AllocsPerRun(100, func() {
		code, ok := numbering.NANPAreaCode("+14155550100")
		sink = ok && code == "415"
	}), "NANPAreaCode")
	require.Zero(t, testing.AllocsPerRun(100, func() {
		sink = len(numbering.Regions("867")) == 3
	}), "Regions")
	require.Zero(t, testing.AllocsPerRun(100, func() {
		sink = numbering.SameRegion("415", "650") && numbering.SameRegion("902", "782")
	}), "SameRegion")
	require.True(t, sink)
}

// e164Syntax is the syntactic part of ValidE164's rule.
var e164Syntax = regexp.MustCompile(`^\+[1-9][0-9]{1,14}$`)

func FuzzValidE164(f *testing.F) {
	for _, s := range []string{
		"+15551234567", "+442071838750", "+8613800138000", "+1555123456", "+1 555 123 4567",
		"+", "", "+0", "++1", "+80012345678", "+999999999999999", "+1234567890123456", "+80", "+12",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if numbering.ValidE164(s) && !e164Syntax.MatchString(s) {
			t.Fatalf("ValidE164(%q) = true, but it is not + and 2 to 15 digits", s)
		}
		if code, ok := numbering.NANPAreaCode(s); ok {
			if !strings.HasPrefix(s, "+1"+code) || len(s) != 12 || !e164Syntax.MatchString(s) {
				t.Fatalf("NANPAreaCode(%q) = %q, true", s, code)
			}
		}
		_ = numbering.Regions(s)
	})
}

func BenchmarkValidE164(b *testing.B) {
	inputs := []string{"+15551234567", "+442071838750", "+8613800138000", "+1555123456", "+1 555 123 4567"}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		numbering.ValidE164(inputs[i%len(inputs)])
	}
}
