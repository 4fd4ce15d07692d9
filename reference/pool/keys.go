package pool

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
)

// SecretPrefix starts every API-key secret.
const SecretPrefix = "bl_test_"

// HashSecret returns the SHA-256 hash under which a key's secret is stored.
func HashSecret(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }

// CreateKey creates an API key in an organization. The secret is returned only here; the
// store keeps its SHA-256 hash.
//
// Errors: org_not_found, invalid_request.
func (e *Engine) CreateKey(ctx context.Context, orgID, name string) (Key, string, error) {
	if len(name) > 200 {
		return Key{}, "", Errorf(CodeInvalidRequest, "name is longer than 200 bytes")
	}
	var raw [24]byte
	if _, err := io.ReadFull(e.entropy, raw[:]); err != nil {
		return Key{}, "", err
	}
	secret := SecretPrefix + hex.EncodeToString(raw[:])
	key := Key{OrgID: orgID, Name: name, SecretHash: HashSecret(secret)}
	err := e.update(ctx, func(tx Tx) error {
		if _, err := tx.Org(orgID); err != nil {
			return notFound(err, CodeOrgNotFound, "no organization %s", orgID)
		}
		key.ID, key.CreatedAt = e.ids.NewID("key"), e.now()
		return tx.PutKey(key)
	})
	if err != nil {
		return Key{}, "", err
	}
	return key, secret, nil
}

// Authenticate returns the live key whose secret is secret. The stored hash is compared
// in constant time.
//
// Errors: unauthorized (missing, unknown or revoked key).
func (e *Engine) Authenticate(ctx context.Context, secret string) (Key, error) {
	if secret == "" {
		return Key{}, errUnauthorized
	}
	hash := HashSecret(secret)
	var key Key
	err := e.view(ctx, func(tx Tx) error {
		var err error
		key, err = tx.KeyByHash(hash)
		if err == ErrNotFound || err == nil && (key.Revoked || subtle.ConstantTimeCompare(key.SecretHash[:], hash[:]) != 1) {
			return errUnauthorized
		}
		return err
	})
	return key, err
}

// Key returns an API key.
//
// Errors: key_not_found.
func (e *Engine) Key(ctx context.Context, id string) (Key, error) {
	var key Key
	err := e.view(ctx, func(tx Tx) error {
		var err error
		key, err = tx.Key(id)
		return notFound(err, CodeKeyNotFound, "no API key %s", id)
	})
	return key, err
}

// RevokeKey revokes an API key: later requests with it are unauthorized, its numbers are
// unassigned and its bindings dropped.
//
// Errors: key_not_found.
func (e *Engine) RevokeKey(ctx context.Context, id string) error {
	return e.update(ctx, func(tx Tx) error {
		key, err := tx.Key(id)
		if err != nil || key.Revoked {
			return notFound(orNotFound(err), CodeKeyNotFound, "no API key %s", id)
		}
		allocs, err := tx.Allocations(id)
		if err != nil {
			return err
		}
		for _, a := range allocs {
			if err := unassign(tx, &key, a); err != nil {
				return err
			}
		}
		key.Revoked = true
		return tx.PutKey(key)
	})
}
