package pool

import (
	"slices"
	"strings"

	"poolkit/reference/numbering"
)

// ChatKind says what a chatId names.
type ChatKind int

// The kinds of chat.
const (
	ChatPhone        ChatKind = iota + 1 // an E.164 handle
	ChatEmail                            // an iMessage email handle
	ChatGroup                            // a grp_… id
	ChatParticipants                     // a comma-separated participant list (ad-hoc group)
)

// Chat is a parsed chatId.
type Chat struct {
	Kind ChatKind
	// ID is the normalised chatId: the E.164 number, the lower-cased email, the grp_ id, or
	// the participants joined by commas.
	ID string
	// Participants are the sorted, de-duplicated handles of a participant list.
	Participants []string
}

// ParseChatID parses a decoded chatId path segment (SPEC §5): an E.164 number, an email
// handle, a grp_… id, or a comma-separated list of at least two distinct handles.
// It returns an invalid_chat_id error for anything else.
func ParseChatID(s string) (Chat, error) {
	if strings.HasPrefix(s, "grp_") {
		if len(s) == 4 || len(s) > 64 || !isToken(s[4:]) {
			return Chat{}, errInvalidChat
		}
		return Chat{Kind: ChatGroup, ID: s}, nil
	}
	if strings.IndexByte(s, ',') >= 0 {
		parts := strings.Split(s, ",")
		handles := make([]string, 0, len(parts))
		for _, p := range parts {
			h, ok := parseHandle(strings.TrimSpace(p))
			if !ok {
				return Chat{}, errInvalidChat
			}
			handles = append(handles, h)
		}
		slices.Sort(handles)
		handles = slices.Compact(handles)
		if len(handles) < 2 || len(handles) > 32 {
			return Chat{}, errInvalidChat
		}
		return Chat{Kind: ChatParticipants, ID: strings.Join(handles, ","), Participants: handles}, nil
	}
	h, ok := parseHandle(s)
	if !ok {
		return Chat{}, errInvalidChat
	}
	if h[0] == '+' {
		return Chat{Kind: ChatPhone, ID: h}, nil
	}
	return Chat{Kind: ChatEmail, ID: h}, nil
}

var errInvalidChat = &Error{Code: CodeInvalidChatID, Message: "chatId must be an E.164 number, an email address, a grp_ id or a comma-separated list of handles"}

// ParseHandle normalises one contact handle: an E.164 number as is, an email lower-cased.
// ok is false for anything else.
func ParseHandle(s string) (handle string, ok bool) { return parseHandle(s) }

func parseHandle(s string) (string, bool) {
	if s == "" {
		return "", false
	}
	if s[0] == '+' {
		return s, numbering.ValidE164(s)
	}
	if !validEmail(s) {
		return "", false
	}
	return strings.ToLower(s), true
}

// validEmail accepts local@domain.tld with printable ASCII, no spaces, at most 254 bytes.
func validEmail(s string) bool {
	if len(s) > 254 {
		return false
	}
	at := strings.IndexByte(s, '@')
	if at <= 0 || at != strings.LastIndexByte(s, '@') {
		return false
	}
	domain := s[at+1:]
	dot := strings.LastIndexByte(domain, '.')
	if dot <= 0 || dot == len(domain)-1 || strings.Contains(domain, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == ',' || c == '/' || c == '\\' || c == '"' || c == '<' || c == '>' {
			return false
		}
	}
	return true
}

// isToken reports whether s is made of ASCII letters, digits, '_' and '-'.
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Geography are the numbering facts the geographic strategy needs.
type Geography interface {
	// AreaCode returns the NANP area code of an E.164 number, if it has one.
	AreaCode(e164 string) (string, bool)
	// Regions returns the regions of a geographic area code (nil when non-geographic).
	Regions(areaCode string) []string
}

type nanpGeography struct{}

func (nanpGeography) AreaCode(e164 string) (string, bool) { return numbering.NANPAreaCode(e164) }
func (nanpGeography) Regions(ac string) []string          { return numbering.Regions(ac) }
