// Package macrelay is a fake fleet of Mac relays (SPEC §7, §8): real HTTP servers, one per
// Mac, that implement the relay side of the relay protocol for any number of line slots,
// plus a control API (Go methods and JSON endpoints) for tests, scenarios and the simulator.
//
// Relay API, served at the root of each Mac's own base URL (Mac.URL after Start), with
// Authorization: Bearer <the Mac's secret>:
//
//	POST /v1/messages  {message_id, line_slot, to:[handles] | chat_guid, text, attachments?}
//	                   202 {message_id, status:"accepted"}; a repeated message_id with the
//	                   same content → 200 (not delivered again); the same id with other
//	                   content → 409; unknown slot → 404; banned line → 403; line offline →
//	                   503 with Retry-After: 5; bad body → 400; wrong or missing bearer → 401.
//	GET  /v1/health    {relay_id, lines:[{line_slot, phone_number, online}]}
//
// Health reports each line's online flag as set by SetLineOnline; a ban shows only in the
// line.status event and the 403 on sends.
//
// A Mac taken offline is "locked": its listener answers 503 mac_offline to every relay
// route, before authentication, and it neither sends events nor receives inbound messages.
//
// After a 202 the Mac posts signed events (internal/relaysig) to
// {EngineURL}/relay/v1/events: message.status "sent" at once, then "delivered" or "failed"
// (error_code "delivery_failed") after the line's latency. The outcome is drawn from the
// fleet's seeded generator when the message is accepted, so a sequential run with the
// same seed gives the same outcomes. Event posts are retried on connection errors and 5xx
// with a short bounded backoff; every event and the engine's answer is kept (Events).
//
// Control API: the Go methods Inject, SetLineOnline, SetLineBanned, SetMacOnline,
// SetFailureRatio, SetLatency, DropAcks, ResetAcks, Messages, Events, Unexpected, Reset and
// WaitIdle, mirrored as JSON endpoints on the fleet's control URL (URL after Start) or
// under Handler(). It has no authentication: it is a test fixture on loopback.
//
//	GET   /control/macs                                  {macs:[Mac]}
//	GET   /control/macs/{mac}                            Mac
//	POST  /control/macs/{mac}/online                     {online}            → Mac
//	POST  /control/macs/{mac}/drop-acks                  {n, mode:"500"|"reset"} → Mac
//	GET   /control/macs/{mac}/messages                   {messages:[Message]}
//	PATCH /control/macs/{mac}/lines/{slot}               {failure_ratio?, latency?:"250ms"} → Line
//	POST  /control/macs/{mac}/lines/{slot}/online        {online}            → EventRecord
//	POST  /control/macs/{mac}/lines/{slot}/banned        {banned}            → EventRecord
//	POST  /control/macs/{mac}/lines/{slot}/inbound       {from, text, group?} → EventRecord
//	GET   /control/events                                {events:[EventRecord]}
//	GET   /control/unexpected                            {requests:[Request]}
//	POST  /control/reset                                 204
//	POST  /control/wait-idle?timeout=5s                  204, or 504 when still busy
//
// Every other method or path, on a Mac or on the control API, is answered loudly with a
// JSON 404 (or 405 with Allow) {"error":"unknown route","method","path"} and recorded in
// Unexpected, which a test can require to be empty.
package macrelay
