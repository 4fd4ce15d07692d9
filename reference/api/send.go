package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"poolkit/reference/pool"
)

// handleSend serves POST /v2/api/chats/{chatId}/messages (SPEC §5). The request checks
// run in SPEC §2's order — unauthorized, payload_too_large, invalid_json, invalid_chat_id,
// invalid_request here, invalid_from_number first thing in the engine — and the engine
// decides the rest (chat_not_found, then the selection rules). 202 for an accepted send,
// 200 for an idempotent replay.
func handleSend(e *pool.Engine, kick func()) http.Handler {
	type response struct {
		MessageID    string   `json:"message_id"`
		MessageIDs   []string `json:"message_ids,omitempty"`
		Status       string   `json:"status"`
		FromNumber   string   `json:"from_number"`
		AllocationID string   `json:"allocation_id"`
		Protocol     string   `json:"protocol"`
		ChatID       string   `json:"chat_id"`
		GroupID      string   `json:"group_id,omitempty"`
		GroupCreated *bool    `json:"group_created,omitempty"`
		Participants []string `json:"participants,omitempty"`
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key, err := authenticate(e, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		body, err := readBody(w, r)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		chatID := r.PathValue("chatId")
		if err := checkChatID(key, chatID); err != nil {
			encodeError(w, r, err)
			return
		}
		req, textArray, err := parseSend(body, r.Header)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		req.KeyID, req.ChatID = key.ID, chatID
		res, err := e.Send(r.Context(), req)
		if err != nil {
			encodeError(w, r, err)
			return
		}
		out := response{
			MessageID:    res.MessageID,
			MessageIDs:   res.MessageIDs,
			Status:       string(res.Status),
			FromNumber:   res.From,
			AllocationID: res.AllocationID,
			Protocol:     string(res.Protocol),
			ChatID:       res.ChatID,
		}
		if textArray && len(out.MessageIDs) == 0 {
			out.MessageIDs = []string{res.MessageID} // a one-element array is still an array
		}
		if !textArray {
			out.MessageIDs = nil
		}
		if res.GroupID != "" {
			out.GroupID, out.GroupCreated, out.Participants = res.GroupID, &res.GroupCreated, res.Participants
		}
		status := http.StatusAccepted
		if res.Replayed {
			status = http.StatusOK
		}
		encode(w, r, status, out)
		if status == http.StatusAccepted && kick != nil {
			kick() // the outbox has a new message: dispatch it now rather than at the next poll
		}
	})
}

// checkChatID is the invalid_chat_id check of a send: a chatId the engine can parse, and
// only E.164 numbers for an SMS key (SPEC §2, Twilio keys). The engine checks both again.
func checkChatID(key pool.Key, chatID string) error {
	chat, err := pool.ParseChatID(chatID)
	if err != nil {
		return err
	}
	if key.Protocol == pool.ProtocolSMS && chat.Kind != pool.ChatPhone {
		return pool.Errorf(pool.CodeInvalidChatID, "SMS keys can only message E.164 numbers")
	}
	return nil
}

// maxIdempotencyKey is the longest Idempotency-Key accepted.
const maxIdempotencyKey = 255

// parseSend reads a send's body and headers into a SendRequest, with the invalid_request
// checks of SPEC §2 and §5. textArray reports whether text was an array (the response
// then lists message_ids).
func parseSend(body []byte, h http.Header) (req pool.SendRequest, textArray bool, err error) {
	var fields map[string]json.RawMessage
	if trimmed := bytes.TrimSpace(body); len(trimmed) == 0 || trimmed[0] != '{' || json.Unmarshal(trimmed, &fields) != nil {
		return req, false, pool.Errorf(pool.CodeInvalidRequest, "Request body must be a JSON object")
	}
	if raw, ok := fields["text"]; ok && !isNull(raw) {
		if req.Texts, textArray, err = parseText(raw); err != nil {
			return req, false, err
		}
	}
	if raw, ok := fields["attachments"]; ok && !isNull(raw) {
		if req.Attachments, err = stringArray(raw, "attachments"); err != nil {
			return req, false, err
		}
		for _, a := range req.Attachments {
			if a == "" {
				return req, false, pool.Errorf(pool.CodeInvalidRequest, "attachments must be non-empty URLs")
			}
		}
	}
	if len(req.Texts) == 0 && len(req.Attachments) == 0 {
		return req, false, pool.Errorf(pool.CodeInvalidRequest, "text is required")
	}
	if raw, ok := fields["from_number"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &req.From) != nil {
			return req, false, pool.Errorf(pool.CodeInvalidRequest, "from_number must be a string")
		}
	}
	if req.From == "" { // the body wins; an empty from_number counts as absent
		req.From = strings.TrimSpace(h.Get("X-From-Number"))
	}
	req.IdempotencyKey = h.Get("Idempotency-Key")
	if len(req.IdempotencyKey) > maxIdempotencyKey {
		return req, false, pool.Errorf(pool.CodeInvalidRequest, "Idempotency-Key is longer than 255 bytes")
	}
	// A from_number that is not E.164 is the engine's to refuse (POOL-FROM-1, 400
	// invalid_from_number): it checks it first thing, before anything it looks up, so the
	// order of SPEC §2 holds. One place enforces the rule, and a conformance mutant that
	// breaks it there (internal/mutation.FromUnvalidated) shows over the API.
	return req, textArray, nil
}

// parseText reads text: a non-empty string, or a non-empty array of non-empty strings.
func parseText(raw json.RawMessage) ([]string, bool, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		if s == "" {
			return nil, false, pool.Errorf(pool.CodeInvalidRequest, "text must not be empty")
		}
		return []string{s}, false, nil
	}
	texts, err := stringArray(raw, "text")
	if err != nil {
		return nil, false, pool.Errorf(pool.CodeInvalidRequest, "text must be a string or an array of strings")
	}
	if len(texts) == 0 {
		return nil, false, pool.Errorf(pool.CodeInvalidRequest, "text must not be an empty array")
	}
	for _, t := range texts {
		if t == "" {
			return nil, false, pool.Errorf(pool.CodeInvalidRequest, "text must not contain empty strings")
		}
	}
	return texts, true, nil
}

// stringArray reads a JSON array whose elements are all strings.
func stringArray(raw json.RawMessage, name string) ([]string, error) {
	var elems []json.RawMessage
	if json.Unmarshal(raw, &elems) != nil || elems == nil {
		return nil, pool.Errorf(pool.CodeInvalidRequest, "%s must be an array of strings", name)
	}
	out := make([]string, len(elems))
	for i, el := range elems {
		if isNull(el) || json.Unmarshal(el, &out[i]) != nil {
			return nil, pool.Errorf(pool.CodeInvalidRequest, "%s must be an array of strings", name)
		}
	}
	return out, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }
