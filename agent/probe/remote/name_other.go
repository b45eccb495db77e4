//go:build !linux

package remote

// fastName has no fast path outside Linux; gopsutil reads the name.
func fastName(int32) (string, bool) { return "", false }
