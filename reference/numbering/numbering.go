// Package numbering answers the telephone-numbering questions of the number-pool engine:
// is a string an E.164 number, what is a NANP number's area code, and which states,
// provinces or countries does an area code serve (the geographic strategy, SPEC §3).
//
// The answers come from tables generated from the metadata and geocoding data of
// github.com/nyaruka/phonenumbers (see internal/gen); the package itself imports only the
// standard library, reads only those arrays and never allocates.
package numbering

//go:generate go run ./internal/gen

// ValidE164 reports whether s is an E.164 number: "+", then 2 to 15 ASCII digits, the first
// not 0, that start with a country calling code followed by a national number whose length
// phonenumbers lists as possible for that calling code (the union over every region or
// non-geographic entity sharing it, so +1 accepts 7 or 10 digits, because Canada's metadata
// lists 7).
//
// The check is on the length only: numbers that no operator has assigned, such as the
// fictional NANP 555 numbers ("+15551234567"), are valid. Separators, spaces and a missing
// "+" are not.
func ValidE164(s string) bool {
	digits := len(s) - 1
	if digits < 2 || digits > 15 || s[0] != '+' || s[1] == '0' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	// Calling codes are prefix-free (the generator checks), so the first prefix that is
	// a calling code is the calling code.
	code := 0
	for i := 1; i <= 3 && i <= digits; i++ {
		code = code*10 + int(s[i]-'0')
		if lengths := possibleLengths[code]; lengths != 0 {
			return lengths&(1<<(digits-i)) != 0
		}
	}
	return false
}

// NANPAreaCode returns the area code of a NANP number given in E.164: for "+1" followed by
// ten digits whose first is 2 to 9 (a NANP area code never starts with 0 or 1), the three
// digits after "+1". It returns "", false for any other string. The area code need not be
// assigned: NANPAreaCode("+15551234567") is "555", true.
func NANPAreaCode(e164 string) (string, bool) {
	if len(e164) != 12 || e164[0] != '+' || e164[1] != '1' || e164[2] < '2' || e164[2] > '9' {
		return "", false
	}
	for i := 3; i < len(e164); i++ {
		if e164[i] < '0' || e164[i] > '9' {
			return "", false
		}
	}
	return e164[2:5], true
}

// Regions returns the regions served by a geographic NANP area code, ascending: ISO 3166-2
// codes for the United States and Canada ("US-CA", "CA-ON"), and the ISO 3166-1 code of the
// country for the other NANP members ("KY", "JM", "PR", "GU"). An area code that spans
// several regions returns all of them ("867" → CA-NT, CA-NU, CA-YT). It returns nil for
// non-geographic codes (toll-free 8XX, personal 5XX, 900, Canadian 600, N11), for unassigned
// codes such as 555, and for anything that is not three digits.
//
// The slice is shared by every caller and must not be modified.
func Regions(areaCode string) []string {
	if len(areaCode) != 3 {
		return nil
	}
	i := 0
	for j := range 3 {
		c := areaCode[j]
		if c < '0' || c > '9' {
			return nil
		}
		i = i*10 + int(c-'0')
	}
	return areaRegions[i]
}

// SameRegion reports whether the area codes a and b are both geographic and share at least
// one region (see Regions), which is tier 2 of the geographic strategy.
func SameRegion(a, b string) bool {
	rb := Regions(b)
	for _, x := range Regions(a) {
		for _, y := range rb {
			if x == y {
				return true
			}
		}
	}
	return false
}
