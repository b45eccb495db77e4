package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
)

// Envelope is the frame every message travels in.
type Envelope struct {
	// V is the protocol version of the message.
	V int `json:"v"`
	// Type names the body's message type.
	Type Type `json:"type"`
	// Body is the message itself.
	Body json.RawMessage `json:"body"`
}

// Route is one direction of one channel. Each route carries its own set of
// message types; Decode refuses any other.
type Route string

// The routes.
const (
	AgentToServer     Route = "agent→server"
	ServerToAgent     Route = "server→agent"
	ViewerToServer    Route = "viewer→server"
	ServerToViewer    Route = "server→viewer"
	CandidateToServer Route = "candidate→server"
	ServerToCandidate Route = "server→candidate"
)

// Routes returns, for each route, a constructor for every message type it
// carries. The generated TypeScript unions come from this table too.
func Routes() map[Route]map[Type]func() Message {
	return map[Route]map[Type]func() Message{
		AgentToServer: {
			TypeHello:     func() Message { return new(Hello) },
			TypeOffer:     func() Message { return new(Offer) },
			TypeCandidate: func() Message { return new(Candidate) },
			TypeHeartbeat: func() Message { return new(Heartbeat) },
			TypeEvent:     func() Message { return new(Event) },
		},
		ServerToAgent: {
			TypeWelcome:   func() Message { return new(Welcome) },
			TypeAnswer:    func() Message { return new(Answer) },
			TypeCandidate: func() Message { return new(Candidate) },
			TypeHeartbeat: func() Message { return new(Heartbeat) },
			TypeAck:       func() Message { return new(Ack) },
			TypeCommand:   func() Message { return new(Command) },
			TypeError:     func() Message { return new(Error) },
		},
		ViewerToServer: {
			TypeSubscribe: func() Message { return new(Subscribe) },
			TypeWatch:     func() Message { return new(Watch) },
			TypeCandidate: func() Message { return new(ViewCandidate) },
			TypeUnwatch:   func() Message { return new(Unwatch) },
			TypeFocus:     func() Message { return new(Focus) },
		},
		ServerToViewer: {
			TypeSittings:   func() Message { return new(Sittings) },
			TypeSitting:    func() Message { return new(SittingUpdate) },
			TypeRecord:     func() Message { return new(Record) },
			TypeWatching:   func() Message { return new(Watching) },
			TypeCandidate:  func() Message { return new(ViewCandidate) },
			TypeError:      func() Message { return new(Error) },
			TypeAssessment: func() Message { return new(Assessment) },
		},
		CandidateToServer: {
			TypeHeartbeat: func() Message { return new(Heartbeat) },
		},
		ServerToCandidate: {
			TypeStatus:  func() Message { return new(Status) },
			TypeRecord:  func() Message { return new(Record) },
			TypeCommand: func() Message { return new(Command) },
			TypeError:   func() Message { return new(Error) },
		},
	}
}

// Codec encodes and decodes the messages of one route pair: it decodes what
// arrives on In and encodes what leaves on Out. It is immutable and safe for
// concurrent use.
type Codec struct {
	in, out map[Type]func() Message
	inRoute Route
	// version is the negotiated version frames must carry.
	version int
}

// NewCodec returns a codec that decodes messages of route in and encodes
// messages of route out, at protocol Version.
func NewCodec(in, out Route) *Codec {
	r := Routes()
	return &Codec{in: r[in], out: r[out], inRoute: in, version: Version}
}

// Encode wraps m in an envelope. It refuses a message that is not valid or
// does not belong to the codec's outgoing route, so a bug shows at the sender.
func (c *Codec) Encode(m Message) ([]byte, error) {
	if _, ok := c.out[m.Type()]; !ok {
		return nil, fmt.Errorf("encode: type %q is not sent on this route", m.Type())
	}
	if err := m.Validate(); err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Type(), err)
	}
	body, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encode %s: %w", m.Type(), err)
	}
	out, err := json.Marshal(Envelope{V: c.version, Type: m.Type(), Body: body})
	if err != nil {
		return nil, fmt.Errorf("encode %s envelope: %w", m.Type(), err)
	}
	if len(out) > MaxMessageBytes {
		return nil, fmt.Errorf("encode %s: %d bytes is over the %d-byte frame limit", m.Type(), len(out), MaxMessageBytes)
	}
	return out, nil
}

// Decode parses one frame strictly. Every failure is an *Error whose Code
// says what was wrong (and maps to a close code): the frame too large, not
// JSON, of an unknown type for this route, of another version, or with a
// missing, unknown or invalid field.
func (c *Codec) Decode(frame []byte) (Message, error) {
	if len(frame) > MaxMessageBytes {
		return nil, Errorf(ErrTooLarge, "frame of %d bytes is over the %d-byte limit", len(frame), MaxMessageBytes)
	}
	var env Envelope
	if err := strictUnmarshal(frame, &env); err != nil {
		return nil, Errorf(ErrMalformed, "frame is not a message envelope {\"v\",\"type\",\"body\"}: %v", err)
	}
	if env.Type == "" {
		return nil, Errorf(ErrMalformed, "envelope has no \"type\"")
	}
	if env.V != c.version {
		return nil, Errorf(ErrUnsupportedVersion, "message has protocol version %d; this server speaks %v — update the program", env.V, SupportedVersions())
	}
	mk, ok := c.in[env.Type]
	if !ok {
		return nil, Errorf(ErrUnknownType, "message type %q is not accepted on %s (accepted: %v)", env.Type, c.inRoute, c.inTypes())
	}
	if len(env.Body) == 0 || bytes.Equal(env.Body, []byte("null")) {
		return nil, Errorf(ErrMalformed, "%s message has no \"body\"", env.Type)
	}
	m := mk()
	if err := strictUnmarshal(env.Body, m); err != nil {
		return nil, Errorf(ErrInvalid, "%s body: %v", env.Type, err)
	}
	if err := m.Validate(); err != nil {
		var pe *Error
		if errors.As(err, &pe) {
			return nil, &Error{Code: pe.Code, Message: fmt.Sprintf("%s: %s", env.Type, pe.Message), Seq: pe.Seq}
		}
		return nil, Errorf(ErrInvalid, "%s: %v", env.Type, err)
	}
	return m, nil
}

func (c *Codec) inTypes() []Type {
	ts := make([]Type, 0, len(c.in))
	for t := range c.in {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts
}

// strictUnmarshal decodes exactly one JSON value into v, refusing unknown
// fields and trailing data.
func strictUnmarshal(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("trailing data after the JSON value")
	}
	return nil
}

// Negotiate picks the newest version both sides speak from a hello's list,
// or explains which versions this build accepts.
func Negotiate(offered []int) (int, error) {
	for _, mine := range SupportedVersions() {
		for _, theirs := range offered {
			if mine == theirs {
				return mine, nil
			}
		}
	}
	return 0, Errorf(ErrUnsupportedVersion, "the agent speaks protocol versions %v but this server speaks %v: install the agent version your organiser gives", offered, SupportedVersions())
}
