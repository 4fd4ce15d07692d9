package model

import "poolkit/reference/numbering"

// defaultGeo is the numbering data used without WithGeo: the tables generated into
// poolkit/reference/numbering.
func defaultGeo() Geo { return numberingGeo{} }

type numberingGeo struct{}

func (numberingGeo) AreaCode(e164 string) (string, bool) { return numbering.NANPAreaCode(e164) }
func (numberingGeo) Regions(areaCode string) []string    { return numbering.Regions(areaCode) }
