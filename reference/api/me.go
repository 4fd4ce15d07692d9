package api

import (
	"net/http"
	"time"

	"poolkit/reference/pool"
)

// numberJSON is one number of a pool as GET /me/numbers and GET /admin/v1/keys/{key}/numbers
// show it: type and plan_kind carry the same value (SPEC §5).
type numberJSON struct {
	PhoneNumber  string  `json:"phone_number"`
	Type         string  `json:"type"`
	PlanKind     string  `json:"plan_kind"`
	AllocationID string  `json:"allocation_id"`
	Protocol     string  `json:"protocol"`
	IsActive     bool    `json:"is_active"`
	Health       string  `json:"health"`
	LastActive   *string `json:"last_active"`
}

func poolNumbersJSON(pns []pool.PoolNumber) []numberJSON {
	out := make([]numberJSON, len(pns))
	for i, pn := range pns {
		n := &pn.Number
		out[i] = numberJSON{
			PhoneNumber:  n.Phone,
			Type:         string(n.PlanKind),
			PlanKind:     string(n.PlanKind),
			AllocationID: pn.Allocation.ID,
			Protocol:     string(protocolOf(n.Provider)),
			IsActive:     isActive(n),
			Health:       string(n.Health()),
			LastActive:   rfc3339(n.LastActive),
		}
	}
	return out
}

// handleMeNumbers serves GET /v2/api/me/numbers: the key's pool in position order
// (POOL-ISO-1).
func handleMeNumbers(e *pool.Engine) http.Handler {
	type response struct {
		Numbers []numberJSON `json:"numbers"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := authenticate(e, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		pns, err := e.KeyNumbers(r.Context(), key.ID)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, response{Numbers: poolNumbersJSON(pns)})
	})
}

// handleMe serves GET /v2/api/me: the key, its organization, protocol and numbers.
func handleMe(e *pool.Engine) http.Handler {
	type device struct {
		PhoneNumber string `json:"phone_number"`
		IsActive    bool   `json:"is_active"`
		LastActive  *int64 `json:"last_active"`
		PlanKind    string `json:"plan_kind"`
	}
	type response struct {
		AuthType       string   `json:"auth_type"`
		Valid          bool     `json:"valid"`
		OrganizationID string   `json:"organization_id"`
		KeyID          string   `json:"key_id"`
		Protocol       *string  `json:"protocol"`
		Devices        []device `json:"devices"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := authenticate(e, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		pns, err := e.KeyNumbers(r.Context(), key.ID)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		out := response{
			AuthType: "api_key", Valid: true, OrganizationID: key.OrgID, KeyID: key.ID,
			Protocol: protocolJSON(key.Protocol), Devices: make([]device, len(pns)),
		}
		for i, pn := range pns {
			out.Devices[i] = device{
				PhoneNumber: pn.Number.Phone,
				IsActive:    isActive(&pn.Number),
				LastActive:  millisOrNull(pn.Number.LastActive),
				PlanKind:    string(pn.Number.PlanKind),
			}
		}
		encode(w, r, http.StatusOK, out)
	})
}

// isActive is is_active: the number is active or degraded (SPEC §4).
func isActive(n *pool.Number) bool {
	h := n.Health()
	return h == pool.HealthActive || h == pool.HealthDegraded
}

func protocolOf(p pool.Provider) pool.Protocol {
	if p == pool.ProviderTwilio {
		return pool.ProtocolSMS
	}
	return pool.ProtocolIMessage
}

// protocolJSON is a key's protocol, null for an empty key.
func protocolJSON(p pool.Protocol) *string {
	if p == pool.ProtocolNone {
		return nil
	}
	s := string(p)
	return &s
}

// millis is a timestamp of the API: epoch milliseconds (SPEC §5).
func millis(t time.Time) int64 { return t.UnixMilli() }

func millisOrNull(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	ms := t.UnixMilli()
	return &ms
}

// rfc3339 is last_active of /me/numbers: an RFC 3339 string, or null.
func rfc3339(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}
