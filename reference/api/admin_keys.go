package api

import (
	"net/http"

	"poolkit/reference/pool"
)

// handleCreateKey serves POST /admin/v1/orgs/{org}/keys. The secret (api_key) is in
// this response only.
func handleCreateKey(e *pool.Engine) http.Handler {
	type request struct {
		Name string `json:"name"`
	}
	type response struct {
		KeyID          string  `json:"key_id"`
		APIKey         string  `json:"api_key"`
		Name           string  `json:"name"`
		OrganizationID string  `json:"organization_id"`
		Protocol       *string `json:"protocol"`
		CreatedAt      int64   `json:"created_at"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		key, secret, err := e.CreateKey(r.Context(), r.PathValue("org"), req.Name)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusCreated, response{
			KeyID: key.ID, APIKey: secret, Name: key.Name, OrganizationID: key.OrgID,
			Protocol: protocolJSON(key.Protocol), CreatedAt: millis(key.CreatedAt),
		})
	})
}

// handleRevokeKey serves DELETE /admin/v1/keys/{key}: later requests with the key are
// unauthorized; its numbers are unassigned and its bindings dropped.
func handleRevokeKey(e *pool.Engine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := e.RevokeKey(r.Context(), r.PathValue("key")); err != nil {
			encodeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// handleKeyNumbers serves GET /admin/v1/keys/{key}/numbers (a poolkit extension): a key's
// pool, as GET /v2/api/me/numbers shows it to the key.
func handleKeyNumbers(e *pool.Engine) http.Handler {
	type response struct {
		Numbers []numberJSON `json:"numbers"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pns, err := e.KeyNumbers(r.Context(), r.PathValue("key"))
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, response{Numbers: poolNumbersJSON(pns)})
	})
}

// allocationJSON is an allocation as the admin API shows it (SPEC §1).
type allocationJSON struct {
	AllocationID string `json:"allocation_id"`
	PhoneNumber  string `json:"phone_number"`
	PlanKind     string `json:"plan_kind"`
	Weight       int    `json:"weight"`
	Position     int    `json:"position"`
}

// handleAssignNumbers serves POST /admin/v1/keys/{key}/numbers: all or nothing
// (POOL-PROTO-1, POOL-PROTO-2); 200 with the allocations of the requested numbers.
func handleAssignNumbers(e *pool.Engine) http.Handler {
	type request struct {
		PhoneNumbers []string `json:"phone_numbers"`
		PlanKind     *string  `json:"plan_kind"`
		Weight       *int     `json:"weight"`
	}
	type response struct {
		Allocations []allocationJSON `json:"allocations"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		ar := pool.AssignRequest{Phones: req.PhoneNumbers, Weight: req.Weight}
		if req.PlanKind != nil {
			k := pool.PlanKind(*req.PlanKind)
			ar.PlanKind = &k
		}
		pns, err := e.AssignNumbers(r.Context(), r.PathValue("key"), ar)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		out := response{Allocations: make([]allocationJSON, len(pns))}
		for i, pn := range pns {
			out.Allocations[i] = allocationJSON{
				AllocationID: pn.Allocation.ID, PhoneNumber: pn.Number.Phone,
				PlanKind: string(pn.Number.PlanKind), Weight: pn.Number.Weight, Position: pn.Allocation.Position,
			}
		}
		encode(w, r, http.StatusOK, out)
	})
}

// handleUnassignNumber serves DELETE /admin/v1/keys/{key}/numbers/{phone}; the number's
// bindings and prior inbound end with its allocation.
func handleUnassignNumber(e *pool.Engine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := e.UnassignNumber(r.Context(), r.PathValue("key"), r.PathValue("phone")); err != nil {
			encodeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

// handleGetBinding serves GET /admin/v1/keys/{key}/bindings/{recipient}.
func handleGetBinding(e *pool.Engine) http.Handler {
	type response struct {
		Recipient    string `json:"recipient"`
		AllocationID string `json:"allocation_id"`
		PhoneNumber  string `json:"phone_number"`
		UpdatedAt    int64  `json:"updated_at"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := e.Binding(r.Context(), r.PathValue("key"), r.PathValue("recipient"))
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, response{
			Recipient: b.Recipient, AllocationID: b.AllocationID, PhoneNumber: b.Phone, UpdatedAt: millis(b.UpdatedAt),
		})
	})
}

// handleResetBinding serves DELETE /admin/v1/keys/{key}/bindings/{recipient}: the next
// send to the recipient selects afresh (POOL-STICKY-3).
func handleResetBinding(e *pool.Engine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := e.ResetBinding(r.Context(), r.PathValue("key"), r.PathValue("recipient")); err != nil {
			encodeError(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}
