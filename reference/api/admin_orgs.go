package api

import (
	"math"
	"net/http"
	"time"

	"poolkit/reference/pool"
)

// orgJSON is an organization as the admin API shows it.
type orgJSON struct {
	OrganizationID   string              `json:"organization_id"`
	Name             string              `json:"name"`
	Strategy         string              `json:"strategy"`
	StickyTTLSeconds int64               `json:"sticky_ttl_seconds"`
	Health           pool.HealthSettings `json:"health"`
	CreatedAt        int64               `json:"created_at"`
}

func toOrgJSON(o pool.Org) orgJSON {
	return orgJSON{
		OrganizationID: o.ID, Name: o.Name, Strategy: string(o.Strategy),
		StickyTTLSeconds: int64(o.StickyTTL / time.Second), Health: o.Health, CreatedAt: millis(o.CreatedAt),
	}
}

// healthPatch holds the health thresholds a request sets; the others keep their value.
type healthPatch struct {
	Window       *int     `json:"window"`
	MinSamples   *int     `json:"min_samples"`
	DegradeBelow *float64 `json:"degrade_below"`
	RecoverAt    *float64 `json:"recover_at"`
}

func (p *healthPatch) apply(h pool.HealthSettings) *pool.HealthSettings {
	if p.Window != nil {
		h.Window = *p.Window
	}
	if p.MinSamples != nil {
		h.MinSamples = *p.MinSamples
	}
	if p.DegradeBelow != nil {
		h.DegradeBelow = *p.DegradeBelow
	}
	if p.RecoverAt != nil {
		h.RecoverAt = *p.RecoverAt
	}
	return &h
}

// stickyTTL converts sticky_ttl_seconds; the engine rejects negative values.
//
// Errors: invalid_request.
func stickyTTL(seconds int64) (time.Duration, error) {
	if seconds > math.MaxInt64/int64(time.Second) {
		return 0, pool.Errorf(pool.CodeInvalidRequest, "sticky_ttl_seconds is too large")
	}
	return time.Duration(seconds) * time.Second, nil
}

// handleCreateOrg serves POST /admin/v1/orgs.
func handleCreateOrg(e *pool.Engine) http.Handler {
	type request struct {
		Name             string       `json:"name"`
		Strategy         *string      `json:"strategy"`
		StickyTTLSeconds *int64       `json:"sticky_ttl_seconds"`
		Health           *healthPatch `json:"health"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		spec := pool.OrgSpec{Name: req.Name}
		if req.Name == "" {
			encodeError(w, r, pool.Errorf(pool.CodeInvalidRequest, "name is required"))
			return
		}
		if req.Strategy != nil {
			spec.Strategy = pool.Strategy(*req.Strategy)
			if spec.Strategy == "" {
				spec.Strategy = "-" // an empty strategy is invalid, not the default
			}
		}
		if req.StickyTTLSeconds != nil {
			if spec.StickyTTL, err = stickyTTL(*req.StickyTTLSeconds); err != nil {
				encodeError(w, r, err)
				return
			}
		}
		if req.Health != nil {
			spec.Health = req.Health.apply(pool.DefaultHealth)
		}
		org, err := e.CreateOrg(r.Context(), spec)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusCreated, toOrgJSON(org))
	})
}

// handleGetOrg serves GET /admin/v1/orgs/{org} (a poolkit extension).
func handleGetOrg(e *pool.Engine) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		org, err := e.Org(r.Context(), r.PathValue("org"))
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, toOrgJSON(org))
	})
}

// handleUpdateOrg serves PATCH /admin/v1/orgs/{org}: strategy, sticky TTL and health
// thresholds; fields left out keep their value.
func handleUpdateOrg(e *pool.Engine) http.Handler {
	type request struct {
		Strategy         *string      `json:"strategy"`
		StickyTTLSeconds *int64       `json:"sticky_ttl_seconds"`
		Health           *healthPatch `json:"health"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := decode[request](w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		ctx, id := r.Context(), r.PathValue("org")
		var p pool.OrgPatch
		if req.Strategy != nil {
			s := pool.Strategy(*req.Strategy)
			p.Strategy = &s
		}
		if req.StickyTTLSeconds != nil {
			ttl, err := stickyTTL(*req.StickyTTLSeconds)
			if err != nil {
				encodeError(w, r, err)
				return
			}
			p.StickyTTL = &ttl
		}
		if req.Health != nil {
			cur, err := e.Org(ctx, id)
			if err != nil {
				encodeError(w, r, err)
				return
			}
			p.Health = req.Health.apply(cur.Health)
		}
		org, err := e.UpdateOrg(ctx, id, p)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		encode(w, r, http.StatusOK, toOrgJSON(org))
	})
}
