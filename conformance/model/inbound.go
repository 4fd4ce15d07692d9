package model

// decideInbound: an inbound message is attributed to exactly the number it arrived on
// (POOL-INBOUND-4). An unknown number has no line (line_not_found); Twilio numbers have no
// group chats.
func (m *Model) decideInbound(op Inbound) decision {
	n := m.numbers[op.Phone]
	if n == nil {
		return refuse("POOL-INBOUND-4", CodeLineNotFound)
	}
	if _, kind := parseRecipient(op.From); kind != recipientPhone && kind != recipientEmail {
		return refuse("POOL-INBOUND-4", CodeInvalidRequest)
	}
	if op.Group != "" && n.provider == ProviderTwilio {
		return refuse("POOL-INBOUND-4", CodeInvalidRequest)
	}
	return accept("POOL-INBOUND-2")
}

// applyInbound records prior inbound (allocation, recipient) at once (POOL-INBOUND-2),
// where the recipient of a group message is the group and not the participant
// (POOL-INBOUND-3), and for imessage keys makes the allocation the conversation's binding
// (POOL-STICKY-2). For an sms key nothing changes selection (POOL-TWILIO-2). A number
// without allocation records nothing (SPEC §7).
//
// A group heard for the first time is pinned to the allocation it arrived on (SPEC §2
// Groups). A group stays pinned to that allocation until it ends; the same group name
// heard on another allocation still counts as prior inbound there, but does not move it.
func (m *Model) applyInbound(op Inbound) {
	a := m.allocOf(op.Phone)
	if a == nil {
		return
	}
	r, _ := parseRecipient(op.From)
	if op.Group != "" {
		r = groupPrefix + op.Group
		if _, pinned := m.groups[op.Group]; !pinned {
			m.groups[op.Group] = a.id
		}
	}
	a.prior[r] = true
	k := m.keys[a.key]
	if k.protocol == ProtocolSMS {
		k.setSMSLast(r, a.phone)
		return
	}
	k.bind(r, binding{alloc: a.id, last: m.now})
}

// bind sets binding (k, r).
func (k *key) bind(r string, b binding) {
	if k.bindings == nil {
		k.bindings = map[string]binding{}
	}
	k.bindings[r] = b
}

// setSMSLast remembers the number last used with r on an sms key (for blame only).
func (k *key) setSMSLast(r, phone string) {
	if k.smsLast == nil {
		k.smsLast = map[string]string{}
	}
	k.smsLast[r] = phone
}
