package twilio

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// maxBodyChars is Twilio's limit on a message body, in characters.
const maxBodyChars = 1600

// gsm7 holds the characters of the GSM 03.38 basic set; gsm7ext those of its extension
// table, which take two septets.
const (
	gsm7 = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
		"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsm7ext = "^{}\\[~]|€\f"
)

// segments returns the number of SMS segments of body, as carriers count them: GSM-7
// bodies take 160 septets in one segment or 153 per segment, any other body 70 UTF-16
// units in one segment or 67 per segment.
func segments(body string) int {
	units, single, multi := 0, 160, 153
	for _, r := range body {
		switch {
		case strings.ContainsRune(gsm7, r):
			units++
		case strings.ContainsRune(gsm7ext, r):
			units += 2
		default:
			units, single, multi = len(utf16.Encode([]rune(body))), 70, 67
			return count(units, single, multi)
		}
	}
	return count(units, single, multi)
}

func count(units, single, multi int) int {
	if units <= single {
		return 1
	}
	return (units + multi - 1) / multi
}

// bodyChars is the length of body as Twilio counts it against maxBodyChars.
func bodyChars(body string) int { return utf8.RuneCountInString(body) }
