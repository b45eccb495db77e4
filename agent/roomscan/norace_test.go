//go:build !race

package roomscan

const raceEnabled = false
