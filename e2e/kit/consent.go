package kit

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gorilla/websocket"

	"kuzet.kz/kuzet/protocol"
)

// Consent answers the consent notice as the candidate page does: it opens
// the page's channel with the page link's token, reads the notice from
// the first status and posts the decision in lang. It returns the consent
// as the server then holds it.
func Consent(pageURL string, given bool, lang string) (protocol.ConsentState, error) {
	return ConsentTLS(pageURL, given, lang, nil)
}

// ConsentTLS is Consent over TLS trusting tc (the agent's pinned server).
func ConsentTLS(pageURL string, given bool, lang string, tc *tls.Config) (protocol.ConsentState, error) {
	var state protocol.ConsentState
	u, err := url.Parse(pageURL)
	if err != nil {
		return state, err
	}
	q, err := url.ParseQuery(u.Fragment)
	if err != nil || q.Get("t") == "" {
		return state, fmt.Errorf("the page link %s carries no page token", u.Redacted())
	}
	token := q.Get("t")
	ws := url.URL{Scheme: strings.Replace(u.Scheme, "http", "ws", 1), Host: u.Host, Path: "/v1/candidate", RawQuery: url.Values{"t": {token}}.Encode()}
	d := websocket.Dialer{HandshakeTimeout: 10 * time.Second, TLSClientConfig: tc}
	conn, _, err := d.Dial(ws.String(), nil)
	if err != nil {
		return state, fmt.Errorf("the candidate channel: %w", err)
	}
	codec := protocol.NewCodec(protocol.ServerToCandidate, protocol.CandidateToServer)
	var notice *protocol.ConsentNotice
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for notice == nil {
		_, data, err := conn.ReadMessage()
		if err != nil {
			conn.Close()
			return state, fmt.Errorf("the candidate channel: %w", err)
		}
		m, err := codec.Decode(data)
		if err != nil {
			conn.Close()
			return state, err
		}
		if st, ok := m.(*protocol.Status); ok {
			if st.Notice == nil {
				conn.Close()
				return state, fmt.Errorf("the status carries no consent notice")
			}
			notice = st.Notice
		}
	}
	conn.Close()
	body, _ := json.Marshal(protocol.ConsentDecision{Given: given, Notice: notice.Digest, Lang: lang})
	req, err := http.NewRequest(http.MethodPost, (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/v1/consent"}).String(), bytes.NewReader(body))
	if err != nil {
		return state, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := (&http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{TLSClientConfig: tc}}).Do(req)
	if err != nil {
		return state, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return state, fmt.Errorf("POST /v1/consent: %s: %s", resp.Status, raw)
	}
	return state, json.Unmarshal(raw, &state)
}
