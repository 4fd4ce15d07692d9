package pool

import (
	"context"
	"slices"

	"poolkit/internal/mutation"
)

// AssignRequest assigns numbers to a key, optionally setting their plan kind and weight.
type AssignRequest struct {
	Phones   []string
	PlanKind *PlanKind
	Weight   *int
}

// PoolNumber is one allocation of a key's pool with its number.
type PoolNumber struct {
	Allocation Allocation
	Number     Number
}

// AssignNumbers assigns numbers to a key's pool, all or nothing (POOL-PROTO-1,
// POOL-PROTO-2). Numbers already in the key's pool are left as they are. It returns the
// allocations of the requested numbers, in request order.
//
// Errors, in this order: invalid_request, key_not_found, number_not_found,
// mixed_protocols, number_already_allocated, key_protocol_conflict.
func (e *Engine) AssignNumbers(ctx context.Context, keyID string, req AssignRequest) ([]PoolNumber, error) {
	if len(req.Phones) == 0 || len(req.Phones) > 1000 {
		return nil, Errorf(CodeInvalidRequest, "phone_numbers must list 1 to 1000 numbers")
	}
	if req.PlanKind != nil && !req.PlanKind.Valid() {
		return nil, Errorf(CodeInvalidRequest, "plan_kind must be shared, dedicated, inbound, trial or 2fa")
	}
	if req.Weight != nil && (*req.Weight < 0 || *req.Weight > 1000) {
		return nil, Errorf(CodeInvalidRequest, "weight must be between 0 and 1000")
	}
	phones := uniqueInOrder(req.Phones) // positions follow the request's order
	var out []PoolNumber
	err := e.update(ctx, func(tx Tx) error {
		key, err := tx.Key(keyID)
		if err != nil || key.Revoked {
			return notFound(orNotFound(err), CodeKeyNotFound, "no API key %s", keyID)
		}
		nums := make([]Number, len(phones))
		for i, p := range phones {
			n, err := tx.Number(p)
			if err == nil && n.OrgID != key.OrgID {
				err = ErrNotFound // another org's number is not this org's to assign
			}
			if err != nil {
				return notFound(err, CodeNumberNotFound, "number %s is not registered", p)
			}
			nums[i] = n
		}
		for _, n := range nums[1:] {
			if n.Provider != nums[0].Provider {
				return errMixedProtocols
			}
		}
		existing := make([]Allocation, len(nums))
		for i, n := range nums {
			a, err := tx.AllocationByPhone(n.Phone)
			switch {
			case err == ErrNotFound:
			case err != nil:
				return err
			case a.KeyID != key.ID && e.mut.Has(mutation.AssignStealsNumber):
				// POOL-PROTO-2 broken: the number moves from the other key's pool.
				if err := stealAllocation(tx, a); err != nil {
					return err
				}
			case a.KeyID != key.ID:
				return Errorf(CodeNumberAlreadyAllocated, "number %s is already allocated to another API key", n.Phone)
			default:
				existing[i] = a
			}
		}
		if proto := protocolOf(nums[0].Provider); key.Protocol != ProtocolNone && key.Protocol != proto &&
			!e.mut.Has(mutation.ProtocolConflictUnchecked) { // (mutant ProtocolConflictUnchecked, POOL-PROTO-1)
			if key.Protocol == ProtocolIMessage {
				return errOwnsBlooio
			}
			return errOwnsTwilio
		}
		now := e.now()
		for i := range nums {
			if existing[i].ID != "" {
				continue // already in this pool: a no-op
			}
			n := &nums[i]
			if req.PlanKind != nil {
				n.PlanKind = *req.PlanKind
			}
			if req.Weight != nil {
				n.Weight = *req.Weight
			}
			if err := validateNumber(n); err != nil {
				return err
			}
			if err := tx.PutNumber(*n); err != nil {
				return err
			}
			key.LastPosition++
			key.Allocations++
			existing[i] = Allocation{ID: e.ids.NewID("alloc"), KeyID: key.ID, Phone: n.Phone, Position: key.LastPosition, CreatedAt: now}
			if err := tx.PutAllocation(existing[i]); err != nil {
				return err
			}
		}
		key.Protocol = protocolOf(nums[0].Provider)
		if err := tx.PutKey(key); err != nil {
			return err
		}
		byPhone := make(map[string]PoolNumber, len(nums))
		for i := range nums {
			byPhone[nums[i].Phone] = PoolNumber{existing[i], nums[i]}
		}
		out = make([]PoolNumber, len(phones))
		for i, p := range phones {
			out[i] = byPhone[p]
		}
		return nil
	})
	return out, err
}

// UnassignNumber removes a number from a key's pool. Its bindings and prior inbound end
// with the allocation (POOL-STICKY-3); a key left empty has no protocol (POOL-PROTO-3).
//
// Errors: key_not_found, number_not_found (unknown, or not in this pool).
func (e *Engine) UnassignNumber(ctx context.Context, keyID, phone string) error {
	return e.update(ctx, func(tx Tx) error {
		key, err := tx.Key(keyID)
		if err != nil || key.Revoked {
			return notFound(orNotFound(err), CodeKeyNotFound, "no API key %s", keyID)
		}
		if _, err := tx.Number(phone); err != nil {
			return notFound(err, CodeNumberNotFound, "number %s is not registered", phone)
		}
		a, err := tx.AllocationByPhone(phone)
		if err != nil || a.KeyID != keyID {
			return notFound(orNotFound(err), CodeNumberNotFound, "number %s is not in this API key's pool", phone)
		}
		if e.mut.Has(mutation.ProtocolSticks | mutation.UnassignedStillSends) {
			return e.mutantUnassign(tx, key, a) // POOL-PROTO-3, POOL-ISO-2 broken: see mutation.go
		}
		if err := unassign(tx, &key, a); err != nil {
			return err
		}
		return tx.PutKey(key)
	})
}

// unassign deletes an allocation with its bindings and prior inbound; the caller puts key.
func unassign(tx Tx, key *Key, a Allocation) error {
	if err := tx.Unbind(a.ID); err != nil {
		return err
	}
	if err := tx.DeletePriorInbound(a.ID); err != nil {
		return err
	}
	if err := tx.DeleteAllocation(a.ID); err != nil {
		return err
	}
	key.Allocations--
	if key.Allocations == 0 {
		key.Protocol = ProtocolNone
	}
	return nil
}

// KeyNumbers lists a key's pool in position order (POOL-ISO-1).
//
// Errors: key_not_found.
func (e *Engine) KeyNumbers(ctx context.Context, keyID string) ([]PoolNumber, error) {
	var out []PoolNumber
	err := e.view(ctx, func(tx Tx) error {
		if _, err := tx.Key(keyID); err != nil {
			return notFound(err, CodeKeyNotFound, "no API key %s", keyID)
		}
		allocs, err := tx.Allocations(keyID)
		if err != nil {
			return err
		}
		if e.mut.Has(mutation.MeNumbersLeak) {
			if allocs, err = relayMates(tx, allocs); err != nil { // POOL-ISO-1 broken: see mutation.go
				return err
			}
		}
		out = make([]PoolNumber, len(allocs))
		for i, a := range allocs {
			n, err := tx.Number(a.Phone)
			if err != nil {
				return err
			}
			out[i] = PoolNumber{a, n}
		}
		return nil
	})
	return out, err
}

func uniqueInOrder(s []string) []string {
	seen := make(map[string]bool, len(s))
	out := make([]string, 0, len(s))
	for _, x := range s {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

func sortedUnique(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}
