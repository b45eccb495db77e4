package wsconn

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/protocol"
)

// serve accepts one connection with opts and reports when its incoming
// channel ends.
func serve(t *testing.T, opts Options) (url string, ended <-chan time.Time) {
	t.Helper()
	done := make(chan time.Time, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := Accept(w, r, protocol.NewCodec(protocol.ViewerToServer, protocol.ServerToViewer), opts)
		if err != nil {
			t.Error(err)
			return
		}
		for range c.In() {
		}
		done <- time.Now()
		c.Wait()
	}))
	t.Cleanup(srv.Close)
	return "ws" + strings.TrimPrefix(srv.URL, "http"), done
}

// A quiet peer that answers pings (a proctor's dashboard with nothing to
// say) stays connected past the read timeout; one that stops answering (a
// frozen process) is closed after it.
func TestQuietPeerKeptByPongs(t *testing.T) {
	opts := Options{ReadTimeout: 400 * time.Millisecond, PingInterval: 100 * time.Millisecond}

	url, ended := serve(t, opts)
	ws, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	go func() { // the reader answers pings (gorilla's default ping handler)
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}()
	select {
	case <-ended:
		t.Fatal("a peer answering every ping was closed as idle")
	case <-time.After(5 * opts.ReadTimeout):
	}

	url, ended = serve(t, opts)
	// The server's read deadline starts at the upgrade, before Dial
	// returns here: the clock starts before Dial.
	start := time.Now()
	frozen, _, err := websocket.DefaultDialer.Dial(url, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer frozen.Close()
	// Nobody reads on this side: no pong is ever sent.
	select {
	case at := <-ended:
		if at.Sub(start) < opts.ReadTimeout {
			t.Fatalf("closed after %v, before the read timeout %v", at.Sub(start), opts.ReadTimeout)
		}
	case <-time.After(20 * opts.ReadTimeout):
		t.Fatal("a peer that answers nothing was never closed")
	}
}

// A close reason is cut at a letter, never inside one: RFC 6455 §5.5.1
// wants it valid UTF-8, and gorilla drops a close frame that is not (a
// Kazakh refusal lost its close code). Failed before: cut mid-letter.
func TestTruncateKeepsUTF8(t *testing.T) {
	s := "unsupported_version: Бұл агенттің нұсқасы — dev, ал сервер 1.4.0 немесе одан жаңа нұсқасын ғана қабылдайды."
	for n := 0; n <= len(s)+1; n++ {
		got := truncate(s, n)
		if len(got) > n || !utf8.ValidString(got) || len(got) < n-utf8.UTFMax && len(got) < len(s) {
			t.Fatalf("truncate(%d) = %q (%d bytes)", n, got, len(got))
		}
	}
}
