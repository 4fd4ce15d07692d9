package client

import "strings"

// PathEscape escapes one path segment the way the API expects a chatId, a phone number
// or an id: '+' becomes %2B (a literal '+' would do for the reference, but not for every
// proxy), while ',' and '@' stay as they are so that participant lists and email handles
// read plainly. Everything but ASCII letters, digits and "-._~,@" is percent-encoded.
func PathEscape(s string) string {
	if s == "." || s == ".." {
		return strings.Repeat("%2E", len(s)) // a dot segment would be cleaned away
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == ',' || c == '@' {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&15])
	}
	return b.String()
}
