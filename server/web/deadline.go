package web

import (
	"net/http"
	"strings"
	"time"
)

// Deadlines per route (issue 16, finding 12): a client that sends its
// request slowly, or reads the answer slowly, must not hold a connection
// for ever; the server-wide timeouts cannot say this per route, because a
// WebSocket or a recording being played lives long on purpose.
const (
	defaultReadTimeout   = 30 * time.Second
	defaultWriteTimeout  = 5 * time.Minute
	defaultUploadTimeout = 10 * time.Minute
)

// streaming reports the routes that live as long as they are used: the
// WebSocket channels and the recordings a replay streams with Range.
func streaming(route string) bool {
	return strings.HasPrefix(route, "GET /v1/") || strings.HasSuffix(route, "/recordings/{name}")
}

// upload reports the routes that take files.
func upload(route string) bool {
	return route == "POST /v1/evidence/{id}" || route == "POST /api/cabinet/documents"
}

// deadlines wraps h with its route's read and write deadlines.
func (s *Server) deadlines(route string, h http.Handler) http.Handler {
	if streaming(route) {
		return h
	}
	read, write := s.cfg.RequestTimeout, s.cfg.RequestTimeout
	if read == 0 {
		read, write = defaultReadTimeout, defaultWriteTimeout
	}
	if upload(route) {
		read, write = s.cfg.UploadTimeout, s.cfg.UploadTimeout
		if read == 0 {
			read, write = defaultUploadTimeout, defaultUploadTimeout
		}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		// Not every writer supports deadlines (a test recorder): then
		// the server's own timeouts are all there is.
		_ = rc.SetReadDeadline(now.Add(read))
		_ = rc.SetWriteDeadline(now.Add(write))
		h.ServeHTTP(w, r)
	})
}
