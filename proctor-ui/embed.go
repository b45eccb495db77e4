// Package proctorui embeds the built web app (proctor-ui/dist) into the
// server binary, so a built kuzet-server needs no separate files.
package proctorui

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Files returns the built web app, rooted at its index.html.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		// fs.Sub fails only for an invalid path, and "dist" is valid.
		return dist
	}
	return sub
}

// Built reports whether the web app was built before the server was
// compiled (dist holds more than its README).
func Built() bool {
	_, err := fs.Stat(Files(), "index.html")
	return err == nil
}
