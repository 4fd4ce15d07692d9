package twilio

import (
	"fmt"
	"regexp"
	"time"
)

// Account is a Twilio account of the fake: an Account SID, its auth token, its API keys
// and its IncomingPhoneNumbers.
type Account struct {
	s         *Server
	sid       string
	authToken string
	keys      map[string]string // API Key SID → secret
	numbers   []*number         // in the order they were added
	messages  []*message        // in the order they were created
}

// Number is an IncomingPhoneNumber of an account.
type Number struct {
	Sid          string `json:"sid"`
	PhoneNumber  string `json:"phone_number"`
	FriendlyName string `json:"friendly_name"`
	// SMSURL receives the incoming-message webhook of the number; "" drops inbound SMS.
	SMSURL string `json:"sms_url"`
}

type number struct {
	Number
	created, updated time.Time
}

var (
	// alnum is what twilio-go accepts in Basic auth credentials.
	alnum = regexp.MustCompile(`^[A-Za-z0-9]+$`)
	// e164 is a phone number in E.164 form.
	e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
)

// AddAccount adds an account whose Basic auth is the Account SID and authToken. The SID
// must start with "AC" and, like the token, be alphanumeric (twilio-go refuses other
// credentials). It panics on invalid or duplicate input, as httptest does on misuse.
func (s *Server) AddAccount(sid, authToken string) *Account {
	a, err := s.addAccount(sid, authToken)
	if err != nil {
		panic(err)
	}
	return a
}

func (s *Server) addAccount(sid, authToken string) (*Account, error) {
	s.init()
	if err := checkSid("AC", sid); err != nil {
		return nil, err
	}
	if !alnum.MatchString(authToken) {
		return nil, fmt.Errorf("fake twilio: auth token of %s must be alphanumeric and not empty", sid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.accounts[sid]; dup {
		return nil, fmt.Errorf("fake twilio: account %s already exists", sid)
	}
	a := &Account{s: s, sid: sid, authToken: authToken, keys: map[string]string{}}
	s.accounts[sid] = a
	s.order = append(s.order, a)
	return a, nil
}

// Account returns the account with the SID, or nil.
func (s *Server) Account(sid string) *Account {
	s.init()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.accounts[sid]
}

// Sid returns the Account SID.
func (a *Account) Sid() string { return a.sid }

// AuthToken returns the account's auth token, the key of every signature it makes.
func (a *Account) AuthToken() string { return a.authToken }

// AddAPIKey adds an API key: Basic auth with the key's SID (starting with "SK") and
// secret then acts for this account. It panics on invalid or duplicate input.
func (a *Account) AddAPIKey(sid, secret string) {
	if err := a.addAPIKey(sid, secret); err != nil {
		panic(err)
	}
}

func (a *Account) addAPIKey(sid, secret string) error {
	if err := checkSid("SK", sid); err != nil {
		return err
	}
	if !alnum.MatchString(secret) {
		return fmt.Errorf("fake twilio: secret of %s must be alphanumeric and not empty", sid)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	if _, dup := a.keys[sid]; dup {
		return fmt.Errorf("fake twilio: API key %s already exists", sid)
	}
	a.keys[sid] = secret
	return nil
}

// AddNumber adds an IncomingPhoneNumber (E.164) to the account with a fresh PN… SID;
// smsURL receives its incoming-message webhooks ("" for none). It panics on an invalid
// or already added phone number.
func (a *Account) AddNumber(phone, friendlyName, smsURL string) Number {
	n, err := a.addNumber(phone, friendlyName, smsURL)
	if err != nil {
		panic(err)
	}
	return n
}

func (a *Account) addNumber(phone, friendlyName, smsURL string) (Number, error) {
	if !e164.MatchString(phone) {
		return Number{}, fmt.Errorf("fake twilio: phone number %q is not E.164", phone)
	}
	if smsURL != "" && !isWebhookURL(smsURL) {
		return Number{}, fmt.Errorf("fake twilio: sms URL %q is not an absolute http(s) URL", smsURL)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	for _, o := range a.s.order {
		if o.numberLocked(phone) != nil {
			return Number{}, fmt.Errorf("fake twilio: %s already belongs to account %s", phone, o.sid)
		}
	}
	if friendlyName == "" {
		friendlyName = phone
	}
	now := a.s.now()
	n := &number{
		Number:  Number{Sid: a.s.sidLocked("PN"), PhoneNumber: phone, FriendlyName: friendlyName, SMSURL: smsURL},
		created: now,
		updated: now,
	}
	a.numbers = append(a.numbers, n)
	return n.Number, nil
}

// SetSMSURL points the incoming-message webhook of the account's number phone at url.
func (a *Account) SetSMSURL(phone, url string) error {
	if url != "" && !isWebhookURL(url) {
		return fmt.Errorf("fake twilio: sms URL %q is not an absolute http(s) URL", url)
	}
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	n := a.numberLocked(phone)
	if n == nil {
		return fmt.Errorf("fake twilio: %s is not a number of account %s", phone, a.sid)
	}
	n.SMSURL = url
	n.updated = a.s.now()
	return nil
}

// Numbers returns the account's numbers in the order they were added.
func (a *Account) Numbers() []Number {
	a.s.mu.Lock()
	defer a.s.mu.Unlock()
	out := make([]Number, len(a.numbers))
	for i, n := range a.numbers {
		out[i] = n.Number
	}
	return out
}

// numberLocked returns the account's number phone, or nil. s.mu is held.
func (a *Account) numberLocked(phone string) *number {
	for _, n := range a.numbers {
		if n.PhoneNumber == phone {
			return n
		}
	}
	return nil
}

// numberBySidLocked returns the account's number with the SID, or nil. s.mu is held.
func (a *Account) numberBySidLocked(sid string) *number {
	for _, n := range a.numbers {
		if n.Sid == sid {
			return n
		}
	}
	return nil
}

// owner returns the account that owns phone, or nil.
func (s *Server) owner(phone string) *Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.order {
		if a.numberLocked(phone) != nil {
			return a
		}
	}
	return nil
}

// sidLocked returns a fresh SID with the two-letter prefix: 32 hex digits from the seeded
// generator, as Twilio's SIDs. s.mu is held.
func (s *Server) sidLocked(prefix string) string {
	return fmt.Sprintf("%s%016x%016x", prefix, s.rng.Uint64(), s.rng.Uint64())
}

func checkSid(prefix, sid string) error {
	if len(sid) <= len(prefix) || sid[:len(prefix)] != prefix || !alnum.MatchString(sid) {
		return fmt.Errorf("fake twilio: SID %q must be %q followed by letters or digits", sid, prefix)
	}
	return nil
}
