package protocol

// Policy is the exam policy the server sends in Welcome. Durations are in
// milliseconds. Later issues add sections for each rule; a zero field means
// the agent's default.
type Policy struct {
	// HeartbeatMS is how often the agent sends a heartbeat.
	HeartbeatMS int `json:"heartbeat_ms"`
	// CameraLostMS is how long without a camera frame before rule 10.6 is
	// reported (default 2000).
	CameraLostMS int `json:"camera_lost_ms"`
}

// Validate checks the policy's ranges.
func (p *Policy) Validate() error {
	if p.HeartbeatMS < 100 || p.HeartbeatMS > 60000 {
		return fieldErr("policy.heartbeat_ms", "must be between 100 and 60000")
	}
	if p.CameraLostMS < 0 || p.CameraLostMS > 600000 {
		return fieldErr("policy.camera_lost_ms", "must be between 0 and 600000")
	}
	return nil
}
