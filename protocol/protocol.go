// Package protocol is the contract between Kuzet's processes: the agent on
// the candidate's computer, the server, and the web app in a browser.
//
// Every message travels as one JSON WebSocket text frame, an Envelope:
//
//	{"v": 1, "type": "event", "body": {...}}
//
// Three channels carry messages, each with its own set of types:
//
//   - /v1/agent     — agent ↔ server: hello/welcome, WebRTC signalling,
//     heartbeats, rule events and their acks, commands from the proctor.
//   - /v1/view      — proctor's browser ↔ server: the live list of sittings,
//     event records, and signalling for watching a sitting's media.
//   - /v1/candidate — the candidate's page ↔ server: connection status, the
//     events that concern the candidate, messages from the proctor.
//
// Decoding is strict (Decode): unknown types, unknown or missing fields, a
// wrong version and oversize frames are refused with an *Error whose code
// maps to a WebSocket close code. The wire format is pinned by the golden
// files in testdata/, and the web app's TypeScript types are generated from
// these Go types (cmd/kuzet-tsgen), never written by hand.
//
// This package imports the standard library only.
package protocol

// Version is the protocol version this build speaks. A peer that speaks only
// other versions is refused with ErrUnsupportedVersion.
const Version = 1

// SupportedVersions lists every version this build accepts, newest first.
func SupportedVersions() []int { return []int{Version} }

// MaxMessageBytes caps one WebSocket frame. An SDP offer with three tracks is
// under 8 KiB; evidence files travel over HTTP, never in a frame.
const MaxMessageBytes = 64 << 10

// MaxEvidenceBytes caps one evidence upload (a downscaled JPEG or a short report).
const MaxEvidenceBytes = 2 << 20

// EvidenceUpload is the answer to an evidence upload.
type EvidenceUpload struct {
	// SHA256 is the hex SHA-256 of the bytes the server stored.
	SHA256 string `json:"sha256"`
	// Size is their length.
	Size int64 `json:"size"`
}
