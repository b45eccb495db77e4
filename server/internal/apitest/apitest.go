// Package apitest is how the server's package tests call its JSON API:
// one client per caller (a staff login's cookie jar, or the candidate's
// bearer token), failing the test on transport errors and returning the
// status and body for the test to judge.
package apitest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"testing"
	"time"
)

// Error is the server's error body.
type Error struct {
	Error struct {
		Code    string `json:"code"`
		Key     string `json:"key"`
		Message string `json:"message"`
	} `json:"error"`
}

// NewHTTP is an HTTP client with its own cookie jar, as one browser.
func NewHTTP() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second}
}

// Client calls the API at Base with HTTP, as test T, with Bearer when set.
type Client struct {
	T      testing.TB
	Base   string
	HTTP   *http.Client
	Bearer string
}

// Do sends a request (a JSON body if body is not nil) and decodes a 2xx
// answer into out; it returns the status and the raw body.
func (c *Client) Do(method, path string, body, out any) (int, string) {
	c.T.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			c.T.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.Base+path, rd)
	if err != nil {
		c.T.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Bearer != "" {
		req.Header.Set("Authorization", "Bearer "+c.Bearer)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode/100 == 2 {
		if err := json.Unmarshal(raw, out); err != nil {
			c.T.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode, string(raw)
}

// Refused checks that a request is refused with status and, unless code
// is "", that error code; it returns the error.
func (c *Client) Refused(method, path string, body any, status int, code string) Error {
	c.T.Helper()
	got, raw := c.Do(method, path, body, nil)
	var e Error
	_ = json.Unmarshal([]byte(raw), &e)
	if got != status || (code != "" && e.Error.Code != code) {
		c.T.Fatalf("%s %s: %d %s; want %d with code %q", method, path, got, raw, status, code)
	}
	return e
}
