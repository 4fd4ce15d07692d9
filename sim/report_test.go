package sim_test

import (
	"encoding/xml"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
)

var svgRE = regexp.MustCompile(`(?s)<svg .*?</svg>`)

// svgsOf returns the SVG elements of an HTML report, each checked to be well-formed XML.
func svgsOf(tb testing.TB, html string) []string {
	tb.Helper()
	svgs := svgRE.FindAllString(html, -1)
	for i, s := range svgs {
		d := xml.NewDecoder(strings.NewReader(s))
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				tb.Fatalf("SVG %d is not well-formed: %v", i, err)
			}
		}
	}
	return svgs
}
