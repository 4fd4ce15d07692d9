package model

import (
	"strings"

	"poolkit/reference/numbering"
)

// recipientKind is what a recipient handle is.
type recipientKind int

const (
	recipientInvalid recipientKind = iota
	recipientPhone
	recipientEmail
	recipientGroup
)

// groupPrefix starts the driver's group references: "grp:<name>".
const groupPrefix = "grp:"

// validE164 is the SPEC's E.164 check (POOL-FROM-1, chat ids, registration), as package
// numbering implements it: "+", a calling code and a national number of a possible length.
// It is syntax, not a pool rule, so the model shares it with the reference.
func validE164(s string) bool { return numbering.ValidE164(s) }

// normalizeRecipient is the recipient a conversation is keyed on: emails are lower-cased
// (SPEC §1), phones and group references are taken as they are.
func normalizeRecipient(r string) string {
	if strings.Contains(r, "@") && !strings.HasPrefix(r, groupPrefix) {
		return strings.ToLower(r)
	}
	return r
}

// parseRecipient classifies a recipient and normalizes it.
func parseRecipient(r string) (string, recipientKind) {
	switch {
	case strings.HasPrefix(r, groupPrefix):
		if len(r) == len(groupPrefix) {
			return r, recipientInvalid
		}
		return r, recipientGroup
	case validE164(r):
		return r, recipientPhone
	case validEmail(r):
		return strings.ToLower(r), recipientEmail
	}
	return r, recipientInvalid
}

// validEmail is a loose email check: one "@" with something on both sides, no spaces or
// commas (a comma would make it a participant list).
func validEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && at < len(s)-1 && strings.Count(s, "@") == 1 && !strings.ContainsAny(s, " ,\t\n")
}

// groupName returns the name of a group reference.
func groupName(r string) string { return strings.TrimPrefix(r, groupPrefix) }
