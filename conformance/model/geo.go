package model

// Geo is the numbering data the geographic strategy needs (SPEC §3): the NANP area code of
// an E.164 number, and the regions (ISO 3166-2 codes, or the ISO country code for NANP
// countries without subdivisions) an area code serves, nil for non-geographic or unknown
// codes. The default is package poolkit/reference/numbering.
type Geo interface {
	AreaCode(e164 string) (string, bool)
	Regions(areaCode string) []string
}

// geoOf is the area code and regions of a phone number; ok is false for numbers that
// are not geographic NANP numbers (toll-free and other non-geographic codes, non-NANP
// numbers), which never match tiers 1 and 2.
func geoOf(g Geo, phone string) (ac string, regions []string, ok bool) {
	ac, ok = g.AreaCode(phone)
	if !ok {
		return "", nil, false
	}
	regions = g.Regions(ac)
	if len(regions) == 0 {
		return "", nil, false
	}
	return ac, regions, true
}
