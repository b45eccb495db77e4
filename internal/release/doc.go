// Package release holds the test of scripts/release: what it builds
// verifies with `sha256sum -c SHA256SUMS`, and a tampered file does not.
package release
