package api

import (
	"net/http"
	"net/url"

	"poolkit/reference/pool"
)

// handleRegisterRelay serves POST /admin/v1/relays. The secret is never echoed.
func handleRegisterRelay(e *pool.Engine) http.Handler {
	type request struct {
		RelayID string `json:"relay_id"`
		URL     string `json:"url"`
		Secret  string `json:"secret"`
	}
	type response struct {
		RelayID string `json:"relay_id"`
		URL     string `json:"url"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		if u, err := url.Parse(req.URL); req.URL != "" && (err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https")) {
			encodeError(w, r, pool.Errorf(pool.CodeInvalidRequest, "url must be an absolute http or https URL"))
			return
		}
		relay, err := e.RegisterRelay(r.Context(), pool.Relay{ID: req.RelayID, URL: req.URL, Secret: req.Secret})
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusCreated, response{RelayID: relay.ID, URL: relay.URL})
	})
}

// numberAdminJSON is a registered number as the admin API shows it.
type numberAdminJSON struct {
	PhoneNumber    string  `json:"phone_number"`
	OrganizationID string  `json:"organization_id"`
	Provider       string  `json:"provider"`
	RelayID        *string `json:"relay_id"`
	LineSlot       *int    `json:"line_slot"`
	PlanKind       string  `json:"plan_kind"`
	Weight         int     `json:"weight"`
	Health         string  `json:"health"`
	CreatedAt      int64   `json:"created_at"`
}

func toNumberAdminJSON(n pool.Number) numberAdminJSON {
	out := numberAdminJSON{
		PhoneNumber: n.Phone, OrganizationID: n.OrgID, Provider: string(n.Provider),
		PlanKind: string(n.PlanKind), Weight: n.Weight, Health: string(n.Health()), CreatedAt: millis(n.CreatedAt),
	}
	if n.Provider == pool.ProviderBlooio {
		out.RelayID, out.LineSlot = &n.RelayID, &n.LineSlot
	}
	return out
}

// handleRegisterNumber serves POST /admin/v1/orgs/{org}/numbers: a Blooio number on a
// relay's line slot, or — a poolkit extension — with "provider":"twilio" a Twilio number
// without an integration.
func handleRegisterNumber(e *pool.Engine) http.Handler {
	type request struct {
		PhoneNumber string  `json:"phone_number"`
		Provider    *string `json:"provider"`
		RelayID     string  `json:"relay_id"`
		LineSlot    *int    `json:"line_slot"`
		PlanKind    string  `json:"plan_kind"`
		Weight      *int    `json:"weight"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		spec := pool.NumberSpec{
			OrgID: r.PathValue("org"), Phone: req.PhoneNumber, Provider: pool.ProviderBlooio,
			PlanKind: pool.PlanKind(req.PlanKind), Weight: req.Weight,
		}
		if req.Provider != nil {
			spec.Provider = pool.Provider(*req.Provider)
		}
		if spec.Provider == pool.ProviderBlooio {
			if req.RelayID == "" || req.LineSlot == nil {
				encodeError(w, r, pool.Errorf(pool.CodeInvalidRequest, "a Blooio number needs relay_id and line_slot"))
				return
			}
			spec.RelayID, spec.LineSlot = req.RelayID, *req.LineSlot
		}
		num, err := e.RegisterNumber(r.Context(), spec)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusCreated, toNumberAdminJSON(num))
	})
}

// handleUpdateNumber serves PATCH /admin/v1/numbers/{phone}: plan kind, weight, and a ban
// ("health":"banned") or its lifting ("health":"active").
func handleUpdateNumber(e *pool.Engine) http.Handler {
	type request struct {
		PlanKind *string `json:"plan_kind"`
		Weight   *int    `json:"weight"`
		Health   *string `json:"health"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		p := pool.NumberPatch{Weight: req.Weight}
		if req.PlanKind != nil {
			k := pool.PlanKind(*req.PlanKind)
			p.PlanKind = &k
		}
		if req.Health != nil {
			h := pool.Health(*req.Health)
			p.Health = &h
		}
		num, err := e.UpdateNumber(r.Context(), r.PathValue("phone"), p)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, toNumberAdminJSON(num))
	})
}

// handleNumberHealth serves GET /admin/v1/numbers/{phone}/health.
func handleNumberHealth(e *pool.Engine) http.Handler {
	type response struct {
		PhoneNumber    string   `json:"phone_number"`
		Status         string   `json:"status"`
		DeliveredRatio *float64 `json:"delivered_ratio"`
		Samples        int      `json:"samples"`
		Window         int      `json:"window"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep, err := e.NumberHealth(r.Context(), r.PathValue("phone"))
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, response{
			PhoneNumber: rep.Phone, Status: string(rep.Status), DeliveredRatio: rep.DeliveredRatio,
			Samples: rep.Samples, Window: rep.Window,
		})
	})
}
